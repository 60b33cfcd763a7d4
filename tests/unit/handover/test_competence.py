"""Local competence of a Jobcenter by the person's municipality (§ 36 SGB II)."""

from __future__ import annotations

import pytest

from handover_api.domain.competence import (
    ServingOrganisation,
    competent_jobcenters,
    ensure_local_competence,
)
from handover_api.domain.errors import MunicipalityUnknown, WrongLocalJobcenter

EN = ServingOrganisation("jobcenter-ennepe-ruhr", "JOBCENTER", ("Witten", "Wetter (Ruhr)"))
MS = ServingOrganisation("jobcenter-muenster", "JOBCENTER", ("Münster",))
HAGEN = ServingOrganisation("agentur-hagen", "AGENTUR", ("Hagen", "Witten"))
ALL = (EN, MS, HAGEN)


class TestEnsureLocalCompetence:
    def test_the_serving_jobcenter_passes(self) -> None:
        ensure_local_competence(EN, "Witten", ALL)
        ensure_local_competence(EN, " wetter   (RUHR) ", ALL)

    def test_another_jobcenter_names_the_competent_one(self) -> None:
        with pytest.raises(WrongLocalJobcenter) as raised:
            ensure_local_competence(MS, "Witten", ALL)
        assert raised.value.competent_org == EN.id
        assert raised.value.problem_extensions == {"competent_org": EN.id}
        assert EN.id in raised.value.detail

    def test_an_unserved_municipality_names_none(self) -> None:
        with pytest.raises(WrongLocalJobcenter) as raised:
            ensure_local_competence(EN, "Bochum", ALL)
        assert raised.value.competent_org is None

    @pytest.mark.parametrize("municipality", [None, "", "   "])
    def test_without_municipality_it_cannot_be_checked(self, municipality: str | None) -> None:
        with pytest.raises(MunicipalityUnknown):
            ensure_local_competence(EN, municipality, ALL)

    def test_an_agentur_is_not_checked(self) -> None:
        ensure_local_competence(HAGEN, None, ALL)
        ensure_local_competence(HAGEN, "Münster", ALL)

    def test_an_agentur_serving_the_town_is_not_a_competent_jobcenter(self) -> None:
        assert competent_jobcenters("Hagen", ALL) == []
        assert competent_jobcenters("witten", ALL) == [EN.id]
