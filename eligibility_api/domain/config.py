"""RuleConfig: the readings domain.md marks UNSURE, made explicit and switchable."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProtectionStartRule(StrEnum):
    """Which date ends AsylbLG (at its month end) after § 3/§ 4 AsylG protection or § 60 (5)/(7)."""

    DECISION_MONTH_END = "DECISION_MONTH_END"
    SERVICE_MONTH_END = "SERVICE_MONTH_END"
    FINALITY_MONTH_END = "FINALITY_MONTH_END"
    PERMIT_ISSUED_MONTH_END = "PERMIT_ISSUED_MONTH_END"
    FINALITY_OR_PERMIT_MONTH_END = "FINALITY_OR_PERMIT_MONTH_END"


class UkraineLragMode(StrEnum):
    """Whether the planned Leistungsrechtsanpassungsgesetz (LRAG) is applied once in force."""

    APPLY_PLANNED = "APPLY_PLANNED"
    IGNORE = "IGNORE"


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Switchable legal readings; the defaults are documented in the module that uses them."""

    info_session_lead_days: int = 90
    # Default: the reading the statute supports. § 1 (3) AsylbLG ends the entitlement at the end
    # of the month in which its condition ceases; the Aufenthaltsgestattung (§ 1 (1) Nr. 1) lasts
    # until the decision is final (§ 67 (1) AsylG) and § 1 (2) AsylbLG ends it earlier with a
    # title of more than six months. The other readings stay configurable and are flagged.
    protection_start_rule: ProtectionStartRule = ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END
    ukraine_lrag: UkraineLragMode = UkraineLragMode.APPLY_PLANNED
    # § 161 (1) Nr. 2 SGB III: "21 weeks" is from memory in domain.md.
    sperrzeit_expiry_weeks: int = 21
    # § 148 (2) S. 3 SGB III (from 1 Jul 2023; one month before): further training never reduces
    # the remainder below this.
    training_min_remaining_days: int = 90
    # § 148 (3) SGB III: after training of at least this many months the remainder is raised once.
    training_extension_min_months: int = 6
    training_extension_days: int = 90
