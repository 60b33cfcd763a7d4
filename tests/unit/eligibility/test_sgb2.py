"""§ 7 SGB II: age limits, hilfebedürftigkeit, erwerbsfähigkeit, residence and every exclusion."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from eligibility_api.domain.age_limit import regelaltersgrenze_months
from eligibility_api.domain.decision import LegalDomain, OrgType
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import (
    Alg1Facts,
    Nationality,
    PersonFacts,
    ResidenceStatus,
)
from eligibility_api.domain.sgb2 import age_limit_date

AS_OF = date(2026, 3, 2)


def make_person(**overrides: object) -> PersonFacts:
    base = PersonFacts(
        birth_date=date(1990, 5, 20),
        nationality=Nationality.GERMAN,
        erwerbsfaehig=True,
        hilfebeduerftig=True,
        habitual_residence_de=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


class TestAgeLimit:
    @pytest.mark.parametrize(
        ("birth", "limit"),
        [
            pytest.param(date(1946, 12, 31), date(2011, 12, 31), id="1946-65y"),
            pytest.param(date(1947, 5, 15), date(2012, 6, 30), id="1947-65y1m"),
            pytest.param(date(1958, 5, 15), date(2024, 5, 31), id="1958-66y"),
            pytest.param(date(1959, 5, 15), date(2025, 7, 31), id="1959-66y2m"),
            pytest.param(date(1960, 5, 15), date(2026, 9, 30), id="1960-66y4m"),
            pytest.param(date(1963, 5, 15), date(2030, 3, 31), id="1963-66y10m"),
            pytest.param(date(1964, 5, 15), date(2031, 5, 31), id="1964-67y"),
            # born on the 1st: the age is completed on the last day of the previous month
            pytest.param(date(1960, 3, 1), date(2026, 6, 30), id="1960-born-1st"),
            pytest.param(date(1964, 1, 1), date(2030, 12, 31), id="1964-born-1-jan"),
            pytest.param(date(1960, 2, 29), date(2026, 6, 30), id="1960-born-29-feb"),
            pytest.param(date(1964, 2, 29), date(2031, 2, 28), id="1964-born-29-feb"),
            pytest.param(date(1956, 10, 31), date(2022, 8, 31), id="1956-born-31st"),
        ],
    )
    def test_7a_limit_date(self, birth: date, limit: date) -> None:
        assert age_limit_date(birth) == limit

    @pytest.mark.parametrize(
        ("year", "months"),
        [(1946, 780), (1952, 786), (1958, 792), (1960, 796), (1963, 802), (1964, 804), (1990, 804)],
        ids=["1946", "1952", "1958", "1960", "1963", "1964", "1990"],
    )
    def test_7a_table(self, year: int, months: int) -> None:
        assert regelaltersgrenze_months(year) == months

    @pytest.mark.parametrize(
        ("as_of", "domain"),
        [
            pytest.param(date(2026, 9, 30), LegalDomain.SGB_II, id="last-day-sgb2"),
            pytest.param(date(2026, 10, 1), LegalDomain.SGB_XII, id="day-after-sgb12"),
        ],
    )
    def test_limit_reached_at_month_end(self, as_of: date, domain: LegalDomain) -> None:
        decision = evaluate(make_person(birth_date=date(1960, 5, 15)), as_of)
        assert decision.legal_domain is domain
        assert decision.key_dates.sgb2_age_limit_date == date(2026, 9, 30)

    @pytest.mark.parametrize(
        ("birth", "as_of", "domain"),
        [
            pytest.param(
                date(2011, 3, 10), date(2026, 3, 9), LegalDomain.SGB_XII, id="day-before-15"
            ),
            pytest.param(
                date(2011, 3, 10), date(2026, 3, 10), LegalDomain.SGB_II, id="15th-birthday"
            ),
            pytest.param(
                date(2008, 2, 29), date(2023, 2, 28), LegalDomain.SGB_XII, id="leap-feb28"
            ),
            pytest.param(date(2008, 2, 29), date(2023, 3, 1), LegalDomain.SGB_II, id="leap-mar1"),
        ],
    )
    def test_minimum_age_15(self, birth: date, as_of: date, domain: LegalDomain) -> None:
        person = make_person(birth_date=birth, lives_with_erwerbsfaehig_person=False)
        assert evaluate(person, as_of).legal_domain is domain


class TestHilfebeduerftigkeit:
    @pytest.mark.parametrize(
        ("need", "income", "as_of", "domain", "parallel"),
        [
            # Aufstocker: 900 € ALG I below 1,200 € need
            pytest.param(
                1200,
                0,
                date(2025, 6, 1),
                LegalDomain.SGB_III,
                ("SGB_III", "SGB_II"),
                id="aufstocker",
            ),
            pytest.param(900, 0, date(2025, 6, 1), LegalDomain.SGB_III, (), id="alg-covers-need"),
            # ALG I ends 31 Dec 2025; without it 900 € need is uncovered
            pytest.param(900, 0, date(2026, 1, 1), LegalDomain.SGB_II, (), id="after-alg-end"),
            pytest.param(900, 950, date(2026, 1, 1), LegalDomain.NONE, (), id="income-covers"),
        ],
    )
    def test_need_vs_income_including_alg1(
        self,
        need: int,
        income: int,
        as_of: date,
        domain: LegalDomain,
        parallel: tuple[str, ...],
    ) -> None:
        alg1 = Alg1Facts(date(2025, 1, 1), 24, 24, monthly_amount_eur=Decimal(900))
        person = make_person(
            hilfebeduerftig=None,
            household_monthly_need_eur=Decimal(need),
            household_monthly_income_eur=Decimal(income),
            alg1=alg1,
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain
        assert tuple(d.value for d in decision.parallel_entitlements) == parallel

    def test_aufstocker_integration_stays_with_agentur(self) -> None:
        alg1 = Alg1Facts(date(2025, 1, 1), 24, 24, monthly_amount_eur=Decimal(700))
        person = make_person(
            hilfebeduerftig=None,
            household_monthly_need_eur=Decimal("1100.50"),
            household_monthly_income_eur=Decimal(0),
            alg1=alg1,
        )
        decision = evaluate(person, date(2025, 6, 1))
        assert decision.responsible_org_type is OrgType.AGENTUR
        assert decision.integration_responsible_org_type is OrgType.AGENTUR
        assert "AUFSTOCKER" in decision.reason_codes
        text = next(r.text_de for r in decision.reasons if r.code == "SGB2_HILFEBEDUERFTIG")
        assert "1.100,50 €" in text
        assert "700,00 €" in text


class TestExclusions:
    @pytest.mark.parametrize(
        ("overrides", "domain", "org", "integration", "code"),
        [
            pytest.param(
                {"receives_old_age_pension": True},
                LegalDomain.SGB_XII,
                OrgType.SOCIAL_OFFICE,
                OrgType.NONE,
                "SGB2_EXCLUDED_OLD_AGE_PENSION",
                id="old-age-pension",
            ),
            pytest.param(
                {"receives_old_age_pension": True, "hilfebeduerftig": False},
                LegalDomain.NONE,
                OrgType.NONE,
                OrgType.NONE,
                "SGB2_EXCLUDED_OLD_AGE_PENSION",
                id="pension-not-needy",
            ),
            pytest.param(
                {"inpatient_over_6_months": True},
                LegalDomain.SGB_XII,
                OrgType.SOCIAL_OFFICE,
                OrgType.NONE,
                "SGB2_EXCLUDED_INPATIENT",
                id="inpatient",
            ),
            pytest.param(
                {"training_bafoeg_eligible": True},
                LegalDomain.NONE,
                OrgType.NONE,
                OrgType.AGENTUR,
                "SGB2_EXCLUDED_TRAINING",
                id="bafoeg-training",
            ),
            pytest.param(
                {"erwerbsfaehig": False, "lives_with_erwerbsfaehig_person": False},
                LegalDomain.SGB_XII,
                OrgType.SOCIAL_OFFICE,
                OrgType.NONE,
                "SGB2_NOT_ERWERBSFAEHIG",
                id="not-erwerbsfaehig",
            ),
            pytest.param(
                {"erwerbsfaehig": False, "lives_with_erwerbsfaehig_person": True},
                LegalDomain.SGB_II,
                OrgType.JOBCENTER,
                OrgType.NONE,
                "SGB2_NON_ERWERBSFAEHIG_IN_BG",
                id="para-23-in-bg",
            ),
            pytest.param(
                {"birth_date": date(2016, 1, 1), "lives_with_erwerbsfaehig_person": True},
                LegalDomain.SGB_II,
                OrgType.JOBCENTER,
                OrgType.NONE,
                "SGB2_NON_ERWERBSFAEHIG_IN_BG",
                id="child-in-bg",
            ),
            pytest.param(
                {"habitual_residence_de": False},
                LegalDomain.NONE,
                OrgType.NONE,
                OrgType.NONE,
                "SGB2_NO_HABITUAL_RESIDENCE",
                id="no-habitual-residence",
            ),
            pytest.param(
                {"hilfebeduerftig": False},
                LegalDomain.NONE,
                OrgType.NONE,
                OrgType.AGENTUR,
                "AGENTUR_JOB_SEEKER",
                id="not-needy-job-seeker",
            ),
        ],
    )
    def test_exclusion(
        self,
        overrides: dict[str, object],
        domain: LegalDomain,
        org: OrgType,
        integration: OrgType,
        code: str,
    ) -> None:
        decision = evaluate(make_person(**overrides), AS_OF)
        assert (
            decision.legal_domain,
            decision.responsible_org_type,
            decision.integration_responsible_org_type,
        ) == (domain, org, integration)
        assert code in decision.reason_codes

    @pytest.mark.parametrize(
        ("benefit_day", "name"),
        [
            pytest.param(date(2026, 6, 30), "Bürgergeld für nicht erwerbsfähige", id="2023-name"),
            pytest.param(
                date(2026, 7, 1), "Grundsicherungsgeld für nicht erwerbsfähige", id="2026"
            ),
        ],
    )
    def test_para_23_benefit_name_by_version(self, benefit_day: date, name: str) -> None:
        person = make_person(erwerbsfaehig=False, lives_with_erwerbsfaehig_person=True)
        decision = evaluate(person, benefit_day)
        text = next(r.text_de for r in decision.reasons if r.code == "SGB2_NON_ERWERBSFAEHIG_IN_BG")
        assert name in text


class TestForeigners:
    @pytest.mark.parametrize(
        ("nationality", "status", "entry", "as_of", "domain", "code"),
        [
            # Nr. 1: entry 10 Jan 2026, first three months run to 9 Apr 2026
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
                date(2026, 1, 10),
                date(2026, 4, 9),
                LegalDomain.NONE,
                "SGB2_EXCLUDED_FIRST_3_MONTHS",
                id="nr1-last-day",
            ),
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
                date(2026, 1, 10),
                date(2026, 4, 10),
                LegalDomain.SGB_II,
                "SGB2_ENTITLED",
                id="nr1-over",
            ),
            # entry 30 Nov: no 30 Feb, so the three months end on 28 Feb (§ 188 (3) BGB)
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
                date(2025, 11, 30),
                date(2026, 2, 28),
                LegalDomain.NONE,
                "SGB2_EXCLUDED_FIRST_3_MONTHS",
                id="nr1-feb-end",
            ),
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.RESIDENCE_PERMIT_FAMILY,
                date(2025, 11, 30),
                date(2026, 3, 1),
                LegalDomain.SGB_II,
                "SGB2_ENTITLED",
                id="nr1-feb-end-over",
            ),
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.AUFENTHG_25_2_FLUECHTLING,
                date(2026, 2, 1),
                date(2026, 3, 2),
                LegalDomain.SGB_II,
                "SGB2_ENTITLED",
                id="nr1-humanitarian-exempt",
            ),
            pytest.param(
                Nationality.EU,
                ResidenceStatus.EU_WORKER,
                date(2026, 2, 1),
                date(2026, 2, 15),
                LegalDomain.SGB_II,
                "SGB2_ENTITLED",
                id="nr1-eu-worker-exempt",
            ),
            # Nr. 2 with the five-year rule of § 7 (1) S. 4
            pytest.param(
                Nationality.EU,
                ResidenceStatus.EU_JOB_SEEKER,
                date(2020, 1, 1),
                date(2024, 12, 31),
                LegalDomain.NONE,
                "SGB2_EXCLUDED_JOB_SEEKING",
                id="nr2-4y-364d",
            ),
            pytest.param(
                Nationality.EU,
                ResidenceStatus.EU_JOB_SEEKER,
                date(2020, 1, 1),
                date(2025, 1, 1),
                LegalDomain.SGB_II,
                "SGB2_FIVE_YEAR_RESIDENCE",
                id="nr2-5-years",
            ),
            pytest.param(
                Nationality.EU,
                ResidenceStatus.EU_PERMANENT_RESIDENCE,
                date(2010, 1, 1),
                date(2026, 3, 2),
                LegalDomain.SGB_II,
                "SGB2_ENTITLED",
                id="eu-permanent",
            ),
            pytest.param(
                Nationality.EU,
                ResidenceStatus.NONE,
                date(2024, 1, 1),
                date(2026, 3, 2),
                LegalDomain.NONE,
                "SGB2_EXCLUDED_NO_RIGHT_OF_RESIDENCE",
                id="nr2-no-right",
            ),
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.RESIDENCE_PERMIT_JOB_SEARCH,
                date(2025, 6, 1),
                date(2026, 3, 2),
                LegalDomain.NONE,
                "SGB2_EXCLUDED_JOB_SEEKING",
                id="nr2-para-20-job-search",
            ),
            pytest.param(
                Nationality.THIRD_COUNTRY,
                ResidenceStatus.SETTLEMENT_PERMIT,
                date(2015, 6, 1),
                date(2026, 3, 2),
                LegalDomain.SGB_II,
                "SGB2_ENTITLED",
                id="settlement-permit",
            ),
        ],
    )
    def test_foreigner_rules(
        self,
        nationality: Nationality,
        status: ResidenceStatus,
        entry: date,
        as_of: date,
        domain: LegalDomain,
        code: str,
    ) -> None:
        # registered with the Meldebehörde on the day of entry (§ 7 (1) S. 5 SGB II)
        person = make_person(
            nationality=nationality,
            residence_status=status,
            entry_date=entry,
            registered_since=entry,
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain
        assert code in decision.reason_codes


class TestMissingFacts:
    def test_empty_facts_never_crash(self) -> None:
        decision = evaluate(PersonFacts(), AS_OF)
        assert decision.legal_domain is LegalDomain.NONE
        assert {"BIRTH_DATE_MISSING", "NATIONALITY_MISSING", "SGB2_UNDETERMINED"} <= (
            decision.warning_codes
        )

    @pytest.mark.parametrize(
        ("overrides", "warning"),
        [
            pytest.param({"erwerbsfaehig": None}, "ERWERBSFAEHIGKEIT_UNKNOWN", id="erwerbsfaehig"),
            pytest.param({"hilfebeduerftig": None}, "HILFEBEDUERFTIGKEIT_UNKNOWN", id="need"),
            pytest.param({"habitual_residence_de": None}, "HABITUAL_RESIDENCE_UNKNOWN", id="resid"),
            pytest.param(
                {"nationality": Nationality.EU, "residence_status": None, "entry_date": None},
                "RESIDENCE_STATUS_MISSING",
                id="eu-status",
            ),
        ],
    )
    def test_one_missing_fact_gives_none_with_warning(
        self, overrides: dict[str, object], warning: str
    ) -> None:
        decision = evaluate(make_person(**overrides), AS_OF)
        assert decision.legal_domain is LegalDomain.NONE
        assert {warning, "SGB2_UNDETERMINED"} <= decision.warning_codes
