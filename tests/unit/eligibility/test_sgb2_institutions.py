"""§ 7 (4) SGB II: institutions from the first day, prison, hospital, 15 hours, old-age pension."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from eligibility_api.adapters.facts_mapping import to_person_facts
from eligibility_api.domain.decision import LegalDomain, OrgType
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import InstitutionKind, Nationality, PersonFacts
from shared.events.facts import EligibilityFactsV1

ADMITTED = date(2026, 3, 2)


def make_person(**overrides: object) -> PersonFacts:
    base = PersonFacts(
        birth_date=date(1985, 9, 12),
        nationality=Nationality.GERMAN,
        erwerbsfaehig=True,
        hilfebeduerftig=True,
        habitual_residence_de=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def in_institution(kind: InstitutionKind, **overrides: object) -> PersonFacts:
    return make_person(institution=kind, institution_admission_date=ADMITTED, **overrides)


class TestStationaryInstitution:
    @pytest.mark.parametrize(
        ("as_of", "domain"),
        [
            pytest.param(date(2026, 3, 1), LegalDomain.SGB_II, id="day-before"),
            pytest.param(date(2026, 3, 2), LegalDomain.SGB_XII, id="first-day"),
        ],
    )
    def test_excludes_from_the_first_day(self, as_of: date, domain: LegalDomain) -> None:
        """§ 7 (4) S. 1 SGB II: no six-month period; BSG 05.06.2014 - B 4 AS 32/13 R."""
        person = in_institution(InstitutionKind.STATIONARY, weekly_work_hours=Decimal(0))
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain

    def test_first_day_reason_and_sgb12(self) -> None:
        """§ 7 (4) S. 1 SGB II: excluded, the social office pays if the household is needy."""
        person = in_institution(InstitutionKind.STATIONARY, weekly_work_hours=Decimal(0))
        decision = evaluate(person, ADMITTED)
        assert decision.responsible_org_type is OrgType.SOCIAL_OFFICE
        assert "SGB2_EXCLUDED_INSTITUTION" in decision.reason_codes

    @pytest.mark.parametrize(
        ("hours", "domain"),
        [
            pytest.param(Decimal("14.5"), LegalDomain.SGB_XII, id="14.5h"),
            pytest.param(Decimal(15), LegalDomain.SGB_II, id="15h"),
            pytest.param(Decimal(30), LegalDomain.SGB_II, id="30h"),
        ],
    )
    def test_work_of_15_hours_a_week_keeps_sgb2(self, hours: Decimal, domain: LegalDomain) -> None:
        """§ 7 (4) S. 3 Nr. 2 SGB II: at least 15 hours a week on the general labour market."""
        person = in_institution(InstitutionKind.STATIONARY, weekly_work_hours=hours)
        assert evaluate(person, date(2026, 4, 15)).legal_domain is domain

    def test_unknown_hours_exclude_with_a_warning(self) -> None:
        """§ 7 (4) S. 1 and S. 3 Nr. 2 SGB II: the exception needs the hours; their lack is said."""
        decision = evaluate(in_institution(InstitutionKind.STATIONARY), date(2026, 4, 15))
        assert decision.legal_domain is LegalDomain.SGB_XII
        assert "WEEKLY_WORK_HOURS_MISSING" in decision.warning_codes

    def test_not_needy_in_institution_is_none(self) -> None:
        """§ 7 (4) S. 1 SGB II, § 19 SGB XII: excluded and not needy: no benefit at all."""
        person = in_institution(
            InstitutionKind.STATIONARY, weekly_work_hours=Decimal(0), hilfebeduerftig=False
        )
        assert evaluate(person, ADMITTED).legal_domain is LegalDomain.NONE


class TestDetention:
    def test_prison_excludes_from_the_first_day(self) -> None:
        """§ 7 (4) S. 2 SGB II: judicially ordered deprivation of liberty (BSG B 14 AS 81/09 R)."""
        decision = evaluate(in_institution(InstitutionKind.DETENTION), ADMITTED)
        assert decision.legal_domain is LegalDomain.SGB_XII
        assert "SGB2_EXCLUDED_DETENTION" in decision.reason_codes
        assert "WEEKLY_WORK_HOURS_MISSING" not in decision.warning_codes

    def test_day_release_work_does_not_help(self) -> None:
        """§ 7 (4) S. 2 SGB II: no 15-hour exception for prisoners in open custody.

        BSG 24.02.2011 - B 14 AS 81/09 R (excluded regardless of Vollzugslockerungen);
        LSG Niedersachsen-Bremen 20.06.2024 - L 11 AS 117/24.
        """
        person = in_institution(InstitutionKind.DETENTION, weekly_work_hours=Decimal(38))
        decision = evaluate(person, date(2026, 5, 4))
        assert decision.legal_domain is LegalDomain.SGB_XII
        ref = next(r.legal_ref for r in decision.reasons if r.code == "SGB2_EXCLUDED_DETENTION")
        assert "B 14 AS 81/09 R" in ref

    def test_before_detention_starts_nothing_changes(self) -> None:
        """§ 7 (4) S. 2 SGB II applies from admission; the day before, SGB II continues."""
        decision = evaluate(in_institution(InstitutionKind.DETENTION), date(2026, 3, 1))
        assert decision.legal_domain is LegalDomain.SGB_II


class TestHospital:
    def test_expected_under_six_months_keeps_sgb2(self) -> None:
        """§ 7 (4) S. 3 Nr. 1 SGB II: hospital (§ 107 SGB V) expected under six months."""
        person = in_institution(
            InstitutionKind.HOSPITAL, hospital_stay_expected_under_6_months=True
        )
        decision = evaluate(person, date(2026, 3, 20))
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "SGB2_HOSPITAL_UNDER_6_MONTHS" in decision.reason_codes

    def test_prognosis_at_admission_stands_after_six_months(self) -> None:
        """§ 7 (4) S. 3 Nr. 1 SGB II: the prognosis at admission decides, not the actual length.

        BSG 06.09.2007 - B 14/7b AS 60/06 R; BSG 12.11.2015 - B 14 AS 6/15 R.
        """
        person = make_person(
            institution=InstitutionKind.HOSPITAL,
            institution_admission_date=date(2025, 7, 1),
            hospital_stay_expected_under_6_months=True,
        )
        assert evaluate(person, date(2026, 3, 2)).legal_domain is LegalDomain.SGB_II

    def test_expected_six_months_or_more_excludes_from_admission(self) -> None:
        """§ 7 (4) S. 1, S. 3 Nr. 1 SGB II: a long prognosis excludes from the first day.

        BSG 06.09.2007 - B 14/7b AS 60/06 R (prognosis, not a waiting period).
        """
        person = in_institution(
            InstitutionKind.HOSPITAL,
            hospital_stay_expected_under_6_months=False,
            weekly_work_hours=Decimal(0),
        )
        decision = evaluate(person, ADMITTED)
        assert decision.legal_domain is LegalDomain.SGB_XII
        assert "SGB2_EXCLUDED_HOSPITAL" in decision.reason_codes

    def test_long_hospital_stay_with_15_hours_work_keeps_sgb2(self) -> None:
        """§ 7 (4) S. 3 Nr. 2 SGB II: the work exception covers every stationäre Einrichtung."""
        person = in_institution(
            InstitutionKind.HOSPITAL,
            hospital_stay_expected_under_6_months=False,
            weekly_work_hours=Decimal(20),
        )
        decision = evaluate(person, date(2026, 4, 1))
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "SGB2_INSTITUTION_WORK_15H" in decision.reason_codes

    def test_missing_prognosis_is_undetermined(self) -> None:
        """§ 7 (4) S. 3 Nr. 1 SGB II needs the prognosis; without it the answer stays open."""
        decision = evaluate(in_institution(InstitutionKind.HOSPITAL), date(2026, 3, 10))
        assert decision.legal_domain is LegalDomain.NONE
        assert {"HOSPITAL_PROGNOSIS_MISSING", "SGB2_UNDETERMINED"} <= decision.warning_codes


class TestOtherInstitutionFacts:
    def test_no_institution_stated(self) -> None:
        """§ 7 (4) SGB II does not apply when the person lives in no institution."""
        person = make_person(institution=InstitutionKind.NONE)
        decision = evaluate(person, ADMITTED)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "INSTITUTION_LEGACY_FACT" not in decision.warning_codes

    def test_legacy_fact_false_is_flagged(self) -> None:
        """§ 7 (4) S. 1 SGB II (corrected): 'not over six months' no longer settles the question."""
        decision = evaluate(make_person(inpatient_over_6_months=False), ADMITTED)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "INSTITUTION_LEGACY_FACT" in decision.warning_codes

    def test_institution_facts_travel_from_events(self) -> None:
        """§ 7 (4) S. 3 Nr. 1 SGB II: kind, admission and prognosis reach the engine from events."""
        facts = EligibilityFactsV1(
            birth_date=date(1985, 9, 12),
            nationality="GERMAN",
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
            institution="HOSPITAL",
            institution_admission_date=ADMITTED,
            hospital_stay_expected_under_6_months=False,
            weekly_work_hours=Decimal(0),
        )
        decision = evaluate(to_person_facts(facts).person, date(2026, 3, 3))
        assert decision.legal_domain is LegalDomain.SGB_XII
        assert "SGB2_EXCLUDED_HOSPITAL" in decision.reason_codes


class TestOldAgePension:
    def test_early_old_age_pension_excludes(self) -> None:
        """§ 7 (4) S. 1 SGB II: any old-age pension, also an early one at 63, before § 7a."""
        person = make_person(birth_date=date(1963, 1, 20), receives_old_age_pension=True)
        decision = evaluate(person, date(2026, 3, 2))
        assert decision.key_dates.sgb2_age_limit_date == date(2029, 11, 30)
        assert decision.legal_domain is LegalDomain.SGB_XII
        text = next(
            r.text_de for r in decision.reasons if r.code == "SGB2_EXCLUDED_OLD_AGE_PENSION"
        )
        assert "vorgezogene" in text

    def test_partial_or_foreign_pension_named_in_reason(self) -> None:
        """§ 7 (4) S. 1 SGB II: 'ähnliche Leistungen öffentlich-rechtlicher Art' count too.

        BSG 16.05.2012 - B 4 AS 105/11 R (a foreign old-age pension).
        """
        person = make_person(receives_old_age_pension=True, hilfebeduerftig=False)
        decision = evaluate(person, date(2026, 3, 2))
        assert decision.legal_domain is LegalDomain.NONE
        text = next(
            r.text_de for r in decision.reasons if r.code == "SGB2_EXCLUDED_OLD_AGE_PENSION"
        )
        assert "Teil" in text
        assert "ähnliche öffentlich-rechtliche Leistung" in text
