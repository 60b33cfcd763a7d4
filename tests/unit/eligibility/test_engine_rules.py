"""The rule catalogue behind GET /v1/rules: every ALG I and engine reason has its sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from eligibility_api.api.schemas import RuleSetRead
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
from eligibility_api.domain.rulesets import RULES, list_rulesets, rules_for, ruleset_for

ENGINE_PREFIXES = ("ALG1_", "U25_")
ENGINE_CODES = {"RESPONSIBILITY_CHANGE", "AUFSTOCKER", "INFO_SESSION_INVITATION"}
ENGINE_CODES |= {"AGENTUR_JOB_SEEKER"}


def person(birth: date, alg1: Alg1Facts | None, **extra: object) -> PersonFacts:
    return PersonFacts(
        birth_date=birth,
        nationality=Nationality.GERMAN,
        erwerbsfaehig=True,
        habitual_residence_de=True,
        alg1=alg1,
        **extra,  # type: ignore[arg-type]
    )


SCENARIOS: tuple[tuple[PersonFacts, date], ...] = (
    (person(date(1970, 6, 1), Alg1Facts(date(2025, 2, 1), 30, 30)), date(2025, 2, 1)),
    (person(date(1970, 6, 1), Alg1Facts(date(2025, 2, 1), 30, 30)), date(2026, 5, 2)),
    (person(date(1990, 1, 1), Alg1Facts(date(2025, 1, 1), 11, 11)), date(2025, 1, 1)),
    (person(date(1960, 3, 1), Alg1Facts(date(2025, 7, 1), 48, 48)), date(2026, 7, 1)),
    (person(date(1960, 3, 1), Alg1Facts(date(2026, 7, 1), 48, 48)), date(2026, 7, 1)),
    (person(date(2003, 1, 1), None, hilfebeduerftig=True), date(2025, 1, 1)),
    (person(date(1990, 1, 1), None, hilfebeduerftig=False), date(2025, 1, 1)),
    (
        person(
            date(1990, 1, 1),
            Alg1Facts(
                date(2025, 6, 1),
                24,
                24,
                paid_days=10,
                partial_alg_days_last_2y=20,
                previous_claim=PreviousClaim(date(2019, 1, 1), 50),
                sperrzeiten=(
                    Sperrzeit(SperrzeitKind.QUIT_JOB, date(2024, 5, 1), 84),
                    Sperrzeit(SperrzeitKind.REFUSAL, date(2025, 7, 1), 84),
                    Sperrzeit(SperrzeitKind.MEASURE, date(2025, 10, 1), 84),
                ),
                suspensions=(Suspension(date(2025, 6, 1), 30),),
                training_periods=(TrainingPeriod(date(2025, 8, 1), date(2026, 1, 31)),),
                monthly_amount_eur=Decimal(500),
            ),
            household_monthly_need_eur=Decimal(1200),
            household_monthly_income_eur=Decimal(0),
        ),
        date(2025, 6, 15),
    ),
    (
        person(
            date(1990, 1, 1),
            Alg1Facts(
                date(2020, 1, 1),
                24,
                24,
                short_contract=False,
                previous_claim=PreviousClaim(date(2022, 1, 1), 10),
                suspensions=(Suspension(date(2020, 1, 1), 1300),),
            ),
        ),
        date(2020, 1, 1),
    ),
    (
        person(date(1990, 1, 1), Alg1Facts(date(2025, 1, 1), 8, 8, short_contract=True)),
        date(2025, 1, 1),
    ),
    (
        person(
            date(1990, 1, 1),
            Alg1Facts(
                date(2025, 1, 1),
                12,
                12,
                training_periods=(TrainingPeriod(date(2025, 2, 1), date(2025, 10, 31)),),
            ),
        ),
        date(2025, 1, 1),
    ),
)


class TestCatalogue:
    def test_every_engine_reason_of_the_scenarios_has_a_rule(self) -> None:
        """GET /v1/rules lists the sources per rule (issue 11): each reason the ALG I rules
        (§§ 136-161 SGB III) and the engine give in these dated scenarios is in the catalogue."""
        known = {code for rule in RULES for code in rule.codes}
        given: set[str] = set()
        for facts, as_of in SCENARIOS:
            decision = evaluate(facts, as_of)
            given |= {
                code
                for code in decision.reason_codes
                if code.startswith(ENGINE_PREFIXES) or code in ENGINE_CODES
            }
        assert given - known == set()
        assert len(given) >= 20

    def test_every_rule_cites_provisions_and_sources(self) -> None:
        """Each rule names the paragraphs it applies and where their text was checked."""
        for rule in RULES:
            assert rule.legal_refs, rule.code
            assert rule.sources, rule.code
            assert all("§" in ref or "Kooperation" in ref for ref in rule.legal_refs)

    def test_age_limit_rule_cites_136_and_235(self) -> None:
        """§ 136 (2) SGB III with § 235 (2) SGB VI, and where the completed age comes from."""
        rule = next(r for r in RULES if r.code == "ALG1_AGE_LIMIT")
        assert "§ 136 Abs. 2 SGB III" in rule.legal_refs
        assert any("235" in ref for ref in rule.legal_refs)
        assert "ALG1_AGE_LIMIT_REACHED" in rule.codes


class TestRulesPerVersion:
    @pytest.mark.parametrize(
        ("day", "extension"),
        [
            pytest.param(date(2022, 12, 31), False, id="alg2-2020"),
            pytest.param(date(2023, 1, 1), True, id="buergergeld-2023"),
            pytest.param(date(2026, 7, 1), True, id="grundsicherung-2026"),
        ],
    )
    def test_training_extension_only_where_in_force(self, day: date, extension: bool) -> None:
        """§ 148 (3) SGB III is in force from 1 Jul 2023: the 2020 version does not list it."""
        codes = {rule.code for rule in rules_for(ruleset_for(day))}
        assert ("ALG1_TRAINING_EXTENSION" in codes) is extension
        assert "ALG1_AGE_LIMIT" in codes

    def test_rules_route_dto_lists_rules_with_sources(self) -> None:
        """GET /v1/rules: each version carries its rules with provisions and sources."""
        for ruleset in list_rulesets():
            read = RuleSetRead.of(ruleset)
            assert read.rules
            assert all(rule.sources and rule.legal_refs for rule in read.rules)
        flagged = [r.code for r in RuleSetRead.of(list_rulesets()[1]).rules if r.uncertain]
        assert "ALG1_REDUCTION_TRAINING" in flagged
