"""Refugees (domain.md §1.3): AsylbLG or SGB II by title, AsylbLG end, SGB II start, Ukraine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from eligibility_api.domain.config import ProtectionStartRule, RuleConfig, UkraineLragMode
from eligibility_api.domain.decision import LegalDomain, OrgType
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import (
    AsylumDecision,
    AsylumDecisionKind,
    Nationality,
    PersonFacts,
    ResidenceStatus,
)


def make_refugee(**overrides: object) -> PersonFacts:
    base = PersonFacts(
        birth_date=date(1994, 8, 3),
        nationality=Nationality.THIRD_COUNTRY,
        entry_date=date(2024, 1, 15),
        erwerbsfaehig=True,
        hilfebeduerftig=True,
        habitual_residence_de=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


class TestStatusTable:
    @pytest.mark.parametrize(
        ("status", "domain", "integration"),
        [
            (ResidenceStatus.AUFENTHALTSGESTATTUNG, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.DULDUNG, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.VOLLZIEHBAR_AUSREISEPFLICHTIG, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.FOLGEANTRAG, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.AUFENTHG_25_4_S1, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.AUFENTHG_23_1_WAR, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.AUFENTHG_24_WAR, LegalDomain.ASYLBLG, OrgType.AGENTUR),
            (ResidenceStatus.AUFENTHG_25_1_ASYL, LegalDomain.SGB_II, OrgType.JOBCENTER),
            (ResidenceStatus.AUFENTHG_25_2_FLUECHTLING, LegalDomain.SGB_II, OrgType.JOBCENTER),
            (ResidenceStatus.AUFENTHG_25_2_SUBSIDIAER, LegalDomain.SGB_II, OrgType.JOBCENTER),
            (
                ResidenceStatus.AUFENTHG_25_3_ABSCHIEBUNGSVERBOT,
                LegalDomain.SGB_II,
                OrgType.JOBCENTER,
            ),
        ],
        ids=lambda v: v.value if isinstance(v, ResidenceStatus) else None,
    )
    def test_row(self, status: ResidenceStatus, domain: LegalDomain, integration: OrgType) -> None:
        decision = evaluate(make_refugee(residence_status=status), date(2026, 3, 2))
        assert decision.legal_domain is domain
        assert decision.integration_responsible_org_type is integration

    def test_protection_title_not_needy_is_none(self) -> None:
        person = make_refugee(
            residence_status=ResidenceStatus.AUFENTHG_25_2_FLUECHTLING, hilfebeduerftig=False
        )
        assert evaluate(person, date(2026, 3, 2)).legal_domain is LegalDomain.NONE

    def test_protection_title_not_erwerbsfaehig_is_sgb12(self) -> None:
        person = make_refugee(
            residence_status=ResidenceStatus.AUFENTHG_25_1_ASYL,
            erwerbsfaehig=False,
            lives_with_erwerbsfaehig_person=False,
        )
        assert evaluate(person, date(2026, 3, 2)).legal_domain is LegalDomain.SGB_XII

    @pytest.mark.parametrize(
        ("suspended", "as_of", "domain", "asylblg_end"),
        [
            # 18 months reached 15 Mar 2026: AsylbLG to the end of March
            pytest.param(
                date(2024, 9, 15),
                date(2026, 3, 31),
                LegalDomain.ASYLBLG,
                date(2026, 3, 31),
                id="m-end",
            ),
            pytest.param(
                date(2024, 9, 15), date(2026, 4, 1), LegalDomain.SGB_II, date(2026, 3, 31), id="m+1"
            ),
            pytest.param(
                date(2024, 10, 1),
                date(2026, 4, 1),
                LegalDomain.ASYLBLG,
                date(2026, 4, 30),
                id="1st",
            ),
        ],
    )
    def test_25_5_after_18_months(
        self, suspended: date, as_of: date, domain: LegalDomain, asylblg_end: date
    ) -> None:
        person = make_refugee(
            residence_status=ResidenceStatus.AUFENTHG_25_5, deportation_suspended_date=suspended
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain
        assert decision.key_dates.asylblg_end_date == asylblg_end


class TestAsylumDecision:
    @pytest.mark.parametrize(
        ("decided", "final", "as_of", "domain", "start"),
        [
            pytest.param(
                date(2026, 3, 25),
                date(2026, 3, 25),
                date(2026, 3, 31),
                LegalDomain.ASYLBLG,
                date(2026, 4, 1),
                id="m-end",
            ),
            pytest.param(
                date(2026, 3, 25),
                date(2026, 3, 25),
                date(2026, 4, 1),
                LegalDomain.SGB_II,
                date(2026, 4, 1),
                id="next-1st",
            ),
            # no special month-of-recognition rule any more: the month of finality counts
            pytest.param(
                date(2026, 3, 25),
                date(2026, 4, 9),
                date(2026, 4, 1),
                LegalDomain.ASYLBLG,
                date(2026, 5, 1),
                id="final-next-month",
            ),
            pytest.param(
                date(2024, 2, 12),
                date(2024, 2, 29),
                date(2024, 3, 1),
                LegalDomain.SGB_II,
                date(2024, 3, 1),
                id="leap",
            ),
        ],
    )
    def test_art_16a(
        self,
        decided: date,
        final: date,
        as_of: date,
        domain: LegalDomain,
        start: date,
    ) -> None:
        """Art. 16a GG is no longer special: AsylbLG ends with the month of finality.

        § 1 (3) AsylbLG with § 67 (1) AsylG (the Aufenthaltsgestattung ends when the decision
        becomes final); the removed Art. 16a rule is flagged.
        """
        decision_facts = AsylumDecision(AsylumDecisionKind.ASYL_16A, decided, final_date=final)
        person = make_refugee(
            residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG, asylum_decision=decision_facts
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain
        assert decision.key_dates.sgb2_start_date == start
        removed = [w for w in decision.warnings if w.code == "ASYLBLG_16A_RULE_REMOVED_UNSURE"]
        assert len(removed) == 1
        assert removed[0].uncertain

    @pytest.mark.parametrize(
        ("rule", "asylblg_end"),
        [
            pytest.param(ProtectionStartRule.SERVICE_MONTH_END, date(2026, 4, 30), id="service"),
            pytest.param(ProtectionStartRule.DECISION_MONTH_END, date(2026, 3, 31), id="decision"),
            pytest.param(ProtectionStartRule.FINALITY_MONTH_END, date(2026, 4, 30), id="final"),
            pytest.param(ProtectionStartRule.PERMIT_ISSUED_MONTH_END, date(2026, 5, 31), id="eAT"),
            pytest.param(
                ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END, date(2026, 4, 30), id="earlier"
            ),
        ],
    )
    @pytest.mark.parametrize(
        "kind",
        [
            AsylumDecisionKind.FLUECHTLING_3,
            AsylumDecisionKind.SUBSIDIAER_4,
            AsylumDecisionKind.ABSCHIEBUNGSVERBOT_60,
        ],
        ids=lambda k: k.value,
    )
    def test_configurable_start_rule(
        self, kind: AsylumDecisionKind, rule: ProtectionStartRule, asylblg_end: date
    ) -> None:
        bamf = AsylumDecision(
            kind,
            decision_date=date(2026, 3, 25),
            served_date=date(2026, 4, 2),
            final_date=date(2026, 4, 16),
            permit_issued_date=date(2026, 5, 20),
        )
        person = make_refugee(
            residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG, asylum_decision=bamf
        )
        decision = evaluate(person, date(2026, 4, 10), RuleConfig(protection_start_rule=rule))
        assert decision.key_dates.asylblg_end_date == asylblg_end
        assert decision.key_dates.responsibility_change_date == date(
            asylblg_end.year, asylblg_end.month + 1, 1
        )
        unsure = [w for w in decision.warnings if w.code == "REFUGEE_PROTECTION_START_UNSURE"]
        assert len(unsure) == 1
        assert unsure[0].uncertain

    def test_missing_service_date_falls_back_to_decision(self) -> None:
        """The configurable service reading falls back to the decision date, flagged.

        § 1 (3) AsylbLG; SERVICE_MONTH_END is not the statute's reading (§ 67 (1) AsylG).
        """
        bamf = AsylumDecision(AsylumDecisionKind.FLUECHTLING_3, decision_date=date(2026, 1, 20))
        service = RuleConfig(protection_start_rule=ProtectionStartRule.SERVICE_MONTH_END)
        decision = evaluate(make_refugee(asylum_decision=bamf), date(2026, 2, 1), service)
        assert decision.key_dates.sgb2_start_date == date(2026, 2, 1)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "REFUGEE_PROTECTION_DATE_FALLBACK" in decision.warning_codes

    def test_default_never_falls_back_to_the_decision_date(self) -> None:
        """By default AsylbLG ends only with finality or the title (§ 1 (3) AsylbLG, § 67 AsylG).

        A decision of 20 Jan 2026 without finality or title keeps AsylbLG through January; on
        1 Feb 2026 the end is open, not guessed from the decision date.
        """
        bamf = AsylumDecision(AsylumDecisionKind.FLUECHTLING_3, decision_date=date(2026, 1, 20))
        person = make_refugee(asylum_decision=bamf)
        in_month = evaluate(person, date(2026, 1, 31))
        after = evaluate(person, date(2026, 2, 1))
        assert in_month.legal_domain is LegalDomain.ASYLBLG
        assert after.legal_domain is LegalDomain.NONE
        assert after.key_dates.sgb2_start_date is None
        assert "REFUGEE_FINALITY_DATE_MISSING" in after.warning_codes
        assert "REFUGEE_PROTECTION_DATE_FALLBACK" not in after.warning_codes

    def test_no_dates_at_all_is_undetermined(self) -> None:
        """Neither finality nor title nor decision date: the AsylbLG end is open (§ 1 (3))."""
        bamf = AsylumDecision(AsylumDecisionKind.SUBSIDIAER_4)
        decision = evaluate(make_refugee(asylum_decision=bamf), date(2026, 2, 1))
        assert decision.legal_domain is LegalDomain.NONE
        assert "REFUGEE_FINALITY_DATE_MISSING" in decision.warning_codes
        service = RuleConfig(protection_start_rule=ProtectionStartRule.SERVICE_MONTH_END)
        decision = evaluate(make_refugee(asylum_decision=bamf), date(2026, 2, 1), service)
        assert decision.legal_domain is LegalDomain.NONE
        assert "REFUGEE_DECISION_DATE_MISSING" in decision.warning_codes

    def test_rejected_stays_asylblg(self) -> None:
        bamf = AsylumDecision(AsylumDecisionKind.ABGELEHNT, decision_date=date(2026, 1, 20))
        person = make_refugee(
            residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG, asylum_decision=bamf
        )
        decision = evaluate(person, date(2026, 3, 2))
        assert decision.legal_domain is LegalDomain.ASYLBLG
        assert decision.responsible_org_type is OrgType.SOCIAL_OFFICE

    def test_grundsicherungsgeld_after_switch(self) -> None:
        bamf = AsylumDecision(
            AsylumDecisionKind.ASYL_16A,
            decision_date=date(2026, 6, 15),
            final_date=date(2026, 6, 30),
        )
        decision = evaluate(make_refugee(asylum_decision=bamf), date(2026, 7, 1))
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.rules_version == "sgb2-grundsicherung-2026"
        entitled = next(r for r in decision.reasons if r.code == "SGB2_ENTITLED")
        assert "Grundsicherungsgeld" in entitled.text_de


class TestUkraine:
    @pytest.mark.parametrize(
        ("granted", "approval_end", "as_of", "domain", "warning"),
        [
            pytest.param(
                date(2025, 3, 31),
                None,
                date(2026, 10, 1),
                LegalDomain.SGB_II,
                None,
                id="cutoff-day",
            ),
            pytest.param(
                date(2025, 4, 1),
                None,
                date(2026, 6, 30),
                LegalDomain.SGB_II,
                "UKRAINE_LRAG_PLANNED_UNSURE",
                id="before-lrag",
            ),
            pytest.param(
                date(2025, 4, 1),
                None,
                date(2026, 7, 1),
                LegalDomain.SGB_II,
                "UKRAINE_LRAG_UNSURE",
                id="lrag-transition",
            ),
            pytest.param(
                date(2025, 4, 1),
                None,
                date(2026, 9, 30),
                LegalDomain.SGB_II,
                "UKRAINE_LRAG_UNSURE",
                id="transition-last-day",
            ),
            pytest.param(
                date(2025, 4, 1),
                None,
                date(2026, 10, 1),
                LegalDomain.ASYLBLG,
                "UKRAINE_LRAG_UNSURE",
                id="after-3-months",
            ),
            pytest.param(
                date(2025, 4, 1),
                date(2026, 7, 31),
                date(2026, 8, 1),
                LegalDomain.ASYLBLG,
                "UKRAINE_LRAG_UNSURE",
                id="approval-ends-july",
            ),
            pytest.param(
                date(2025, 4, 1),
                date(2026, 5, 31),
                date(2026, 7, 1),
                LegalDomain.ASYLBLG,
                "UKRAINE_LRAG_UNSURE",
                id="approval-ended-before",
            ),
        ],
    )
    def test_para_24(
        self,
        granted: date,
        approval_end: date | None,
        as_of: date,
        domain: LegalDomain,
        warning: str | None,
    ) -> None:
        person = make_refugee(
            residence_status=ResidenceStatus.UKRAINE_24,
            ukraine_24_first_granted_date=granted,
            sgb2_approval_end_date=approval_end,
            entry_date=date(2025, 3, 1),
        )
        decision = evaluate(person, as_of)
        assert decision.legal_domain is domain
        if warning is None:
            assert not {w for w in decision.warning_codes if w.startswith("UKRAINE")}
        else:
            assert warning in decision.warning_codes

    def test_lrag_switch_date_is_responsibility_change(self) -> None:
        person = make_refugee(
            residence_status=ResidenceStatus.UKRAINE_24,
            ukraine_24_first_granted_date=date(2025, 6, 1),
        )
        decision = evaluate(person, date(2026, 7, 15))
        assert decision.key_dates.responsibility_change_date == date(2026, 10, 1)

    def test_lrag_can_be_ignored(self) -> None:
        person = make_refugee(
            residence_status=ResidenceStatus.UKRAINE_24,
            ukraine_24_first_granted_date=date(2025, 6, 1),
        )
        config = RuleConfig(ukraine_lrag=UkraineLragMode.IGNORE)
        decision = evaluate(person, date(2026, 10, 1), config)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "UKRAINE_LRAG_IGNORED_UNSURE" in decision.warning_codes
