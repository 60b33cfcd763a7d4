"""Local competence of a Jobcenter: it serves the municipalities it lists (§ 36 SGB II)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handover_api.domain.errors import MunicipalityUnknown, WrongLocalJobcenter

JOBCENTER = "JOBCENTER"


@dataclass(frozen=True)
class ServingOrganisation:
    """An organisation as the competence rule sees it."""

    id: str
    type: str
    municipalities: tuple[str, ...]


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def competent_jobcenters(
    municipality: str, organisations: Iterable[ServingOrganisation]
) -> list[str]:
    """The Jobcenter ids that list `municipality`, by id."""
    wanted = _norm(municipality)
    return sorted(
        o.id
        for o in organisations
        if o.type == JOBCENTER and any(_norm(m) == wanted for m in o.municipalities)
    )


def ensure_local_competence(
    target: ServingOrganisation,
    municipality: str | None,
    organisations: Iterable[ServingOrganisation],
) -> None:
    """A Jobcenter receives a case only for a municipality it serves.

    The place of habitual residence decides (§ 36 (1) SGB II); the case's `municipality`
    holds it. Without one the competence cannot be checked, so the handover is refused
    until the source records it. Agenturen are not checked here: their district is the
    placement office's own matter and not listed by municipality of residence.
    """
    if target.type != JOBCENTER:
        return
    if municipality is None or not municipality.strip():
        raise MunicipalityUnknown(
            "the case has no municipality of residence, so the locally competent Jobcenter "
            "(§ 36 SGB II) cannot be checked; record it on the case (PATCH) first"
        )
    if any(_norm(m) == _norm(municipality) for m in target.municipalities):
        return
    competent = competent_jobcenters(municipality, organisations)
    if competent:
        detail = (
            f"{target.id} does not serve the person's municipality of residence; "
            f"the locally competent Jobcenter is {competent[0]}"
        )
    else:
        detail = (
            f"{target.id} does not serve the person's municipality of residence, "
            "and no Jobcenter known to the broker serves it"
        )
    raise WrongLocalJobcenter(detail, competent_org=competent[0] if competent else None)
