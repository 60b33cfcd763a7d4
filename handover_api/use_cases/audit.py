"""Recording reads and changes of a case in its audit trail."""

from __future__ import annotations

import uuid
from typing import Any

from handover_api.adapters.tables import AuditEntry
from handover_api.adapters.uow import HandoverUnitOfWork
from shared.auth import Principal
from shared.db.base import utcnow

SYSTEM = Principal(subject="system:handover_api", org="handover-broker", scopes=frozenset())


def record(
    uow: HandoverUnitOfWork,
    actor: Principal,
    case_id: uuid.UUID,
    action: str,
    **details: Any,
) -> None:
    """Stage an audit entry; it commits with the action (or the read) it describes."""
    uow.audit.add(
        AuditEntry(
            case_id=case_id,
            actor_org=actor.org,
            actor_subject=actor.subject,
            action=action,
            details={k: str(v) if isinstance(v, uuid.UUID) else v for k, v in details.items()},
            at=utcnow(),
        )
    )
