"""The answer names the facts it needed and did not get, and whether the person is an eLb.

Every silent default of the engine is a `missing_facts` entry with a warning; where the engine
still decides, the warning says what it assumed (issue 11, item 6).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_api.domain.config import ProtectionStartRule, RuleConfig
from eligibility_api.domain.decision import Decision, LegalDomain
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import (
    Alg1Facts,
    AsylumDecision,
    AsylumDecisionKind,
    InstitutionKind,
    Nationality,
    PersonFacts,
    ResidenceStatus,
)
from eligibility_api.domain.missing_facts import FACT_PATHS_BY_WARNING
from shared.events.facts import EligibilityFactsV1

AS_OF = date(2026, 3, 2)
DOMAIN = Path(__file__).parents[3] / "eligibility_api" / "domain"


def complete(**overrides: object) -> PersonFacts:
    """A German of 40 with every fact § 7 SGB II needs stated."""
    base = PersonFacts(
        birth_date=date(1985, 7, 14),
        nationality=Nationality.GERMAN,
        erwerbsfaehig=True,
        hilfebeduerftig=True,
        habitual_residence_de=True,
        receives_old_age_pension=False,
        institution=InstitutionKind.NONE,
        training_bafoeg_eligible=False,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def warning_of(decision: Decision, code: str) -> str:
    return next(w.text_de for w in decision.warnings if w.code == code)


class TestErwerbsfaehigeLeistungsberechtigte:
    def test_every_condition_met_is_an_elb(self) -> None:
        """§ 7 (1) S. 1 Nr. 1-4 SGB II met and no exclusion: erwerbsfähige Leistungsberechtigte,
        and with every fact given nothing is missing."""
        decision = evaluate(complete(), AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.erwerbsfaehig_leistungsberechtigt is True
        assert decision.missing_facts == ()

    def test_not_hilfebeduerftig_is_no_elb(self) -> None:
        """§ 7 (1) S. 1 Nr. 3 with § 9 SGB II: without Hilfebedürftigkeit no eLb."""
        decision = evaluate(complete(hilfebeduerftig=False), AS_OF)
        assert decision.erwerbsfaehig_leistungsberechtigt is False

    def test_non_erwerbsfaehig_member_of_a_bg_is_no_elb(self) -> None:
        """§ 8 SGB II: not erwerbsfähig; as a member of a Bedarfsgemeinschaft entitled under
        § 7 (2), § 23 SGB II, but not an erwerbsfähige Leistungsberechtigte."""
        person = complete(erwerbsfaehig=False, lives_with_erwerbsfaehig_person=True)
        decision = evaluate(person, AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.erwerbsfaehig_leistungsberechtigt is False

    def test_under_15_is_no_elb(self) -> None:
        """§ 7 (1) S. 1 Nr. 1 SGB II: 15th birthday on 3 Mar 2026, so not yet on 2 Mar."""
        person = complete(birth_date=date(2011, 3, 3), lives_with_erwerbsfaehig_person=True)
        assert evaluate(person, AS_OF).erwerbsfaehig_leistungsberechtigt is False

    def test_past_the_age_limit_is_no_elb(self) -> None:
        """§ 7a SGB II: born 15 May 1960, the limit (66 years 4 months) ends SGB II on
        30 Sep 2026; on 1 Oct 2026 the person is no eLb."""
        person = complete(birth_date=date(1960, 5, 15))
        assert evaluate(person, date(2026, 9, 30)).erwerbsfaehig_leistungsberechtigt is True
        assert evaluate(person, date(2026, 10, 1)).erwerbsfaehig_leistungsberechtigt is False

    def test_old_age_pension_excludes(self) -> None:
        """§ 7 (4) S. 1 SGB II: an old-age pension excludes, so no eLb (BSG 16.05.2012 -
        B 4 AS 105/11 R for foreign pensions)."""
        decision = evaluate(complete(receives_old_age_pension=True), AS_OF)
        assert decision.erwerbsfaehig_leistungsberechtigt is False

    def test_detention_excludes(self) -> None:
        """§ 7 (4) S. 2 SGB II: judicially ordered deprivation of liberty excludes from the
        first day (BSG 24.02.2011 - B 14 AS 81/09 R)."""
        person = complete(
            institution=InstitutionKind.DETENTION, institution_admission_date=date(2026, 3, 1)
        )
        assert evaluate(person, AS_OF).erwerbsfaehig_leistungsberechtigt is False

    def test_eu_job_seeker_in_first_months_is_no_elb(self) -> None:
        """§ 7 (1) S. 2 Nr. 1 and 2 SGB II: an EU citizen in the first three months with a
        right of residence for job seeking only is excluded."""
        person = complete(
            nationality=Nationality.EU,
            entry_date=date(2026, 2, 1),
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            family_member_of_german=False,
        )
        decision = evaluate(person, AS_OF)
        assert decision.erwerbsfaehig_leistungsberechtigt is False
        assert decision.legal_domain is LegalDomain.NONE

    def test_asylblg_is_no_elb(self) -> None:
        """§ 7 (1) S. 2 Nr. 3 SGB II: whoever is entitled under § 1 AsylbLG."""
        person = complete(
            nationality=Nationality.THIRD_COUNTRY,
            entry_date=date(2025, 1, 10),
            residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG,
        )
        decision = evaluate(person, AS_OF)
        assert decision.legal_domain is LegalDomain.ASYLBLG
        assert decision.erwerbsfaehig_leistungsberechtigt is False

    def test_aufstocker_is_an_elb(self) -> None:
        """§ 5 (4) SGB II: ALG I below the need; the top-up presupposes an eLb (§ 7 (1) S. 1)."""
        person = complete(
            hilfebeduerftig=None,
            household_monthly_need_eur=Decimal("1850.00"),
            household_monthly_income_eur=Decimal("0"),
            alg1=Alg1Facts(
                date(2025, 11, 1), 24, 24, paid_days=120, monthly_amount_eur=Decimal("900.00")
            ),
        )
        decision = evaluate(person, AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_III
        assert LegalDomain.SGB_II in decision.parallel_entitlements
        assert decision.erwerbsfaehig_leistungsberechtigt is True
        assert decision.missing_facts == ()

    def test_unknown_erwerbsfaehigkeit_leaves_it_open(self) -> None:
        """§ 8 SGB II, found by the Agentur (§ 44a SGB II): unknown, so eLb is open."""
        decision = evaluate(complete(erwerbsfaehig=None), AS_OF)
        assert decision.erwerbsfaehig_leistungsberechtigt is None
        assert decision.missing_facts == ("erwerbsfaehig",)
        assert decision.legal_domain is LegalDomain.NONE


class TestDefaultsBecomeMissingFacts:
    def test_old_age_pension_unknown_is_assumed_no(self) -> None:
        """§ 7 (4) S. 1 SGB II: without the fact the engine still decides, assuming no pension,
        and says so."""
        decision = evaluate(complete(receives_old_age_pension=None), AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.missing_facts == ("receives_old_age_pension",)
        assert "angenommen: nein" in warning_of(decision, "OLD_AGE_PENSION_UNKNOWN")

    def test_institution_unknown_is_assumed_none(self) -> None:
        """§ 7 (4) S. 1-3 SGB II: the kind of accommodation is needed; assumed none."""
        decision = evaluate(complete(institution=None), AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.missing_facts == ("institution",)
        assert "INSTITUTION_UNKNOWN" in decision.warning_codes

    def test_legacy_fact_alone_still_names_institution(self) -> None:
        """§ 7 (4) S. 1 SGB II excludes a stationäre Einrichtung from the first day, so
        'not longer than six months' alone does not answer it."""
        person = complete(institution=None, inpatient_over_6_months=False)
        decision = evaluate(person, AS_OF)
        assert decision.missing_facts == ("institution",)
        assert "INSTITUTION_LEGACY_FACT" in decision.warning_codes

    def test_admission_date_missing_is_assumed_admitted(self) -> None:
        """§ 7 (4) S. 1 SGB II from the first day (BSG 05.06.2014 - B 4 AS 32/13 R): without
        the admission date the person counts as admitted on the day, with a warning."""
        person = complete(institution=InstitutionKind.STATIONARY, weekly_work_hours=Decimal(0))
        decision = evaluate(person, AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_XII
        assert decision.missing_facts == ("institution_admission_date",)
        assert "INSTITUTION_ADMISSION_DATE_MISSING" in decision.warning_codes

    def test_training_unknown_is_assumed_no(self) -> None:
        """§ 7 (5) SGB II: BAföG/BAB-eligible training excludes; unknown, assumed no."""
        decision = evaluate(complete(training_bafoeg_eligible=None), AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.missing_facts == ("training_bafoeg_eligible",)
        assert "TRAINING_BAFOEG_UNKNOWN" in decision.warning_codes

    def test_family_of_german_unknown_in_first_three_months(self) -> None:
        """§ 7 (1) S. 2 Nr. 1 SGB II spares family members of Germans (BA FW § 7 Rz. 7.14;
        LSG Bayern 27.06.2012 - L 16 AS 449/11): unknown, the exclusion stands, flagged."""
        person = complete(
            nationality=Nationality.THIRD_COUNTRY,
            entry_date=date(2026, 1, 20),
            residence_status=ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
            family_member_of_job_seeker=False,
        )
        decision = evaluate(person, AS_OF)
        assert "SGB2_EXCLUDED_FIRST_3_MONTHS" in decision.reason_codes
        assert decision.missing_facts == ("family_member_of_german",)
        assert "angenommen: nein" in warning_of(decision, "FAMILY_OF_GERMAN_UNKNOWN")

    def test_family_of_german_stated_no_longer_missing(self) -> None:
        """§ 7 (1) S. 2 Nr. 1 SGB II: stated 'no', the exclusion stands without a gap."""
        person = complete(
            nationality=Nationality.THIRD_COUNTRY,
            entry_date=date(2026, 1, 20),
            residence_status=ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
            family_member_of_job_seeker=False,
            family_member_of_german=False,
        )
        decision = evaluate(person, AS_OF)
        assert decision.legal_domain is LegalDomain.NONE
        assert decision.missing_facts == ()

    def test_family_member_right_of_unknown_origin(self) -> None:
        """§ 7 (1) S. 2 Nr. 2 Buchst. c SGB II: a family member's derived right is excluded if
        it stems from a job seeker; unknown, assumed not, flagged."""
        person = complete(
            nationality=Nationality.EU,
            entry_date=date(2024, 6, 1),
            registered_since=date(2024, 6, 3),
            residence_status=ResidenceStatus.EU_FAMILY_MEMBER,
        )
        decision = evaluate(person, AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.missing_facts == ("family_member_of_job_seeker",)

    def test_excluded_job_seeker_pension_assumed_no(self) -> None:
        """§§ 35, 38 SGB III: excluded from SGB II by § 7 (1) S. 2 Nr. 2 SGB II, the person stays
        with the Agentur as a job seeker, which assumes no old-age pension (§ 7 (4) S. 1 SGB II
        is not reached); the answer says so."""
        person = complete(
            nationality=Nationality.EU,
            entry_date=date(2025, 6, 1),
            registered_since=date(2025, 6, 2),
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            receives_old_age_pension=None,
        )
        decision = evaluate(person, AS_OF)
        assert "AGENTUR_JOB_SEEKER" in decision.reason_codes
        assert decision.missing_facts == ("receives_old_age_pension",)
        assert "OLD_AGE_PENSION_UNKNOWN" in decision.warning_codes

    @pytest.mark.parametrize(
        ("as_of", "missing"),
        [
            pytest.param(date(2025, 11, 1), (), id="claim-start-day"),
            pytest.param(date(2025, 11, 2), ("alg1.paid_days",), id="day-after"),
        ],
    )
    def test_paid_days_missing_assumes_daily_payment(
        self, as_of: date, missing: tuple[str, ...]
    ) -> None:
        """§ 148 (1) Nr. 1 SGB III: days fulfilled reduce the rest; without them the forecast
        assumes payment on every day since the claim start (nothing is consumed on day one)."""
        person = complete(alg1=Alg1Facts(date(2025, 11, 1), 24, 24))
        decision = evaluate(person, as_of)
        assert decision.legal_domain is LegalDomain.SGB_III
        assert decision.missing_facts == missing

    def test_alg1_amount_needed_for_the_top_up(self) -> None:
        """§ 5 (4), § 11 SGB II: ALG I counts as income; without its amount the top-up is open."""
        person = complete(
            hilfebeduerftig=None,
            household_monthly_need_eur=Decimal("1850.00"),
            household_monthly_income_eur=Decimal("0"),
            alg1=Alg1Facts(date(2025, 11, 1), 24, 24, paid_days=120),
        )
        decision = evaluate(person, AS_OF)
        assert decision.missing_facts == ("alg1.monthly_amount_eur",)

    def test_household_figures_only_when_not_stated(self) -> None:
        """§ 9 SGB II: the stated answer or need and income; only what is open is named."""
        stated = evaluate(complete(), AS_OF)
        assert "household_monthly_income_eur" not in stated.missing_facts
        partial = complete(hilfebeduerftig=None, household_monthly_need_eur=Decimal("1200"))
        decision = evaluate(partial, AS_OF)
        assert decision.missing_facts == ("hilfebeduerftig", "household_monthly_income_eur")
        assert decision.erwerbsfaehig_leistungsberechtigt is None

    def test_registration_date_for_the_five_years(self) -> None:
        """§ 7 (1) S. 4-5 SGB II (BSG 20.09.2023 - B 4 AS 8/22 R): the five years count from
        the registration with the Meldebehörde; entered 2019, so only that date can decide."""
        person = complete(
            nationality=Nationality.EU,
            entry_date=date(2019, 5, 1),
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            freizuegigkeit_loss_established=False,
        )
        decision = evaluate(person, AS_OF)
        assert decision.missing_facts == ("registered_since",)
        assert decision.erwerbsfaehig_leistungsberechtigt is None

    def test_finality_date_after_a_protection_decision(self) -> None:
        """§ 1 (3) AsylbLG with § 67 (1) AsylG: AsylbLG ends with the month of finality or of
        an earlier title; with neither, both are named."""
        bamf = AsylumDecision(AsylumDecisionKind.FLUECHTLING_3, decision_date=date(2026, 1, 20))
        person = complete(
            nationality=Nationality.THIRD_COUNTRY,
            entry_date=date(2024, 1, 15),
            residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG,
            asylum_decision=bamf,
        )
        decision = evaluate(person, AS_OF)
        assert decision.missing_facts == (
            "asylum_decision.final_date",
            "asylum_decision.permit_issued_date",
        )

    def test_service_reading_names_the_service_date(self) -> None:
        """§ 1 (3) AsylbLG under the configurable service reading: without the service date it
        falls back to the decision date (flagged) and names the service date."""
        bamf = AsylumDecision(AsylumDecisionKind.SUBSIDIAER_4, decision_date=date(2026, 1, 20))
        person = complete(
            nationality=Nationality.THIRD_COUNTRY,
            entry_date=date(2024, 1, 15),
            asylum_decision=bamf,
        )
        config = RuleConfig(protection_start_rule=ProtectionStartRule.SERVICE_MONTH_END)
        decision = evaluate(person, AS_OF, config)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.missing_facts == ("asylum_decision.served_date",)


def _fact_paths(model: type[object]) -> set[str]:
    fields = getattr(model, "model_fields", {})
    paths: set[str] = set()
    for name, info in fields.items():
        paths.add(name)
        inner = info.annotation
        for arg in getattr(inner, "__args__", (inner,)):
            if hasattr(arg, "model_fields"):
                paths |= {f"{name}.{sub}" for sub in _fact_paths(arg)}
    return paths


class TestFactPaths:
    def test_every_path_names_a_field_of_the_facts_model(self) -> None:
        """The paths are those of EligibilityFactsV1, so a caller can fill them in directly."""
        known = _fact_paths(EligibilityFactsV1)
        named = {p for paths in FACT_PATHS_BY_WARNING.values() for p in paths}
        assert named <= known

    def test_every_missing_or_unknown_warning_of_a_fact_has_paths(self) -> None:
        """No warning about a missing fact without a missing_facts entry (issue 11, item 6)."""
        source = "\n".join(p.read_text() for p in DOMAIN.glob("*.py"))
        codes = set(re.findall(r'code="([A-Z0-9_]+_(?:MISSING|UNKNOWN))"', source))
        not_facts = {"ALG1_END_DATE_UNKNOWN"}  # a result the engine cannot compute, not a fact
        assert codes - not_facts <= set(FACT_PATHS_BY_WARNING)
        assert "ALG1_END_DATE_UNKNOWN" in codes


OPTIONAL_BOOL = st.none() | st.booleans()


@st.composite
def persons(draw: st.DrawFn) -> PersonFacts:
    return PersonFacts(
        birth_date=draw(st.none() | st.dates(date(1950, 1, 1), date(2012, 12, 31))),
        nationality=draw(st.none() | st.sampled_from(Nationality)),
        entry_date=draw(st.none() | st.dates(date(2015, 1, 1), date(2026, 2, 28))),
        registered_since=draw(st.none() | st.dates(date(2015, 1, 1), date(2026, 2, 28))),
        family_member_of_german=draw(OPTIONAL_BOOL),
        family_member_of_job_seeker=draw(OPTIONAL_BOOL),
        residence_status=draw(st.none() | st.sampled_from(ResidenceStatus)),
        erwerbsfaehig=draw(OPTIONAL_BOOL),
        hilfebeduerftig=draw(OPTIONAL_BOOL),
        habitual_residence_de=draw(OPTIONAL_BOOL),
        receives_old_age_pension=draw(OPTIONAL_BOOL),
        institution=draw(st.none() | st.sampled_from(InstitutionKind)),
        training_bafoeg_eligible=draw(OPTIONAL_BOOL),
        lives_with_erwerbsfaehig_person=draw(OPTIONAL_BOOL),
    )


@settings(max_examples=300, deadline=None)
@given(persons())
def test_missing_facts_are_unset_and_an_elb_is_entitled(person: PersonFacts) -> None:
    """Every path named is unset in the facts, once; an eLb (§ 7 (1) S. 1 SGB II) always has
    the SGB II entitlement reason, and a stated non-eLb never does."""
    decision = evaluate(person, AS_OF)
    assert len(set(decision.missing_facts)) == len(decision.missing_facts)
    for path in decision.missing_facts:
        assert "." in path or getattr(person, path) is None
    entitled = "SGB2_ENTITLED" in decision.reason_codes
    assert (decision.erwerbsfaehig_leistungsberechtigt is True) == entitled
    if decision.erwerbsfaehig_leistungsberechtigt is None:
        assert decision.missing_facts
