"""Residence titles (AufenthG Kap. 2 Abschn. 5, § 28, § 104c) and the end of AsylbLG (§ 1 (3))."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from eligibility_api.domain.config import ProtectionStartRule, RuleConfig
from eligibility_api.domain.decision import Decision, LegalDomain, OrgType
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import (
    AsylumDecision,
    AsylumDecisionKind,
    Nationality,
    PersonFacts,
    ResidenceStatus,
)

AS_OF = date(2026, 3, 2)
# The reading § 1 (2) and (3) AsylbLG with § 67 (1) AsylG supports: the Aufenthaltsgestattung
# ends when the BAMF decision is final; a title of more than six months ends AsylbLG earlier.
STATUTE = RuleConfig(protection_start_rule=ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END)


def make_refugee(**overrides: object) -> PersonFacts:
    base = PersonFacts(
        birth_date=date(1994, 8, 3),
        nationality=Nationality.THIRD_COUNTRY,
        entry_date=date(2019, 1, 15),
        registered_since=date(2019, 1, 20),
        erwerbsfaehig=True,
        hilfebeduerftig=True,
        habitual_residence_de=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def pending(bamf: AsylumDecision) -> PersonFacts:
    return make_refugee(
        residence_status=ResidenceStatus.AUFENTHALTSGESTATTUNG,
        entry_date=date(2025, 9, 1),
        asylum_decision=bamf,
    )


def ref_of(decision: Decision, code: str) -> str:
    return next(r.legal_ref for r in decision.reasons if r.code == code)


class TestSection5Titles:
    @pytest.mark.parametrize(
        "status",
        [
            ResidenceStatus.AUFENTHG_22,
            ResidenceStatus.AUFENTHG_23_1,
            ResidenceStatus.AUFENTHG_23_2,
            ResidenceStatus.AUFENTHG_23_4,
            ResidenceStatus.AUFENTHG_23A,
            ResidenceStatus.AUFENTHG_25_4_S2,
            ResidenceStatus.AUFENTHG_25A,
            ResidenceStatus.AUFENTHG_25B,
            ResidenceStatus.AUFENTHG_26_4,
        ],
        ids=lambda s: s.value,
    )
    def test_titles_not_listed_in_asylblg_go_to_the_jobcenter(
        self, status: ResidenceStatus
    ) -> None:
        """§ 1 (1) Nr. 3 AsylbLG lists only §§ 23 (1)/24 (war), 25 (4) S. 1, 25 (5) < 18 months.

        Every other title of AufenthG Kap. 2 Abschn. 5 leads to SGB II (§ 7 (1) SGB II).
        """
        decision = evaluate(make_refugee(residence_status=status), AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.integration_responsible_org_type is OrgType.JOBCENTER
        assert "REFUGEE_HUMANITARIAN_TITLE_SGB2" in decision.reason_codes

    @pytest.mark.parametrize(
        ("status", "domain"),
        [
            pytest.param(ResidenceStatus.AUFENTHG_25_4_S1, LegalDomain.ASYLBLG, id="25-4-S1"),
            pytest.param(ResidenceStatus.AUFENTHG_25_4_S2, LegalDomain.SGB_II, id="25-4-S2"),
        ],
    )
    def test_25_4_sentence_1_and_2_differ(
        self, status: ResidenceStatus, domain: LegalDomain
    ) -> None:
        """§ 1 (1) Nr. 3 Buchst. b AsylbLG names § 25 (4) S. 1 only; S. 2 (extension) is SGB II."""
        assert evaluate(make_refugee(residence_status=status), AS_OF).legal_domain is domain

    @pytest.mark.parametrize(
        ("status", "domain"),
        [
            pytest.param(ResidenceStatus.AUFENTHG_23_1_WAR, LegalDomain.ASYLBLG, id="war"),
            pytest.param(ResidenceStatus.AUFENTHG_23_1, LegalDomain.SGB_II, id="other"),
        ],
    )
    def test_23_1_only_because_of_war_is_asylblg(
        self, status: ResidenceStatus, domain: LegalDomain
    ) -> None:
        """§ 1 (1) Nr. 3 Buchst. a AsylbLG: § 23 (1) AufenthG 'wegen des Krieges' only."""
        assert evaluate(make_refugee(residence_status=status), AS_OF).legal_domain is domain

    def test_chancen_aufenthaltsrecht_is_sgb2(self) -> None:
        """§ 104c AufenthG is not named in § 1 (1) AsylbLG: SGB II (§ 7 (1) SGB II)."""
        decision = evaluate(make_refugee(residence_status=ResidenceStatus.AUFENTHG_104C), AS_OF)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "REFUGEE_CHANCEN_AUFENTHALT_SGB2" in decision.reason_codes

    def test_family_reunion_with_a_german_is_sgb2(self) -> None:
        """§ 28 AufenthG (family of a German, §§ 27-36 family reunion): SGB II, not AsylbLG."""
        person = make_refugee(residence_status=ResidenceStatus.AUFENTHG_28_FAMILY_GERMAN)
        assert evaluate(person, AS_OF).legal_domain is LegalDomain.SGB_II


class TestEndOfAsylblgByStatute:
    BAMF = AsylumDecision(
        AsylumDecisionKind.SUBSIDIAER_4,
        decision_date=date(2026, 3, 25),
        served_date=date(2026, 4, 2),
        final_date=date(2026, 4, 20),
    )

    @pytest.mark.parametrize(
        ("as_of", "domain"),
        [
            pytest.param(date(2026, 4, 30), LegalDomain.ASYLBLG, id="month-of-finality"),
            pytest.param(date(2026, 5, 1), LegalDomain.SGB_II, id="next-1st"),
        ],
    )
    def test_ends_at_month_end_of_finality(self, as_of: date, domain: LegalDomain) -> None:
        """§ 1 (3) AsylbLG with § 67 (1) S. 1 Nr. 6 AsylG: Gestattung ends when final (20 Apr)."""
        decision = evaluate(pending(self.BAMF), as_of, STATUTE)
        assert decision.legal_domain is domain
        assert decision.key_dates.asylblg_end_date == date(2026, 4, 30)
        assert decision.key_dates.sgb2_start_date == date(2026, 5, 1)

    def test_reason_cites_67_asylg_as_in_force(self) -> None:
        """§ 67 (1) S. 1 Nr. 6 AsylG in the version before 12 Jun 2026 (finality 20 Apr 2026)."""
        decision = evaluate(pending(self.BAMF), date(2026, 4, 21), STATUTE)
        assert ref_of(decision, "REFUGEE_ASYLBLG_END") == (
            "§ 1 Abs. 3 AsylbLG, § 67 Abs. 1 S. 1 Nr. 6 AsylG"
        )
        assert "ASYLG_67_NUMBERING_UNSURE" not in decision.warning_codes

    def test_permit_issued_before_finality_ends_earlier(self) -> None:
        """§ 1 (2) AsylbLG: a title of more than six months ends AsylbLG at that month's end."""
        bamf = replace(self.BAMF, permit_issued_date=date(2026, 3, 30), final_date=None)
        decision = evaluate(pending(bamf), date(2026, 4, 1), STATUTE)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert decision.key_dates.asylblg_end_date == date(2026, 3, 31)
        assert ref_of(decision, "REFUGEE_ASYLBLG_END") == "§ 1 Abs. 2 und 3 AsylbLG"

    def test_not_final_in_month_of_service_stays_asylblg(self) -> None:
        """§ 67 (1) AsylG: served 2 Apr, not yet final: the Gestattung and AsylbLG continue."""
        bamf = replace(self.BAMF, final_date=None)
        decision = evaluate(pending(bamf), date(2026, 4, 10), STATUTE)
        assert decision.legal_domain is LegalDomain.ASYLBLG
        assert "REFUGEE_FINALITY_DATE_MISSING" in decision.warning_codes

    def test_finality_unknown_later_is_open(self) -> None:
        """§ 1 (3) AsylbLG needs the finality date; never guessed from service (§ 67 (1) AsylG)."""
        bamf = replace(self.BAMF, final_date=None)
        decision = evaluate(pending(bamf), date(2026, 6, 1), STATUTE)
        assert decision.legal_domain is LegalDomain.NONE
        assert decision.key_dates.asylblg_end_date is None
        assert {"REFUGEE_FINALITY_DATE_MISSING", "SGB2_UNDETERMINED"} <= decision.warning_codes

    def test_art_16a_waits_for_finality_and_is_flagged(self) -> None:
        """§ 1 (3) AsylbLG (current text): no month-of-recognition rule for Art. 16a GG any more."""
        bamf = AsylumDecision(
            AsylumDecisionKind.ASYL_16A,
            decision_date=date(2026, 3, 25),
            served_date=date(2026, 4, 2),
            final_date=date(2026, 5, 5),
        )
        decision = evaluate(pending(bamf), date(2026, 5, 4), STATUTE)
        assert decision.legal_domain is LegalDomain.ASYLBLG
        assert decision.key_dates.asylblg_end_date == date(2026, 5, 31)
        flagged = [w for w in decision.warnings if w.code == "ASYLBLG_16A_RULE_REMOVED_UNSURE"]
        assert flagged
        assert flagged[0].uncertain

    def test_finality_after_renumbering_is_flagged(self) -> None:
        """§ 67 (1) AsylG renumbered on 12 Jun 2026: cite the new version, flag the item number."""
        bamf = AsylumDecision(
            AsylumDecisionKind.FLUECHTLING_3,
            decision_date=date(2026, 5, 28),
            served_date=date(2026, 6, 1),
            final_date=date(2026, 6, 16),
        )
        decision = evaluate(pending(bamf), date(2026, 7, 1), STATUTE)
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "Fassung ab 12.06.2026" in ref_of(decision, "REFUGEE_ASYLBLG_END")
        assert "ASYLG_67_NUMBERING_UNSURE" in decision.warning_codes

    def test_service_reading_stays_available_and_flagged(self) -> None:
        """§ 1 (3) AsylbLG: the service-month reading departs from § 67 (1) AsylG and says so."""
        config = RuleConfig(protection_start_rule=ProtectionStartRule.SERVICE_MONTH_END)
        decision = evaluate(pending(self.BAMF), date(2026, 4, 30), config)
        assert decision.key_dates.asylblg_end_date == date(2026, 4, 30)
        unsure = next(w for w in decision.warnings if w.code == "REFUGEE_PROTECTION_START_UNSURE")
        assert unsure.uncertain
        assert "abweichende Lesart" in unsure.text_de
