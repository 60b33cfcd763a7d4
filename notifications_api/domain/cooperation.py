"""The cooperation agreements between an Agentur für Arbeit and a Jobcenter.

Joint info sessions (domain.md §4.1) are hosted by the two partners of one agreement; no
organisation can put a session into the calendar of an organisation it has no agreement
with.
"""

from __future__ import annotations

from notifications_api.domain.errors import NotCooperationPartners

# (Agentur, Jobcenter) of each agreement the broker implements.
AGREEMENTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("agentur-hagen", "jobcenter-ennepe-ruhr"),
        ("agentur-ahlen-muenster", "jobcenter-muenster"),
    }
)


def ensure_partners(agentur_org: str, jobcenter_org: str) -> None:
    """Raise unless the Agentur and the Jobcenter have a cooperation agreement."""
    if (agentur_org, jobcenter_org) not in AGREEMENTS:
        raise NotCooperationPartners(
            f"{agentur_org} and {jobcenter_org} have no cooperation agreement"
        )
