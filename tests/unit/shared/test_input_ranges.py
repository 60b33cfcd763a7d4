"""Every date in a request body is bounded, and what is accepted the rule engine can compute.

Each request model gets a maximal example that sets every date field it has (a test keeps
the examples complete when a field is added); hypothesis then puts dates from the whole
calendar into each of those fields.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from eligibility_api.api.schemas import CheckCreate
from eligibility_api.domain.config import RuleConfig
from eligibility_api.use_cases.decisions import FactsOutOfRange, evaluate_facts
from handover_api.api.schemas import CASE_EXAMPLE, CaseCreate, CaseUpdate, HandoverCreate
from notifications_api.api.schemas import InfoSessionCreate
from shared.events.facts import EligibilityFactsV1
from shared.strict import EARLIEST_DATE, LATEST_DATE, CleanText, dates_out_of_range

Path = tuple[str | int, ...]

FACTS: dict[str, Any] = {
    "birth_date": "1994-03-02",
    "nationality": "THIRD_COUNTRY",
    "entry_date": "2024-09-10",
    "registered_since": "2024-09-12",
    "residence_status": "AUFENTHALTSGESTATTUNG",
    "asylum_decision": {
        "type": "ASYL_16A",
        "decision_date": "2026-03-25",
        "served_date": "2026-03-27",
        "final_date": "2026-04-10",
        "permit_issued_date": "2026-05-02",
    },
    "ukraine_24_first_granted_date": "2022-06-01",
    "sgb2_approval_end_date": "2026-12-31",
    "deportation_suspended_date": "2025-01-15",
    "erwerbsfaehig": True,
    "institution": "HOSPITAL",
    "institution_admission_date": "2026-03-02",
    "alg1": {
        "claim_start_date": "2025-02-01",
        "insured_months_30": 30,
        "insured_months_60": 30,
        "previous_claim_start_date": "2021-02-01",
        "previous_remaining_days": 120,
        "sperrzeiten": [{"kind": "QUIT_JOB", "start_date": "2025-02-01", "days": 84}],
        "suspensions": [{"start_date": "2025-03-01", "days": 30}],
        "training_periods": [{"start_date": "2025-06-01", "end_date": "2025-12-31"}],
    },
}

PLAN: dict[str, Any] = {**CASE_EXAMPLE["integration_plan"], "next_review_date": "2026-06-01"}

EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    CaseCreate: {**CASE_EXAMPLE, "facts": FACTS, "integration_plan": PLAN},
    CaseUpdate: {"facts": FACTS, "integration_plan": PLAN},
    HandoverCreate: {
        "reason": "ALG1_EXHAUSTED",
        "to_org": "jobcenter-ennepe-ruhr",
        "transfer_date": "2026-05-01",
        "trigger": {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"},
    },
    CheckCreate: {"as_of": "2026-04-01", "facts": FACTS},
    InfoSessionCreate: {
        "location": "WITTEN",
        "starts_at": "2030-02-04T09:00:00+01:00",
        "capacity": 25,
        "agentur_org": "agentur-hagen",
        "jobcenter_org": "jobcenter-ennepe-ruhr",
    },
}


def _args(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) is typing.Annotated:
        return _args(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        return tuple(a for arg in typing.get_args(annotation) for a in _args(arg))
    return (annotation,)


def date_fields(model: type[BaseModel], seen: frozenset[type] = frozenset()) -> set[str]:
    """`Model.field` for every date or datetime field reachable from `model`."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        for arg in _args(field.annotation):
            if isinstance(arg, type) and issubclass(arg, date):
                found.add(f"{model.__name__}.{name}")
            elif isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in seen:
                found |= date_fields(arg, seen | {model})
    return found


def date_paths(model: type[BaseModel], data: Any, path: Path = ()) -> Iterator[tuple[str, Path]]:
    """(`Model.field`, path in `data`) for every date field that `data` sets."""
    if not isinstance(data, dict):
        return
    for name, field in model.model_fields.items():
        if data.get(name) is None:
            continue
        value = data[name]
        for arg in _args(field.annotation):
            if isinstance(arg, type) and issubclass(arg, date):
                yield f"{model.__name__}.{name}", (*path, name)
            elif isinstance(arg, type) and issubclass(arg, BaseModel):
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        yield from date_paths(arg, item, (*path, name, index))
                else:
                    yield from date_paths(arg, value, (*path, name))


def with_value(data: dict[str, Any], path: Path, value: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


CASES = [
    pytest.param(model, path, id=f"{model.__name__}:{'.'.join(map(str, path))}")
    for model, example in EXAMPLES.items()
    for _, path in date_paths(model, example)
]
ANY_DAY = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
EDGE_DAYS = st.sampled_from(
    [
        date(1, 1, 1),
        EARLIEST_DATE - timedelta(days=1),
        EARLIEST_DATE,
        LATEST_DATE,
        LATEST_DATE + timedelta(days=1),
        date(9999, 12, 31),
    ]
)
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


class TestExamplesCoverEveryDateField:
    """A date field added to a request model must be added to its example (and so tested)."""

    @pytest.mark.parametrize("model", list(EXAMPLES), ids=lambda m: m.__name__)
    def test_example_sets_every_date_field(self, model: type[BaseModel]) -> None:
        model.model_validate(EXAMPLES[model])
        covered = {name for name, _ in date_paths(model, EXAMPLES[model])}
        assert covered == date_fields(model)


class TestDatesOutsideTheRangeAreRefused:
    """1900-01-01 to 2100-12-31 are accepted in every date field; anything else is a 422."""

    @pytest.mark.parametrize(("model", "path"), CASES)
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(day=st.one_of(EDGE_DAYS, ANY_DAY), offset=OFFSETS)
    def test_any_day_in_any_date_field(
        self, model: type[BaseModel], path: Path, day: date, offset: timezone
    ) -> None:
        original = EXAMPLES[model]
        target: Any = original
        for step in path:
            target = target[step]
        is_datetime = "T" in target
        value = (
            datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=offset).isoformat()
            if is_datetime
            else day.isoformat()
        )
        data = with_value(original, path, value)
        if EARLIEST_DATE <= day <= LATEST_DATE:
            model.model_validate(data)
            return
        with pytest.raises(ValidationError) as caught:
            model.model_validate(data)
        assert [e["loc"] for e in caught.value.errors()] == [path]


class TestAcceptedFactsNeverPoisonTheEngine:
    """Whatever the API accepts, eligibility decides on without an error."""

    @settings(max_examples=300, deadline=None)
    @given(
        days=st.lists(
            st.dates(min_value=EARLIEST_DATE, max_value=LATEST_DATE), min_size=17, max_size=17
        ),
        as_of=st.dates(min_value=EARLIEST_DATE, max_value=LATEST_DATE),
    )
    def test_engine_decides_on_any_accepted_dates(self, days: list[date], as_of: date) -> None:
        data = {"as_of": as_of.isoformat(), "facts": FACTS}
        paths = [path for _, path in date_paths(CheckCreate, data) if path != ("as_of",)]
        assert len(paths) == len(days)
        for path, day in zip(paths, days, strict=True):
            data = with_value(data, path, day.isoformat())
        check = CheckCreate.model_validate(data)

        decision = evaluate_facts(check.facts, check.as_of, RuleConfig())

        assert decision.rules_version

    def test_facts_built_without_validation_raise_a_clear_error(self) -> None:
        valid = EligibilityFactsV1.model_validate(FACTS)
        assert valid.alg1 is not None
        alg1 = valid.alg1.model_copy(update={"claim_start_date": date(9999, 12, 31)})
        facts = valid.model_copy(update={"alg1": alg1, "birth_date": date(1, 1, 1)})
        assert dates_out_of_range(facts) == ["birth_date", "alg1.claim_start_date"]

        with pytest.raises(FactsOutOfRange, match=r"birth_date, alg1\.claim_start_date"):
            evaluate_facts(facts, date(2026, 1, 1), RuleConfig())
        with pytest.raises(FactsOutOfRange, match="as_of"):
            evaluate_facts(valid, date(9999, 12, 31), RuleConfig())


class TestCleanText:
    """Text fields refuse NUL, other control characters and lone surrogates."""

    @pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "x\x7f", "\x85", "a\ud800b"], ids=repr)
    def test_refused(self, text: str) -> None:
        with pytest.raises(ValidationError):
            TextInput.model_validate({"value": text})

    @pytest.mark.parametrize(
        "text", ["Erika", "Zeile 1\nZeile 2\tmit Tab", "Müller-Lüdenscheidt €"]
    )
    def test_accepted(self, text: str) -> None:
        assert TextInput.model_validate({"value": text}).value == text


class TextInput(BaseModel):
    """A request field of the shared text type."""

    value: CleanText
