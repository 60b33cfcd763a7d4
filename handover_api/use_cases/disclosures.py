"""The person's right of access (Art. 15 GDPR, § 83 SGB X): what was disclosed about them.

Each handover of the case discloses twice: the announcement to the receiver when it starts
(no facts about the person, see the release rules) and the transfer of the dossier once the
legal trigger, eligibility and the documents hold. Special-category documents that stayed
with the source are named as withheld, by type only.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from handover_api.adapters.tables import Handover
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.domain.documents import HandoverReason
from handover_api.domain.reference import DOCUMENT_LABELS, REASON_LABELS
from handover_api.use_cases import audit
from shared.auth import Principal
from shared.letters import Letter, LetterRenderer

ANNOUNCEMENT_BASIS = "§ 69 Abs. 1 Nr. 1 SGB X in Verbindung mit § 50 SGB II"
TRANSFER_BASIS = "§ 69 Abs. 1 Nr. 1 SGB X in Verbindung mit § 50 SGB II und § 67d SGB X"
ANNOUNCEMENT_DATA = (
    "Kennung der Übergabe",
    "Anlass der Übergabe",
    "voraussichtliches Übergabedatum",
    "abgebende Stelle",
)
TRANSFER_DATA = (
    "Kundennummer und Kontaktdaten",
    "Angaben zur Leistungsberechtigung",
)
PLAN = "Eingliederungsplan (Ziele und Maßnahmen)"
TEMPLATE = "disclosures.html.j2"


@cache
def _letters() -> LetterRenderer:
    """One renderer (and template cache) per process."""
    return LetterRenderer("handover_api")


@dataclass(frozen=True)
class Disclosure:
    """One disclosure about the person: what went to whom, when, on which legal basis."""

    kind: Literal["announcement", "transfer"]
    handover_id: uuid.UUID
    at: datetime
    from_org: str
    from_org_name: str
    to_org: str
    to_org_name: str
    reason: str
    legal_basis: str
    data_categories: tuple[str, ...]
    document_types: tuple[str, ...]
    withheld_document_types: tuple[str, ...]
    integration_plan: bool
    text: str


def _label(document_type: str) -> str:
    return DOCUMENT_LABELS.get(document_type, document_type)


def _reason(reason: str) -> str:
    try:
        return REASON_LABELS[HandoverReason(reason)]
    except (ValueError, KeyError):
        return reason


def _date(at: datetime) -> str:
    return at.strftime("%d.%m.%Y")


async def _disclosures(
    uow: HandoverUnitOfWork, handovers: tuple[Handover, ...]
) -> list[Disclosure]:
    found: list[Disclosure] = []
    for h in handovers:
        source = await uow.organisations.get(h.from_org)
        target = await uow.organisations.get(h.to_org)
        from_name = source.name if source else h.from_org
        to_name = target.name if target else h.to_org
        found.append(
            Disclosure(
                kind="announcement",
                handover_id=h.id,
                at=h.created_at,
                from_org=h.from_org,
                from_org_name=from_name,
                to_org=h.to_org,
                to_org_name=to_name,
                reason=h.reason,
                legal_basis=ANNOUNCEMENT_BASIS,
                data_categories=ANNOUNCEMENT_DATA,
                document_types=(),
                withheld_document_types=(),
                integration_plan=False,
                text=(
                    f"Am {_date(h.created_at)} hat {from_name} dem {to_name} angekündigt, "
                    f"dass Ihr Fall übergeben werden soll (Anlass: {_reason(h.reason)}). "
                    f"Übermittelt wurden nur: {', '.join(ANNOUNCEMENT_DATA)}; keine Angaben "
                    f"zu Ihrer Person. Rechtsgrundlage: {ANNOUNCEMENT_BASIS}."
                ),
            )
        )
        if h.transferred_at is None or h.manifest is None:
            continue
        manifest = h.manifest
        types = tuple(dict.fromkeys(d.type for d in manifest.documents))
        withheld = tuple(dict.fromkeys(manifest.withheld_documents))
        plan = manifest.integration_plan is not None
        categories = TRANSFER_DATA + ((PLAN,) if plan else ())
        text = (
            f"Am {_date(h.transferred_at)} hat {from_name} Ihren Fall an {to_name} "
            f"übermittelt (Anlass: {_reason(h.reason)}). Übermittelt wurden: "
            f"{', '.join(categories)}"
            + (f"; Unterlagen: {', '.join(_label(t) for t in types)}" if types else "")
            + f". Rechtsgrundlage: {TRANSFER_BASIS}."
        )
        if withheld:
            text += (
                " Nicht übermittelt, weil sie besonders geschützte Daten enthalten und keine "
                "Rechtsgrundlage oder Einwilligung vorlag: "
                f"{', '.join(_label(t) for t in withheld)}."
            )
        found.append(
            Disclosure(
                kind="transfer",
                handover_id=h.id,
                at=h.transferred_at,
                from_org=h.from_org,
                from_org_name=from_name,
                to_org=h.to_org,
                to_org_name=to_name,
                reason=h.reason,
                legal_basis=TRANSFER_BASIS,
                data_categories=categories,
                document_types=types,
                withheld_document_types=withheld,
                integration_plan=plan,
                text=text,
            )
        )
    found.sort(key=lambda d: d.at)
    return found


async def _visible(
    uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID
) -> tuple[Handover, ...]:
    """The handovers whose disclosures the caller may read: all for the owner, else its own."""
    access = await audit.case_access(uow, actor, case_id)
    if access.owner:
        return tuple(await uow.audit.handovers_of_case(case_id))
    return access.disclosed


async def list_disclosures(
    uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID
) -> list[Disclosure]:
    """What was disclosed about the person of the case, oldest first; the read is audited."""
    async with uow:
        handovers = await _visible(uow, actor, case_id)
        disclosures = await _disclosures(uow, handovers)
        audit.record(uow, actor, case_id, "disclosures.listed", count=len(disclosures))
        await uow.commit()
    return disclosures


async def render_disclosure_letter(
    uow: HandoverUnitOfWork, actor: Principal, case_id: uuid.UUID, now: datetime
) -> Letter:
    """The disclosures as a German letter (PDF) to hand to the person; the call is audited."""
    async with uow:
        handovers = await _visible(uow, actor, case_id)
        disclosures = await _disclosures(uow, handovers)
        issuer = await uow.organisations.get(actor.org)
        audit.record(uow, actor, case_id, "disclosures.letter_rendered", count=len(disclosures))
        await uow.commit()
    context = {
        "issuer": issuer.name if issuer else actor.org,
        "case_id": str(case_id),
        "today": now,
        "disclosures": disclosures,
    }
    # Laying out the PDF is CPU work: a worker thread keeps the event loop serving.
    return await asyncio.to_thread(
        _letters().render,
        TEMPLATE,
        context,
        title="Auskunft über übermittelte Sozialdaten",
        created_at=now,
    )
