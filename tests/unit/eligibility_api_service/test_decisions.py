"""Decision snapshots: mapping from the engine and the handover confirmation rule."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.decision import Decision, KeyDates, LegalDomain, OrgType, Reason
from eligibility_api.domain.decision import Warning as DomainWarning
from eligibility_api.use_cases.decisions import DecisionSnapshot, evaluate_facts, snapshot_of
from shared.events.eligibility import KeyDatesV1
from shared.events.facts import Alg1HistoryV1, EligibilityFactsV1
from shared.events.handover import LegalDomainCode


def snapshot(legal: LegalDomainCode, *parallel: LegalDomainCode) -> DecisionSnapshot:
    return DecisionSnapshot(
        legal_domain=legal,
        parallel_entitlements=parallel,
        responsible_org_type="AGENTUR",
        integration_responsible_org_type="AGENTUR",
        key_dates=KeyDatesV1(),
        rules_version="v",
    )


class TestConfirms:
    @pytest.mark.parametrize(
        ("decision", "target", "confirmed"),
        [
            (snapshot("SGB_II"), "SGB_II", True),
            (snapshot("SGB_III"), "SGB_II", False),
            (snapshot("SGB_III", "SGB_III", "SGB_II"), "SGB_II", True),
            (snapshot("SGB_III", "SGB_III", "SGB_II"), "SGB_III", True),
            (snapshot("SGB_III", "SGB_III", "SGB_XII"), "SGB_XII", False),
            (snapshot("ASYLBLG"), "SGB_II", False),
            (snapshot("SGB_XII"), "SGB_XII", True),
        ],
    )
    def test_target_legal_domain(
        self, decision: DecisionSnapshot, target: LegalDomainCode, confirmed: bool
    ) -> None:
        assert decision.confirms(target) is confirmed


class TestSnapshotOf:
    def test_copies_every_part_and_appends_mapping_warnings(self) -> None:
        decision = Decision(
            legal_domain=LegalDomain.SGB_III,
            responsible_org_type=OrgType.AGENTUR,
            integration_responsible_org_type=OrgType.AGENTUR,
            rules_version="sgb2-buergergeld-2023",
            parallel_entitlements=(LegalDomain.SGB_III, LegalDomain.SGB_II),
            reasons=(Reason(code="A", text_de="Text", legal_ref="§ 1"),),
            key_dates=KeyDates(
                alg1_claim_start_date=date(2025, 2, 1),
                alg1_entitlement_days=450,
                alg1_end_date=date(2026, 4, 30),
                alg1_remaining_days=10,
                responsibility_change_date=date(2026, 5, 1),
                info_session_invitation_date=date(2026, 1, 30),
                sgb2_age_limit_date=date(2037, 6, 30),
                asylblg_end_date=date(2026, 3, 31),
                sgb2_start_date=date(2026, 4, 1),
            ),
            warnings=(DomainWarning(code="W", text_de="Warnung"),),
        )

        result = snapshot_of(decision, (DomainWarning(code="X", text_de="mehr", uncertain=True),))

        assert result.legal_domain == "SGB_III"
        assert result.parallel_entitlements == ("SGB_III", "SGB_II")
        assert result.responsible_org_type == "AGENTUR"
        assert [(r.code, r.legal_ref) for r in result.reasons] == [("A", "§ 1")]
        assert result.key_dates.model_dump() == {
            "alg1_claim_start_date": date(2025, 2, 1),
            "alg1_entitlement_days": 450,
            "alg1_end_date": date(2026, 4, 30),
            "alg1_remaining_days": 10,
            "responsibility_change_date": date(2026, 5, 1),
            "info_session_invitation_date": date(2026, 1, 30),
            "sgb2_age_limit_date": date(2037, 6, 30),
            "asylblg_end_date": date(2026, 3, 31),
            "sgb2_start_date": date(2026, 4, 1),
        }
        assert [(w.code, w.uncertain) for w in result.warnings] == [("W", False), ("X", True)]
        assert result.rules_version == "sgb2-buergergeld-2023"

    def test_survives_a_json_round_trip(self) -> None:
        facts = EligibilityFactsV1(
            birth_date=date(1975, 6, 8),
            alg1=Alg1HistoryV1(
                claim_start_date=date(2025, 6, 1), insured_months_30=30, insured_months_60=30
            ),
        )
        result = evaluate_facts(facts, date(2025, 7, 1), RuleConfig())

        assert DecisionSnapshot.model_validate_json(result.model_dump_json()) == result

    def test_carries_elb_and_missing_facts(self) -> None:
        """§ 7 (1) S. 1 SGB II and the facts the engine needed: stored with the answer."""
        facts = EligibilityFactsV1(
            birth_date=date(1985, 7, 14),
            nationality="GERMAN",
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
            institution="NONE",
            training_bafoeg_eligible=False,
        )
        result = evaluate_facts(facts, date(2026, 3, 2), RuleConfig())

        assert result.erwerbsfaehig_leistungsberechtigt is True
        assert result.missing_facts == ("receives_old_age_pension",)
        assert "OLD_AGE_PENSION_UNKNOWN" in {w.code for w in result.warnings}

    def test_a_row_stored_before_the_fields_reads_as_unknown(self) -> None:
        stored = snapshot("SGB_II").model_dump(
            mode="json", exclude={"erwerbsfaehig_leistungsberechtigt", "missing_facts"}
        )
        read = DecisionSnapshot.model_validate(stored)

        assert read.erwerbsfaehig_leistungsberechtigt is None
        assert read.missing_facts == ()


class TestWorkedExamples:
    def test_2_age_at_claim_start_counts(self) -> None:
        # 49 at claim start, 50 a week later: 12 months, not 15 (domain.md §4.4 #2).
        facts = EligibilityFactsV1(
            birth_date=date(1975, 6, 8),
            alg1=Alg1HistoryV1(
                claim_start_date=date(2025, 6, 1), insured_months_30=30, insured_months_60=30
            ),
        )

        result = evaluate_facts(facts, date(2025, 7, 1), RuleConfig())

        assert result.key_dates.alg1_entitlement_days == 360
        assert result.key_dates.alg1_end_date == date(2026, 5, 31)
