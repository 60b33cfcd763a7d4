"""Settings of eligibility_api (env prefix ELIGIBILITY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eligibility_api.domain.config import ProtectionStartRule, RuleConfig, UkraineLragMode
from shared.settings import DatabaseSettings, ServiceSettings


class EligibilitySettings(ServiceSettings):
    """Environment: ELIGIBILITY_PORT, ELIGIBILITY_DB__URL, ELIGIBILITY_PROTECTION_START_RULE, ..."""

    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_")

    SERVICE_NAME: str = "eligibility_api"
    PORT: int = 8002
    DB: DatabaseSettings = DatabaseSettings(
        URL="postgresql+psycopg://postgres@127.0.0.1:15432/eligibility"
    )
    # transition.upcoming goes out this many days before the ALG I end date (domain.md §4.1 R1).
    TRANSITION_LEAD_DAYS: int = 90
    SCHEDULER_ENABLED: bool = True
    SCHEDULER_INTERVAL_SECONDS: float = 30
    SCHEDULER_BATCH_SIZE: int = 200
    # Which date ends AsylbLG after refugee/subsidiary protection: by default the statute's
    # reading (§ 1 (3) AsylbLG with § 67 (1) AsylG, finality or an earlier title); the others
    # stay configurable and flagged. The SGB II start is the first day of the following month.
    PROTECTION_START_RULE: ProtectionStartRule = ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END
    # Whether the planned LRAG (Ukraine § 24 after 31 Mar 2025 → AsylbLG) is applied.
    UKRAINE_LRAG: UkraineLragMode = UkraineLragMode.APPLY_PLANNED

    def rule_config(self) -> RuleConfig:
        """The engine's switchable legal readings as configured here."""
        return RuleConfig(
            info_session_lead_days=self.TRANSITION_LEAD_DAYS,
            protection_start_rule=self.PROTECTION_START_RULE,
            ukraine_lrag=self.UKRAINE_LRAG,
        )
