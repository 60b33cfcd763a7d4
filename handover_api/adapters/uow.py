"""The unit of work of handover_api, with its repositories."""

from __future__ import annotations

from handover_api.adapters.repositories import (
    AuditRepository,
    CaseRepository,
    DocumentRepository,
    HandoverRepository,
    OrganisationRepository,
)
from shared.db.uow import UnitOfWork


class HandoverUnitOfWork(UnitOfWork):
    """Repositories bound to the transaction's session."""

    cases: CaseRepository
    documents: DocumentRepository
    handovers: HandoverRepository
    audit: AuditRepository
    organisations: OrganisationRepository

    def _start(self) -> None:
        self.cases = CaseRepository(self.session)
        self.documents = DocumentRepository(self.session)
        self.handovers = HandoverRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.organisations = OrganisationRepository(self.session)
