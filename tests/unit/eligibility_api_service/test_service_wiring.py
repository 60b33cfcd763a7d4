"""Settings, DTOs, consumer wiring and the invitation date: no I/O."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from eligibility_api.api.schemas import CHECK_EXAMPLES, CheckCreate, FactsIn
from eligibility_api.consumers import (
    CONSUMER_GROUPS,
    on_case_registered,
    on_case_updated,
    on_handover_requested,
)
from eligibility_api.domain.config import ProtectionStartRule, UkraineLragMode
from eligibility_api.settings import EligibilitySettings
from eligibility_api.use_cases.transitions import invitation_date_for
from shared.events.facts import EligibilityFactsV1


class TestSettings:
    def test_defaults(self) -> None:
        settings = EligibilitySettings()

        assert settings.SERVICE_NAME == "eligibility_api"
        assert settings.PORT == 8002
        assert settings.DB.URL == "postgresql+psycopg://postgres@127.0.0.1:15432/eligibility"
        assert settings.TRANSITION_LEAD_DAYS == 90
        assert settings.SCHEDULER_INTERVAL_SECONDS == 30
        assert settings.PROTECTION_START_RULE is ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END

    def test_environment_with_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ELIGIBILITY_TRANSITION_LEAD_DAYS", "60")
        monkeypatch.setenv("ELIGIBILITY_PROTECTION_START_RULE", "SERVICE_MONTH_END")
        monkeypatch.setenv("ELIGIBILITY_UKRAINE_LRAG", "IGNORE")
        monkeypatch.setenv("ELIGIBILITY_DB__URL", "postgresql+psycopg://app@db.example/elig")

        settings = EligibilitySettings()
        config = settings.rule_config()

        assert settings.DB.URL == "postgresql+psycopg://app@db.example/elig"
        assert config.info_session_lead_days == 60
        assert config.protection_start_rule is ProtectionStartRule.SERVICE_MONTH_END
        assert config.ukraine_lrag is UkraineLragMode.IGNORE


class TestRequestDto:
    @pytest.mark.parametrize("name", sorted(CHECK_EXAMPLES))
    def test_documented_examples_validate(self, name: str) -> None:
        CheckCreate.model_validate(CHECK_EXAMPLES[name]["value"])

    def test_facts_are_event_facts(self) -> None:
        facts = FactsIn.model_validate({"nationality": "EU", "alg1": {"insured_months_30": 12}})

        assert isinstance(facts, EligibilityFactsV1)

    @pytest.mark.parametrize(
        "facts",
        [
            {"nationalty": "EU"},
            {"alg1": {"claim_start": "2025-01-01"}},
            {
                "alg1": {
                    "sperrzeiten": [
                        {"kind": "REFUSAL", "start_date": "2025-01-01", "days": 21, "x": 1}
                    ]
                }
            },
            {"asylum_decision": {"type": "ASYL_16A", "decision_date": "2026-01-01", "why": "?"}},
            {"residence_status": "UNKNOWN_TITLE"},
            {"alg1": {"insured_months_30": 31}},
        ],
    )
    def test_unknown_or_invalid_fields_are_refused(self, facts: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            CheckCreate.model_validate({"as_of": "2026-01-01", "facts": facts})


class TestConsumerWiring:
    def test_one_group_with_one_handler_per_topic(self) -> None:
        assert {
            "eligibility_api": {
                "case.registered": on_case_registered,
                "case.updated": on_case_updated,
                "handover.requested": on_handover_requested,
            }
        } == CONSUMER_GROUPS


class TestInvitationDate:
    def test_lead_days_before_the_end(self) -> None:
        assert invitation_date_for(date(2026, 4, 30), 90, date(2026, 1, 1)) == date(2026, 1, 30)

    def test_never_in_the_past(self) -> None:
        assert invitation_date_for(date(2026, 4, 30), 90, date(2026, 3, 1)) == date(2026, 3, 1)
