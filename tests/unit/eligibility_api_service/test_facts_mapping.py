"""EligibilityFactsV1 (events) → PersonFacts (engine)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eligibility_api.adapters.facts_mapping import to_person_facts
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.facts import (
    AsylumDecisionKind,
    Nationality,
    PreviousClaim,
    ResidenceStatus,
    SperrzeitKind,
    SuspensionCause,
)
from eligibility_api.use_cases.decisions import evaluate_facts
from shared.events.facts import (
    Alg1HistoryV1,
    AsylumDecisionV1,
    EligibilityFactsV1,
    SperrzeitV1,
    SuspensionV1,
    TrainingPeriodV1,
)

FULL = EligibilityFactsV1(
    birth_date=date(1980, 2, 29),
    nationality="THIRD_COUNTRY",
    entry_date=date(2024, 1, 10),
    residence_status="AUFENTHALTSGESTATTUNG",
    asylum_decision=AsylumDecisionV1(
        type="FLUECHTLING_3",
        decision_date=date(2026, 3, 2),
        served_date=date(2026, 3, 5),
        final_date=date(2026, 3, 20),
        permit_issued_date=date(2026, 4, 2),
    ),
    ukraine_24_first_granted_date=None,
    erwerbsfaehig=True,
    hilfebeduerftig=False,
    household_monthly_need_eur=Decimal("1200.50"),
    household_monthly_income_eur=Decimal("300"),
    habitual_residence_de=True,
    receives_old_age_pension=False,
    inpatient_over_6_months=False,
    training_bafoeg_eligible=False,
    lives_with_erwerbsfaehig_person=True,
    alg1=Alg1HistoryV1(
        claim_start_date=date(2025, 2, 1),
        insured_months_30=20,
        insured_months_60=40,
        short_contract=True,
        previous_claim_start_date=date(2022, 5, 1),
        previous_remaining_days=60,
        paid_days=100,
        partial_alg_days_last_2y=10,
        sperrzeiten=(SperrzeitV1(kind="QUIT_JOB", start_date=date(2025, 2, 1), days=84),),
        suspensions=(SuspensionV1(start_date=date(2025, 6, 1), days=14, cause="SICKNESS"),),
        training_periods=(
            TrainingPeriodV1(start_date=date(2025, 9, 1), end_date=date(2026, 2, 28)),
        ),
        monthly_amount_eur=Decimal("1100"),
    ),
)


class TestToPersonFacts:
    def test_every_fact_arrives(self) -> None:
        mapped = to_person_facts(FULL)

        person = mapped.person
        assert mapped.warnings == ()
        assert person.birth_date == date(1980, 2, 29)
        assert person.nationality is Nationality.THIRD_COUNTRY
        assert person.residence_status is ResidenceStatus.AUFENTHALTSGESTATTUNG
        assert person.asylum_decision is not None
        assert person.asylum_decision.kind is AsylumDecisionKind.FLUECHTLING_3
        assert person.asylum_decision.served_date == date(2026, 3, 5)
        assert person.asylum_decision.permit_issued_date == date(2026, 4, 2)
        assert person.household_monthly_need_eur == Decimal("1200.50")
        assert person.lives_with_erwerbsfaehig_person is True
        alg1 = person.alg1
        assert alg1 is not None
        assert (alg1.insured_months_30, alg1.insured_months_60) == (20, 40)
        assert alg1.short_contract is True
        assert alg1.previous_claim == PreviousClaim(date(2022, 5, 1), 60)
        assert (alg1.paid_days, alg1.partial_alg_days_last_2y) == (100, 10)
        assert alg1.sperrzeiten[0].kind is SperrzeitKind.QUIT_JOB
        assert alg1.suspensions[0].cause is SuspensionCause.SICKNESS
        assert alg1.training_periods[0].end_date == date(2026, 2, 28)
        assert alg1.monthly_amount_eur == Decimal("1100")

    def test_unknown_facts_stay_unknown(self) -> None:
        mapped = to_person_facts(EligibilityFactsV1())

        assert mapped.person.nationality is None
        assert mapped.person.alg1 is None
        assert mapped.person.asylum_decision is None
        assert mapped.warnings == ()

    def test_unrecognised_residence_status_becomes_unknown_with_a_warning(self) -> None:
        mapped = to_person_facts(EligibilityFactsV1(residence_status="AUFENTHG_99"))

        assert mapped.person.residence_status is None
        [warning] = mapped.warnings
        assert warning.code == "RESIDENCE_STATUS_UNRECOGNISED"
        assert warning.uncertain

    def test_half_a_previous_claim_is_not_counted(self) -> None:
        facts = EligibilityFactsV1(alg1=Alg1HistoryV1(previous_remaining_days=30))

        mapped = to_person_facts(facts)

        assert mapped.person.alg1 is not None
        assert mapped.person.alg1.previous_claim is None
        assert [w.code for w in mapped.warnings] == ["ALG1_PREVIOUS_CLAIM_INCOMPLETE"]
        assert mapped.missing_facts == ("alg1.previous_claim_start_date",)

    def test_half_a_previous_claim_is_a_missing_fact_of_the_answer(self) -> None:
        """§ 147 (4) SGB III: the remainder of an earlier claim needs its start and its days;
        with the start alone the answer names the days as missing."""
        facts = EligibilityFactsV1(
            birth_date=date(1980, 4, 2),
            alg1=Alg1HistoryV1(
                claim_start_date=date(2025, 10, 1),
                insured_months_30=24,
                insured_months_60=24,
                previous_claim_start_date=date(2023, 1, 1),
            ),
        )

        result = evaluate_facts(facts, date(2025, 10, 1), RuleConfig())

        assert "alg1.previous_remaining_days" in result.missing_facts
        assert "alg1.previous_claim_start_date" not in result.missing_facts
