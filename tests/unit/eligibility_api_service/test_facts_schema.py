"""The facts schema says what it means: every field described, every value with an example."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from eligibility_api.api.schemas import CheckCreate, CheckRead
from shared.events.facts import EligibilityFactsV1


def _fields(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every property of the schema and of the models it refers to, by dotted path."""
    defs: dict[str, Any] = schema.get("$defs", {})
    found: list[tuple[str, dict[str, Any]]] = []

    def ref_of(prop: dict[str, Any]) -> str | None:
        for option in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
            if "$ref" in option:
                return str(option["$ref"]).rsplit("/", 1)[-1]
        return None

    def walk(model: dict[str, Any], prefix: str) -> None:
        for name, prop in model.get("properties", {}).items():
            path = f"{prefix}{name}"
            found.append((path, prop))
            ref = ref_of(prop)
            if ref is not None:
                walk(defs[ref], f"{path}.")

    walk(schema, "")
    return found


def _is_model(prop: dict[str, Any]) -> bool:
    options = [prop, *prop.get("anyOf", [])]
    return any("$ref" in o or o.get("type") == "array" for o in options)


@pytest.mark.parametrize("model", [CheckCreate, EligibilityFactsV1], ids=lambda m: m.__name__)
def test_every_field_has_a_description(model: type[BaseModel]) -> None:
    """Issue 11, item 6: unit, what is included and the day a fact refers to are documented."""
    fields = _fields(model.model_json_schema())
    assert len(fields) > 40
    undocumented = [path for path, prop in fields if not prop.get("description")]
    assert undocumented == []


@pytest.mark.parametrize("model", [CheckCreate, EligibilityFactsV1], ids=lambda m: m.__name__)
def test_every_value_has_an_example(model: type[BaseModel]) -> None:
    """Every scalar field (not a nested model or list) carries an example."""
    fields = _fields(model.model_json_schema())
    without = [p for p, prop in fields if not _is_model(prop) and not prop.get("examples")]
    assert without == []


def test_examples_are_valid_values() -> None:
    """The examples of the facts validate as facts (one person made of all of them)."""
    schema = EligibilityFactsV1.model_json_schema()
    top = {
        name: prop["examples"][0]
        for name, prop in schema["properties"].items()
        if prop.get("examples")
    }
    facts = EligibilityFactsV1.model_validate(top)
    assert facts.household_monthly_income_eur is not None


@pytest.mark.parametrize(
    ("path", "words"),
    [
        # whether household income includes ALG I (§ 11 SGB II; the engine adds it itself)
        ("household_monthly_income_eur", ("without ALG I", "month of `as_of`", "euros")),
        ("household_monthly_need_eur", ("euros", "month of `as_of`")),
        ("alg1.monthly_amount_eur", ("per month in euros",)),
        ("alg1.insured_months_30", ("30 months", "claim_start_date")),
        ("alg1.paid_days", ("before `as_of`", "missing_facts")),
        ("registered_since", ("Meldebehörde", "not from entry")),
        ("asylum_decision.final_date", ("§ 67 (1) AsylG",)),
        ("weekly_work_hours", ("Hours per week", "15")),
    ],
)
def test_descriptions_say_unit_content_and_day(path: str, words: tuple[str, ...]) -> None:
    """The fields the issue names say their unit, what they include and their day."""
    described = dict(_fields(CheckCreate.model_json_schema()))
    text = described[f"facts.{path}"]["description"]
    for word in words:
        assert word in text


def test_answer_documents_elb_and_missing_facts() -> None:
    """The answer's two new fields are optional and described (§ 7 (1) S. 1 SGB II)."""
    schema = CheckRead.model_json_schema()
    required = set(schema.get("required", []))
    for name in ("erwerbsfaehig_leistungsberechtigt", "missing_facts"):
        assert name not in required
        assert "description" in schema["properties"][name]
    assert (
        "§ 7 (1) S. 1 SGB II"
        in schema["properties"]["erwerbsfaehig_leistungsberechtigt"]["description"]
    )
