"""Translate the facts that travel in events (pydantic, shared) into the engine's dataclasses."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_api.domain.decision import Warning
from eligibility_api.domain.facts import (
    Alg1Facts,
    AsylumDecision,
    AsylumDecisionKind,
    InstitutionKind,
    Nationality,
    PersonFacts,
    PreviousClaim,
    ResidenceStatus,
    Sperrzeit,
    SperrzeitKind,
    Suspension,
    SuspensionCause,
    TrainingPeriod,
)
from shared.events.facts import Alg1HistoryV1, AsylumDecisionV1, EligibilityFactsV1

PREVIOUS_CLAIM_INCOMPLETE = "ALG1_PREVIOUS_CLAIM_INCOMPLETE"


@dataclass(frozen=True, slots=True)
class MappedFacts:
    """The engine's facts, plus warnings about input the engine could not take as given."""

    person: PersonFacts
    warnings: tuple[Warning, ...] = ()
    # fact paths given only in part, so the engine did without them (see `warnings`)
    missing_facts: tuple[str, ...] = ()


def to_person_facts(facts: EligibilityFactsV1) -> MappedFacts:
    """Map event facts to PersonFacts; unrecognised values become unknown, with a warning."""
    warnings: list[Warning] = []
    residence: ResidenceStatus | None = None
    if facts.residence_status is not None:
        try:
            residence = ResidenceStatus(facts.residence_status)
        except ValueError:
            # Events stay tolerant (a producer may know a newer status); treat it as unknown.
            warnings.append(
                Warning(
                    code="RESIDENCE_STATUS_UNRECOGNISED",
                    text_de=f"Aufenthaltsstatus {facts.residence_status!r} ist unbekannt und wurde "
                    f"als nicht angegeben behandelt.",
                    uncertain=True,
                )
            )
    alg1: Alg1Facts | None = None
    missing: list[str] = []
    if facts.alg1 is not None:
        alg1, alg1_warnings = _alg1(facts.alg1)
        warnings.extend(alg1_warnings)
        if any(w.code == PREVIOUS_CLAIM_INCOMPLETE for w in alg1_warnings):
            missing.extend(
                f"alg1.{name}"
                for name in ("previous_claim_start_date", "previous_remaining_days")
                if getattr(facts.alg1, name) is None
            )
    person = PersonFacts(
        birth_date=facts.birth_date,
        nationality=Nationality(facts.nationality) if facts.nationality is not None else None,
        entry_date=facts.entry_date,
        registered_since=facts.registered_since,
        family_member_of_german=facts.family_member_of_german,
        family_member_of_job_seeker=facts.family_member_of_job_seeker,
        freizuegigkeit_loss_established=facts.freizuegigkeit_loss_established,
        residence_status=residence,
        asylum_decision=_asylum(facts.asylum_decision),
        ukraine_24_first_granted_date=facts.ukraine_24_first_granted_date,
        sgb2_approval_end_date=facts.sgb2_approval_end_date,
        deportation_suspended_date=facts.deportation_suspended_date,
        erwerbsfaehig=facts.erwerbsfaehig,
        hilfebeduerftig=facts.hilfebeduerftig,
        household_monthly_need_eur=facts.household_monthly_need_eur,
        household_monthly_income_eur=facts.household_monthly_income_eur,
        habitual_residence_de=facts.habitual_residence_de,
        receives_old_age_pension=facts.receives_old_age_pension,
        inpatient_over_6_months=facts.inpatient_over_6_months,
        institution=InstitutionKind(facts.institution) if facts.institution is not None else None,
        institution_admission_date=facts.institution_admission_date,
        hospital_stay_expected_under_6_months=facts.hospital_stay_expected_under_6_months,
        weekly_work_hours=facts.weekly_work_hours,
        training_bafoeg_eligible=facts.training_bafoeg_eligible,
        lives_with_erwerbsfaehig_person=facts.lives_with_erwerbsfaehig_person,
        alg1=alg1,
    )
    return MappedFacts(person=person, warnings=tuple(warnings), missing_facts=tuple(missing))


def _asylum(decision: AsylumDecisionV1 | None) -> AsylumDecision | None:
    if decision is None:
        return None
    return AsylumDecision(
        kind=AsylumDecisionKind(decision.type),
        decision_date=decision.decision_date,
        served_date=decision.served_date,
        final_date=decision.final_date,
        permit_issued_date=decision.permit_issued_date,
    )


def _alg1(history: Alg1HistoryV1) -> tuple[Alg1Facts, list[Warning]]:
    warnings: list[Warning] = []
    previous: PreviousClaim | None = None
    if (
        history.previous_claim_start_date is not None
        and history.previous_remaining_days is not None
    ):
        previous = PreviousClaim(
            start_date=history.previous_claim_start_date,
            remaining_days=history.previous_remaining_days,
        )
    elif history.previous_claim_start_date is not None or history.previous_remaining_days:
        warnings.append(
            Warning(
                code=PREVIOUS_CLAIM_INCOMPLETE,
                text_de="Für den Restanspruch (§ 147 Abs. 4 SGB III) fehlen Beginn oder Resttage "
                "des früheren Anspruchs: er wurde nicht angerechnet.",
                uncertain=True,
            )
        )
    facts = Alg1Facts(
        claim_start_date=history.claim_start_date,
        insured_months_30=history.insured_months_30,
        insured_months_60=history.insured_months_60,
        short_contract=history.short_contract,
        previous_claim=previous,
        paid_days=history.paid_days,
        partial_alg_days_last_2y=history.partial_alg_days_last_2y,
        sperrzeiten=tuple(
            Sperrzeit(kind=SperrzeitKind(s.kind), start_date=s.start_date, days=s.days)
            for s in history.sperrzeiten
        ),
        suspensions=tuple(
            Suspension(start_date=s.start_date, days=s.days, cause=SuspensionCause(s.cause))
            for s in history.suspensions
        ),
        training_periods=tuple(
            TrainingPeriod(start_date=t.start_date, end_date=t.end_date)
            for t in history.training_periods
        ),
        monthly_amount_eur=history.monthly_amount_eur,
    )
    return facts, warnings
