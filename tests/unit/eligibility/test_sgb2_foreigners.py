"""§ 7 (1) S. 2-5 SGB II: whom the first-three-months and job-seeker exclusions reach."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from eligibility_api.adapters.facts_mapping import to_person_facts
from eligibility_api.domain.decision import Decision, LegalDomain
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import Nationality, PersonFacts, ResidenceStatus
from shared.events.facts import EligibilityFactsV1

ENTRY = date(2026, 1, 10)
# within the first three months after ENTRY (they run to 9 Apr 2026)
FIRST_MONTHS = date(2026, 2, 1)
LATER = date(2026, 3, 2)


def make_foreigner(**overrides: object) -> PersonFacts:
    base = PersonFacts(
        birth_date=date(1990, 5, 20),
        nationality=Nationality.THIRD_COUNTRY,
        entry_date=ENTRY,
        registered_since=ENTRY,
        residence_status=ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
        erwerbsfaehig=True,
        hilfebeduerftig=True,
        habitual_residence_de=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def reason_text(decision: Decision, code: str) -> str:
    return next(r.text_de for r in decision.reasons if r.code == code)


class TestFirstThreeMonths:
    def test_family_reunion_with_a_foreigner_is_excluded(self) -> None:
        """§ 7 (1) S. 2 Nr. 1 SGB II reaches an erwerbsfähig spouse joining a foreigner.

        BSG 17.07.2024 - B 7 AS 3/23 R: no narrowing for those joining a holder of a settlement
        permit; the exclusion hits the erwerbsfähig newcomer.
        """
        decision = evaluate(make_foreigner(), FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.NONE
        assert "SGB2_EXCLUDED_FIRST_3_MONTHS" in decision.reason_codes

    def test_title_for_family_of_a_german_spares(self) -> None:
        """§ 28 AufenthG family of a German: not excluded by § 7 (1) S. 2 Nr. 1 SGB II.

        BA Fachliche Weisungen § 7 Rz. 7.14; LSG Bayern 27.06.2012 - L 16 AS 449/11.
        """
        person = make_foreigner(residence_status=ResidenceStatus.AUFENTHG_28_FAMILY_GERMAN)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "SGB2_NR1_FAMILY_OF_GERMAN" in decision.reason_codes
        assert "SGB2_EXCLUDED_FIRST_3_MONTHS" not in decision.reason_codes

    def test_family_of_a_german_fact_spares(self) -> None:
        """§ 7 (1) S. 2 Nr. 1 SGB II does not reach a family member of a German (BA FW Rz. 7.14)."""
        person = make_foreigner(family_member_of_german=True)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "BA FW § 7 Rz. 7.14" in next(
            r.legal_ref for r in decision.reasons if r.code == "SGB2_NR1_FAMILY_OF_GERMAN"
        )

    def test_unknown_family_tie_keeps_the_exclusion(self) -> None:
        """§ 7 (1) S. 2 Nr. 1 SGB II: only a stated tie to a German spares the newcomer."""
        person = make_foreigner(family_member_of_german=None)
        assert evaluate(person, FIRST_MONTHS).legal_domain is LegalDomain.NONE

    def test_child_under_15_in_bg_is_not_excluded(self) -> None:
        """BSG 17.07.2024 - B 7 AS 3/23 R: Nr. 1 does not apply to non-erwerbsfähig members."""
        person = make_foreigner(birth_date=date(2016, 4, 1), lives_with_erwerbsfaehig_person=True)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert {"SGB2_NR1_NOT_ERWERBSFAEHIG", "SGB2_NON_ERWERBSFAEHIG_IN_BG"} <= (
            decision.reason_codes
        )

    def test_adult_who_cannot_work_is_not_excluded(self) -> None:
        """BSG 17.07.2024 - B 7 AS 3/23 R: a household member who cannot work gets § 23 SGB II."""
        person = make_foreigner(erwerbsfaehig=False, lives_with_erwerbsfaehig_person=True)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "SGB2_NR1_NOT_ERWERBSFAEHIG" in decision.reason_codes

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            pytest.param(ResidenceStatus.EU_SELF_EMPLOYED, "SGB2_NR1_WORKER", id="self-employed"),
            pytest.param(ResidenceStatus.EU_RETAINED_WORKER, "SGB2_NR1_WORKER", id="retained-2-3"),
            pytest.param(
                ResidenceStatus.EU_FAMILY_MEMBER, "SGB2_NR1_FAMILY_OF_WORKER", id="family-3"
            ),
        ],
    )
    def test_union_citizens_with_free_movement_are_spared(
        self, status: ResidenceStatus, code: str
    ) -> None:
        """§ 7 (1) S. 2 Nr. 1 SGB II spares workers, the self-employed, § 2 (3) FreizügG/EU.

        Family members of a freizügigkeitsberechtigte Union citizen (§ 3 FreizügG/EU) are
        spared as well: LSG Bayern 27.06.2012 - L 16 AS 449/11.
        """
        person = make_foreigner(nationality=Nationality.EU, residence_status=status)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert code in decision.reason_codes

    def test_humanitarian_title_spares(self) -> None:
        """§ 7 (1) S. 3 SGB II: a title of AufenthG Kap. 2 Abschn. 5 (here § 23 (4)) spares."""
        person = make_foreigner(residence_status=ResidenceStatus.AUFENTHG_23_4)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "SGB2_NR1_HUMANITARIAN" in decision.reason_codes

    def test_chancen_aufenthalt_is_not_a_section_5_title(self) -> None:
        """§ 104c AufenthG stands in Kap. 10, not Abschn. 5: § 7 (1) S. 3 SGB II does not spare."""
        person = make_foreigner(residence_status=ResidenceStatus.AUFENTHG_104C)
        decision = evaluate(person, FIRST_MONTHS)
        assert decision.legal_domain is LegalDomain.NONE
        assert "SGB2_EXCLUDED_FIRST_3_MONTHS" in decision.reason_codes


class TestJobSeekersAndFiveYears:
    def test_five_years_count_from_registration_not_entry(self) -> None:
        """§ 7 (1) S. 5 SGB II: the five years begin with the registration at the Meldebehörde.

        BSG 20.09.2023 - B 4 AS 8/22 R. Entry 1 Mar 2019, registered 15 Jun 2020: five
        years since entry are not enough on 10 Mar 2025.
        """
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            entry_date=date(2019, 3, 1),
            registered_since=date(2020, 6, 15),
        )
        decision = evaluate(person, date(2025, 3, 10))
        assert decision.legal_domain is LegalDomain.NONE
        assert "15.06.2025" in reason_text(decision, "SGB2_EXCLUDED_JOB_SEEKING")

    @pytest.mark.parametrize(
        ("as_of", "domain", "code"),
        [
            pytest.param(
                date(2025, 6, 14), LegalDomain.NONE, "SGB2_EXCLUDED_JOB_SEEKING", id="last-day"
            ),
            pytest.param(
                date(2025, 6, 15), LegalDomain.SGB_II, "SGB2_FIVE_YEAR_RESIDENCE", id="first-day"
            ),
        ],
    )
    def test_five_year_boundary(self, as_of: date, domain: LegalDomain, code: str) -> None:
        """§ 7 (1) S. 4-5 SGB II, §§ 187, 188 BGB: registered 15 Jun 2020, access 15 Jun 2025."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            entry_date=date(2020, 6, 1),
            registered_since=date(2020, 6, 15),
            freizuegigkeit_loss_established=False,
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain
        assert code in decision.reason_codes

    def test_missing_registration_with_recent_entry_still_excludes(self) -> None:
        """§ 7 (1) S. 5 SGB II: registration cannot precede entry; under five years since entry."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            entry_date=date(2023, 1, 1),
            registered_since=None,
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.NONE
        assert "SGB2_EXCLUDED_JOB_SEEKING" in decision.reason_codes
        assert "REGISTRATION_DATE_MISSING" in decision.warning_codes

    def test_missing_registration_after_long_stay_is_open(self) -> None:
        """§ 7 (1) S. 4-5 SGB II: entry over five years ago, registration unknown: undetermined."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            entry_date=date(2015, 1, 1),
            registered_since=None,
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.NONE
        assert "SGB2_EXCLUDED_JOB_SEEKING" not in decision.reason_codes
        assert {"REGISTRATION_DATE_MISSING", "SGB2_UNDETERMINED"} <= decision.warning_codes

    def test_established_loss_of_free_movement_blocks_five_years(self) -> None:
        """§ 7 (1) S. 4 Hs. 2 SGB II: no access after five years once the loss was established."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.NONE,
            entry_date=date(2015, 1, 1),
            registered_since=date(2015, 1, 5),
            freizuegigkeit_loss_established=True,
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.NONE
        assert "Verlust" in reason_text(decision, "SGB2_EXCLUDED_NO_RIGHT_OF_RESIDENCE")

    def test_five_years_assume_no_established_loss_and_say_so(self) -> None:
        """§ 7 (1) S. 4 SGB II: access after five years; the unstated S. 4 Hs. 2 is a warning."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            entry_date=date(2015, 1, 1),
            registered_since=date(2015, 1, 5),
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "FREIZUEGIGKEIT_LOSS_UNKNOWN" in decision.warning_codes

    def test_family_member_of_job_seeker_is_excluded(self) -> None:
        """§ 7 (1) S. 2 Nr. 2 SGB II: '... und ihre Familienangehörigen' (derived right only)."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_FAMILY_MEMBER,
            entry_date=date(2025, 1, 1),
            registered_since=date(2025, 1, 1),
            family_member_of_job_seeker=True,
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.NONE
        assert "SGB2_EXCLUDED_FAMILY_OF_JOB_SEEKER" in decision.reason_codes

    def test_child_of_job_seeker_is_excluded_too(self) -> None:
        """§ 7 (1) S. 2 Nr. 2 SGB II names family members; unlike Nr. 1 it reaches a child."""
        person = make_foreigner(
            nationality=Nationality.EU,
            birth_date=date(2016, 4, 1),
            residence_status=ResidenceStatus.EU_FAMILY_MEMBER,
            entry_date=date(2025, 1, 1),
            registered_since=date(2025, 1, 1),
            family_member_of_job_seeker=True,
            lives_with_erwerbsfaehig_person=True,
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.NONE
        assert "SGB2_EXCLUDED_FAMILY_OF_JOB_SEEKER" in decision.reason_codes

    def test_family_member_with_own_worker_status_is_not_excluded(self) -> None:
        """§ 7 (1) S. 2 Nr. 2 SGB II: an own right as a worker is not 'solely for job seeking'."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_WORKER,
            entry_date=date(2025, 1, 1),
            family_member_of_job_seeker=True,
        )
        assert evaluate(person, LATER).legal_domain is LegalDomain.SGB_II

    def test_family_member_five_years_after_registration(self) -> None:
        """§ 7 (1) S. 4 SGB II covers family members (BSG 20.09.2023 - B 4 AS 8/22 R)."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_FAMILY_MEMBER,
            entry_date=date(2019, 1, 1),
            registered_since=date(2019, 1, 2),
            family_member_of_job_seeker=True,
            freizuegigkeit_loss_established=False,
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "SGB2_FIVE_YEAR_RESIDENCE" in decision.reason_codes

    def test_german_family_member_of_job_seeker_is_never_excluded(self) -> None:
        """§ 7 (1) S. 2 SGB II excludes only Ausländer: a German relative keeps SGB II."""
        person = make_foreigner(nationality=Nationality.GERMAN, family_member_of_job_seeker=True)
        assert evaluate(person, FIRST_MONTHS).legal_domain is LegalDomain.SGB_II

    def test_not_economically_active_union_citizen_is_flagged(self) -> None:
        """§ 4 FreizügG/EU needs means; whether § 7 (1) S. 2 Nr. 2 SGB II applies is open."""
        person = make_foreigner(
            nationality=Nationality.EU,
            residence_status=ResidenceStatus.EU_NOT_ECONOMICALLY_ACTIVE,
            entry_date=date(2025, 1, 1),
        )
        decision = evaluate(person, LATER)
        assert decision.legal_domain is LegalDomain.SGB_II
        flagged = [w for w in decision.warnings if w.code == "SGB2_EU_SECTION_4_UNSURE"]
        assert len(flagged) == 1
        assert flagged[0].uncertain


class TestFactsFromEvents:
    def test_registration_and_family_facts_travel(self) -> None:
        """§ 7 (1) S. 5 SGB II: the registration date reaches the engine from the event facts."""
        facts = EligibilityFactsV1(
            birth_date=date(1990, 5, 20),
            nationality="EU",
            entry_date=date(2019, 3, 1),
            registered_since=date(2020, 6, 15),
            residence_status="EU_JOB_SEEKER",
            family_member_of_german=False,
            family_member_of_job_seeker=False,
            freizuegigkeit_loss_established=False,
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
        )
        person = to_person_facts(facts).person
        assert person.registered_since == date(2020, 6, 15)
        assert evaluate(person, date(2025, 6, 14)).legal_domain is LegalDomain.NONE
        assert evaluate(person, date(2025, 6, 15)).legal_domain is LegalDomain.SGB_II
