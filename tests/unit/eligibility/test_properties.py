"""Properties: end never before start, monotone in insured months and age, deterministic."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eligibility_api.domain.alg1 import Alg1Result, compute_alg1
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import (
    Alg1Facts,
    Nationality,
    PersonFacts,
    PreviousClaim,
    Sperrzeit,
    SperrzeitKind,
    Suspension,
    TrainingPeriod,
)
from eligibility_api.domain.rulesets import ruleset_for

CLAIMS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def alg1_facts(draw: st.DrawFn) -> Alg1Facts:
    claim = draw(CLAIMS)
    m30 = draw(st.integers(12, 30))
    m60 = draw(st.integers(m30, 60))
    sperrzeiten = tuple(
        Sperrzeit(
            draw(st.sampled_from(SperrzeitKind)),
            claim + timedelta(days=draw(st.integers(-400, 400))),
            draw(st.sampled_from([7, 14, 21, 42, 84])),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    suspensions = tuple(
        Suspension(claim + timedelta(days=draw(st.integers(-30, 400))), draw(st.integers(1, 120)))
        for _ in range(draw(st.integers(0, 2)))
    )
    trainings = tuple(
        TrainingPeriod(start, start + timedelta(days=draw(st.integers(0, 300))))
        for start in [
            claim + timedelta(days=draw(st.integers(0, 400)))
            for _ in range(draw(st.integers(0, 1)))
        ]
    )
    previous = draw(
        st.none()
        | st.builds(
            PreviousClaim,
            st.just(claim - timedelta(days=draw(st.integers(1, 2500)))),
            st.integers(1, 720),
        )
    )
    return Alg1Facts(
        claim,
        m30,
        m60,
        previous_claim=previous,
        partial_alg_days_last_2y=draw(st.integers(0, 100)),
        sperrzeiten=sperrzeiten,
        suspensions=suspensions,
        training_periods=trainings,
    )


def run(facts: Alg1Facts, birth: date) -> Alg1Result:
    assert facts.claim_start_date is not None
    as_of = facts.claim_start_date
    return compute_alg1(facts, birth, as_of, ruleset_for(as_of), RuleConfig())


def birth_for(claim: date, age_days: int) -> date:
    return claim - timedelta(days=age_days)


AGES = st.integers(20 * 365, 64 * 365)


@settings(max_examples=300, deadline=None)
@given(alg1_facts(), AGES)
def test_end_never_precedes_start(facts: Alg1Facts, age_days: int) -> None:
    assert facts.claim_start_date is not None
    result = run(facts, birth_for(facts.claim_start_date, age_days))
    assert result.end_date is None or result.end_date >= facts.claim_start_date
    assert result.entitlement_days is not None
    assert result.entitlement_days >= 0


@settings(max_examples=300, deadline=None)
@given(alg1_facts(), AGES, st.integers(0, 30), st.integers(0, 60))
def test_more_insured_months_never_shorten(
    facts: Alg1Facts, age_days: int, more_30: int, more_60: int
) -> None:
    assert facts.claim_start_date is not None
    assert facts.insured_months_30 is not None
    assert facts.insured_months_60 is not None
    m30 = min(30, facts.insured_months_30 + more_30)
    m60 = min(60, max(m30, facts.insured_months_60 + more_60))
    birth = birth_for(facts.claim_start_date, age_days)
    base = run(facts, birth)
    more = run(replace(facts, insured_months_30=m30, insured_months_60=m60), birth)
    assert base.entitlement_days is not None
    assert more.entitlement_days is not None
    assert more.entitlement_days >= base.entitlement_days
    if base.end_date is not None and more.end_date is not None:
        assert more.end_date >= base.end_date


@settings(max_examples=300, deadline=None)
@given(alg1_facts(), AGES, st.integers(1, 15 * 365))
def test_higher_age_never_shortens(facts: Alg1Facts, age_days: int, older_by: int) -> None:
    assert facts.claim_start_date is not None
    birth = birth_for(facts.claim_start_date, age_days)
    base = run(facts, birth)
    older = run(facts, birth - timedelta(days=older_by))
    # § 136 (2) SGB III: the Regelaltersgrenze ends ALG I whatever its duration, so the property
    # holds while the older person stays below it for the whole of the younger one's claim.
    assume(
        older.age_limit_date is None
        or base.end_date is None
        or older.age_limit_date >= base.end_date
    )
    assert base.entitlement_days is not None
    assert older.entitlement_days is not None
    assert older.entitlement_days >= base.entitlement_days
    if base.end_date is not None and older.end_date is not None:
        assert older.end_date >= base.end_date


@settings(max_examples=150, deadline=None)
@given(
    alg1_facts(),
    AGES,
    st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
    st.booleans() | st.none(),
    st.booleans() | st.none(),
    st.sampled_from(Nationality) | st.none(),
)
def test_same_input_and_version_same_result(
    facts: Alg1Facts,
    age_days: int,
    as_of: date,
    erwerbsfaehig: bool | None,
    hilfebeduerftig: bool | None,
    nationality: Nationality | None,
) -> None:
    assert facts.claim_start_date is not None
    person = PersonFacts(
        birth_date=birth_for(facts.claim_start_date, age_days),
        nationality=nationality,
        erwerbsfaehig=erwerbsfaehig,
        hilfebeduerftig=hilfebeduerftig,
        habitual_residence_de=True,
        alg1=facts,
    )
    first = evaluate(person, as_of)
    second = evaluate(replace(person), as_of, RuleConfig())
    assert first == second
    assert first.rules_version == ruleset_for(as_of).version
