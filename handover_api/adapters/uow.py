"""The unit of work of handover_api, with its repositories."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handover_api.adapters.audit_trail import AuditRepository, AuditSigner
from handover_api.adapters.repositories import (
    CaseRepository,
    ConferenceRepository,
    DocumentRepository,
    HandoverRepository,
    OrganisationRepository,
)
from handover_api.domain.audit import CHECKPOINT_EVERY
from shared.db.uow import UnitOfWork


class HandoverUnitOfWork(UnitOfWork):
    """Repositories bound to the transaction's session.

    Audit records staged during the transaction are written with it in `commit` (to
    `audit_pending`, no lock); the sealer chains them (`AuditRepository.seal`), and with an
    `audit_signer` every `CHECKPOINT_EVERY`-th record also gets a signed checkpoint there.
    """

    cases: CaseRepository
    documents: DocumentRepository
    handovers: HandoverRepository
    audit: AuditRepository
    organisations: OrganisationRepository
    conferences: ConferenceRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        outbox_signal: asyncio.Event | None = None,
        audit_signer: AuditSigner | None = None,
        audit_checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        super().__init__(session_factory, outbox_signal)
        self._audit_signer = audit_signer
        self._audit_checkpoint_every = audit_checkpoint_every

    async def commit(self) -> None:
        """Write the staged audit records, then commit them with the change."""
        await self.audit.write_pending()
        await super().commit()

    async def rollback(self) -> None:
        """Discard the change, its staged events and its staged audit records."""
        self.audit.discard_pending()
        await super().rollback()

    def _start(self) -> None:
        self.cases = CaseRepository(self.session)
        self.documents = DocumentRepository(self.session)
        self.handovers = HandoverRepository(self.session)
        self.audit = AuditRepository(self.session, self._audit_signer, self._audit_checkpoint_every)
        self.organisations = OrganisationRepository(self.session)
        self.conferences = ConferenceRepository(self.session)
