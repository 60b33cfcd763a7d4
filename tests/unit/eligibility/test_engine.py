"""Engine: worked examples of domain.md §4.4 (#1, #2, #8, #11) and the versioned rule sets."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.decision import LegalDomain, OrgType
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import (
    Alg1Facts,
    AsylumDecision,
    AsylumDecisionKind,
    Nationality,
    PersonFacts,
    ResidenceStatus,
)
from eligibility_api.domain.rulesets import NoRuleSetError, list_rulesets, ruleset_for


def example_1() -> PersonFacts:
    # 54 at the claim start; ALG I of 1,600 € covers the 1,000 € need until it ends
    return PersonFacts(
        birth_date=date(1970, 6, 1),
        nationality=Nationality.GERMAN,
        erwerbsfaehig=True,
        habitual_residence_de=True,
        household_monthly_need_eur=Decimal(1000),
        household_monthly_income_eur=Decimal(0),
        alg1=Alg1Facts(date(2025, 2, 1), 30, 30, monthly_amount_eur=Decimal(1600)),
    )


class TestWorkedExamples:
    def test_example_1_during_alg1(self) -> None:
        decision = evaluate(example_1(), date(2025, 2, 1))
        assert decision.legal_domain is LegalDomain.SGB_III
        assert decision.responsible_org_type is OrgType.AGENTUR
        assert decision.parallel_entitlements == ()
        kd = decision.key_dates
        assert (kd.alg1_entitlement_days, kd.alg1_end_date) == (450, date(2026, 4, 30))
        assert kd.info_session_invitation_date == date(2026, 1, 30)
        assert kd.responsibility_change_date == date(2026, 5, 1)
        duration = next(r for r in decision.reasons if r.code == "ALG1_ENTITLEMENT_DURATION")
        assert "15 Monate (450 Tage)" in duration.text_de
        assert duration.legal_ref == "§ 147 Abs. 1 und 2 SGB III"

    def test_example_1_after_alg1_is_sgb2_buergergeld(self) -> None:
        decision = evaluate(example_1(), date(2026, 5, 1))
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.responsible_org_type is OrgType.JOBCENTER
        assert decision.integration_responsible_org_type is OrgType.JOBCENTER
        assert decision.rules_version == "sgb2-buergergeld-2023"
        assert decision.key_dates.alg1_remaining_days == 0
        entitled = next(r for r in decision.reasons if r.code == "SGB2_ENTITLED")
        assert "Bürgergeld" in entitled.text_de
        assert {"ALG1_EXHAUSTED", "SGB2_INTEGRATION_PLAN"} <= decision.reason_codes

    def test_example_1_last_alg1_day(self) -> None:
        assert evaluate(example_1(), date(2026, 4, 30)).legal_domain is LegalDomain.SGB_III

    def test_example_2_age_at_claim_start_counts(self) -> None:
        person = PersonFacts(
            birth_date=date(1975, 6, 8),
            alg1=Alg1Facts(date(2025, 6, 1), 30, 30),
        )
        decision = evaluate(person, date(2025, 6, 1))
        kd = decision.key_dates
        assert (kd.alg1_entitlement_days, kd.alg1_end_date) == (360, date(2026, 5, 31))

    @pytest.mark.parametrize(
        ("as_of", "domain", "org", "integration"),
        [
            pytest.param(
                date(2026, 3, 31),
                LegalDomain.ASYLBLG,
                OrgType.SOCIAL_OFFICE,
                OrgType.AGENTUR,
                id="m",
            ),
            pytest.param(
                date(2026, 4, 1), LegalDomain.SGB_II, OrgType.JOBCENTER, OrgType.JOBCENTER, id="m+1"
            ),
        ],
    )
    def test_example_8_art_16a_muenster(
        self, as_of: date, domain: LegalDomain, org: OrgType, integration: OrgType
    ) -> None:
        person = PersonFacts(
            birth_date=date(1990, 1, 1),
            nationality=Nationality.THIRD_COUNTRY,
            entry_date=date(2024, 5, 1),
            residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG,
            asylum_decision=AsylumDecision(
                AsylumDecisionKind.ASYL_16A, date(2026, 3, 25), final_date=date(2026, 3, 25)
            ),
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
        )
        decision = evaluate(person, as_of)
        assert (
            decision.legal_domain,
            decision.responsible_org_type,
            decision.integration_responsible_org_type,
        ) == (domain, org, integration)
        kd = decision.key_dates
        assert kd.asylblg_end_date == date(2026, 3, 31)
        assert kd.sgb2_start_date == date(2026, 4, 1)
        assert kd.responsibility_change_date == date(2026, 4, 1)
        start = next(r for r in decision.reasons if r.code == "REFUGEE_SGB2_START")
        assert "Integrationsplanung der Agentur wird fortgeführt" in start.text_de

    @pytest.mark.parametrize(
        ("as_of", "codes"),
        [
            pytest.param(
                date(2026, 3, 2),
                {"SGB2_EXCLUDED_FIRST_3_MONTHS", "SGB2_EXCLUDED_JOB_SEEKING"},
                id="both",
            ),
            pytest.param(date(2026, 4, 30), {"SGB2_EXCLUDED_FIRST_3_MONTHS"}, id="3m-last-day"),
            pytest.param(date(2026, 5, 1), {"SGB2_EXCLUDED_JOB_SEEKING"}, id="nr2-only"),
        ],
    )
    def test_example_11_eu_job_seeker(self, as_of: date, codes: set[str]) -> None:
        person = PersonFacts(
            birth_date=date(1998, 9, 9),
            nationality=Nationality.EU,
            entry_date=date(2026, 2, 1),
            residence_status=ResidenceStatus.EU_JOB_SEEKER,
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is LegalDomain.NONE
        assert decision.responsible_org_type is OrgType.NONE
        assert decision.integration_responsible_org_type is OrgType.AGENTUR
        assert codes | {"AGENTUR_JOB_SEEKER"} <= decision.reason_codes
        assert "SGB2_ENTITLED" not in decision.reason_codes


class TestRuleSets:
    @pytest.mark.parametrize(
        ("day", "version"),
        [
            pytest.param(date(2020, 1, 1), "sgb2-alg2-2020", id="2020-first"),
            pytest.param(date(2022, 12, 31), "sgb2-alg2-2020", id="2022-last"),
            pytest.param(date(2023, 1, 1), "sgb2-buergergeld-2023", id="2023-first"),
            pytest.param(date(2024, 2, 29), "sgb2-buergergeld-2023", id="leap-day"),
            pytest.param(date(2026, 6, 30), "sgb2-buergergeld-2023", id="2026-06-30"),
            pytest.param(date(2026, 7, 1), "sgb2-grundsicherung-2026", id="2026-07-01"),
            pytest.param(date(2030, 1, 1), "sgb2-grundsicherung-2026", id="open-end"),
        ],
    )
    def test_ruleset_for(self, day: date, version: str) -> None:
        assert ruleset_for(day).version == version
        assert evaluate(PersonFacts(), day).rules_version == version

    def test_before_first_version(self) -> None:
        with pytest.raises(NoRuleSetError):
            ruleset_for(date(2019, 12, 31))
        decision = evaluate(PersonFacts(), date(2019, 12, 31))
        assert decision.rules_version == "sgb2-alg2-2020"
        assert "RULESET_OUT_OF_RANGE" in decision.warning_codes

    def test_versions_are_contiguous_and_documented(self) -> None:
        rulesets = list_rulesets()
        assert len({r.version for r in rulesets}) == len(rulesets) >= 3
        for earlier, later in itertools.pairwise(rulesets):
            assert earlier.valid_to is not None
            assert (later.valid_from - earlier.valid_to).days == 1
        assert all(r.sources and r.notes for r in rulesets)
        assert [r.uncertain for r in rulesets] == [False, False, True]

    @pytest.mark.parametrize(
        ("day", "plan_text", "priority_ref"),
        [
            pytest.param(
                date(2022, 12, 31),
                "Eingliederungsvereinbarung",
                "§ 3 Abs. 1 S. 3 SGB II a. F.",
                id="alg2",
            ),
            pytest.param(date(2023, 6, 30), "Eingliederungsvereinbarung", None, id="2023-h1"),
            pytest.param(date(2023, 7, 1), "Kooperationsplan (§ 15 SGB II)", None, id="2023-h2"),
            pytest.param(
                date(2026, 7, 1), "persönlichem Angebot", "§ 3a SGB II n. F.", id="grundsicherung"
            ),
        ],
    )
    def test_plan_and_placement_priority_by_version(
        self, day: date, plan_text: str, priority_ref: str | None
    ) -> None:
        person = PersonFacts(
            birth_date=date(1980, 1, 1),
            nationality=Nationality.GERMAN,
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
        )
        decision = evaluate(person, day)
        plan = next(r for r in decision.reasons if r.code == "SGB2_INTEGRATION_PLAN")
        assert plan_text in plan.text_de
        refs = [r.legal_ref for r in decision.reasons if r.code == "SGB2_PLACEMENT_PRIORITY"]
        assert refs == ([priority_ref] if priority_ref else [])
        assert ("RULESET_UNSURE" in decision.warning_codes) is (day >= date(2026, 7, 1))

    def test_handover_names_benefit_of_the_switch_day(self) -> None:
        person = PersonFacts(birth_date=date(1980, 1, 1), alg1=Alg1Facts(date(2025, 7, 1), 24, 24))
        decision = evaluate(person, date(2026, 3, 2))
        assert decision.key_dates.alg1_end_date == date(2026, 6, 30)
        change = next(r for r in decision.reasons if r.code == "RESPONSIBILITY_CHANGE")
        assert "01.07.2026" in change.text_de
        assert "Grundsicherungsgeld" in change.text_de


class TestEngineDetails:
    def test_info_session_lead_is_configurable(self) -> None:
        decision = evaluate(example_1(), date(2025, 6, 1), RuleConfig(info_session_lead_days=60))
        assert decision.key_dates.info_session_invitation_date == date(2026, 3, 1)

    @pytest.mark.parametrize(
        ("birth", "u25"),
        [
            pytest.param(date(2001, 3, 2), False, id="25th-birthday"),
            pytest.param(date(2001, 3, 3), True, id="day-before-25"),
            pytest.param(date(2011, 3, 2), True, id="15th-birthday"),
        ],
    )
    def test_u25_notes(self, birth: date, u25: bool) -> None:
        person = PersonFacts(
            birth_date=birth,
            nationality=Nationality.GERMAN,
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
        )
        decision = evaluate(person, date(2026, 3, 2))
        assert decision.legal_domain is LegalDomain.SGB_II
        assert ("U25_CAREER_GUIDANCE" in decision.reason_codes) is u25
        assert ("U25_JOINT_CASE_MANAGEMENT" in decision.reason_codes) is u25

    def test_reasons_are_german_with_legal_refs(self) -> None:
        decision = evaluate(example_1(), date(2025, 2, 1))
        for reason in decision.reasons:
            assert reason.code.isupper()
            assert " " not in reason.code
            assert reason.text_de.endswith(".")
            assert reason.legal_ref
