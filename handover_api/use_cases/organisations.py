"""Use cases for the organisations known to the broker."""

from __future__ import annotations

from collections.abc import Sequence

from handover_api.adapters.tables import Organisation
from handover_api.adapters.uow import HandoverUnitOfWork


async def list_organisations(uow: HandoverUnitOfWork) -> Sequence[Organisation]:
    """Every Agentur and Jobcenter known to the broker."""
    async with uow:
        return await uow.organisations.list()
