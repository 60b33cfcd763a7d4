"""HTTP DTOs of eligibility_api, separate from the ORM rows and the event payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eligibility_api.domain.facts import ResidenceStatus
from eligibility_api.domain.rulesets import Rule, RuleSet, rules_for
from eligibility_api.use_cases.checks import CheckResult
from eligibility_api.use_cases.decisions import OrgTypeCode
from shared.events.eligibility import KeyDatesV1, ReasonV1, WarningV1
from shared.events.facts import (
    Alg1HistoryV1,
    AsylumDecisionV1,
    EligibilityFactsV1,
    SperrzeitV1,
    SuspensionV1,
    TrainingPeriodV1,
)
from shared.events.handover import LegalDomainCode
from shared.strict import RangedDate

# The request facts subclass the event facts, so both keep the same shape and limits; only
# HTTP refuses unknown fields (a typo must not silently drop a fact).
_STRICT = ConfigDict(extra="forbid", frozen=True)


class SperrzeitIn(SperrzeitV1):
    """A Sperrzeit (§ 159 SGB III): cause, first day and length in days."""

    model_config = _STRICT


class SuspensionIn(SuspensionV1):
    """A Ruhen period (§§ 156-158 SGB III): the end date moves, the entitlement stays."""

    model_config = _STRICT


class TrainingPeriodIn(TrainingPeriodV1):
    """Funded further vocational training while drawing ALG I (§ 148 (1) Nr. 7 SGB III)."""

    model_config = _STRICT


class Alg1HistoryIn(Alg1HistoryV1):
    """The ALG I claim and what shortens or shifts it."""

    model_config = _STRICT

    sperrzeiten: tuple[SperrzeitIn, ...] = Field(
        default=(),
        description="Every Sperrzeit of this claim (§ 159 SGB III); absent means none",
    )
    suspensions: tuple[SuspensionIn, ...] = Field(
        default=(),
        description="Every period in which the claim rests (§§ 156-158 SGB III); absent means none",
    )
    training_periods: tuple[TrainingPeriodIn, ...] = Field(
        default=(),
        description="Funded further training while drawing ALG I (§ 148 (1) Nr. 7, (2), (3) "
        "SGB III); absent means none",
    )


class AsylumDecisionIn(AsylumDecisionV1):
    """The BAMF decision: operative part (type) and dates only, never the reasons."""

    model_config = _STRICT


class FactsIn(EligibilityFactsV1):
    """Eligibility-relevant facts of one person; leave unknown facts out (they become warnings)."""

    model_config = _STRICT

    residence_status: ResidenceStatus | None = Field(
        default=None,
        description="Residence title or right of residence on `as_of` (AufenthG, AsylG, "
        "FreizügG/EU)",
        examples=["AUFENTHG_25_2_FLUECHTLING"],
    )
    asylum_decision: AsylumDecisionIn | None = Field(
        default=None, description="The latest BAMF decision on the asylum application, if any"
    )
    alg1: Alg1HistoryIn | None = Field(
        default=None, description="The ALG I claim, if the person has or had one"
    )


# The schema examples: an ALG I claim with a Sperrzeit, a Ruhen period and a funded training,
# and a recognised refugee; the nested fact models take their examples from these.
CHECK_CREATE_EXAMPLES: list[Any] = [
    {
        "as_of": "2026-01-15",
        "facts": {
            "birth_date": "1970-06-15",
            "nationality": "GERMAN",
            "erwerbsfaehig": True,
            "hilfebeduerftig": True,
            "habitual_residence_de": True,
            "alg1": {
                "claim_start_date": "2025-02-01",
                "insured_months_30": 30,
                "insured_months_60": 30,
                "sperrzeiten": [
                    {"kind": "MISSED_APPOINTMENT", "start_date": "2025-06-02", "days": 7}
                ],
                "suspensions": [{"start_date": "2025-02-01", "days": 30, "cause": "SEVERANCE"}],
                "training_periods": [{"start_date": "2025-09-01", "end_date": "2025-11-30"}],
            },
        },
    },
    {
        "as_of": "2026-04-01",
        "facts": {
            "birth_date": "1994-03-02",
            "nationality": "THIRD_COUNTRY",
            "entry_date": "2024-09-10",
            "residence_status": "AUFENTHALTSGESTATTUNG",
            "asylum_decision": {
                "type": "ASYL_16A",
                "decision_date": "2026-03-10",
                "served_date": "2026-03-13",
                "final_date": "2026-03-27",
            },
            "erwerbsfaehig": True,
            "hilfebeduerftig": True,
            "habitual_residence_de": True,
        },
    },
]

# An answer of the engine to the first example (reasons and warnings shortened).
CHECK_READ_EXAMPLE: dict[str, Any] = {
    "id": "8d2f6c1a-4b3e-4f5a-9c7d-1e2b3a4c5d6e",
    "case_id": None,
    "handover_id": None,
    "as_of": "2026-01-15",
    "created_at": "2026-01-15T08:30:00Z",
    "legal_domain": "SGB_III",
    "parallel_entitlements": ["SGB_III", "SGB_II"],
    "responsible_org_type": "AGENTUR",
    "integration_responsible_org_type": "AGENTUR",
    "reasons": [
        {
            "code": "ALG1_ACTIVE",
            "text_de": "Am 15.01.2026 besteht ein Anspruch auf Arbeitslosengeld (Restanspruch "
            "137 Tage): zuständig ist die Agentur für Arbeit.",
            "legal_ref": "§§ 136, 137 SGB III",
        }
    ],
    "key_dates": {
        "alg1_claim_start_date": "2025-02-01",
        "alg1_entitlement_days": 443,
        "alg1_end_date": "2026-06-01",
        "alg1_remaining_days": 137,
        "responsibility_change_date": "2026-06-02",
        "info_session_invitation_date": "2026-03-03",
        "sgb2_age_limit_date": "2037-06-30",
        "asylblg_end_date": None,
        "sgb2_start_date": None,
    },
    "warnings": [
        {
            "code": "OLD_AGE_PENSION_UNKNOWN",
            "text_de": "Ob eine Altersrente oder ähnliche Leistung bezogen wird (§ 7 Abs. 4 S. 1 "
            "SGB II), ist nicht angegeben; angenommen: nein.",
            "uncertain": False,
        }
    ],
    "rules_version": "sgb2-buergergeld-2023",
    "erwerbsfaehig_leistungsberechtigt": True,
    "missing_facts": ["alg1.paid_days", "receives_old_age_pension"],
}


class CheckCreate(BaseModel):
    """Facts and the day to decide on, optionally tied to a case."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": CHECK_CREATE_EXAMPLES}
    )

    facts: FactsIn = Field(description="The person's facts; leave out what is unknown")
    as_of: RangedDate = Field(
        description="The day the decision is made for (e.g. a transfer date); every state in "
        "`facts` is read as the one on this day",
        examples=["2026-01-15"],
    )
    case_id: uuid.UUID | None = Field(
        default=None,
        description="Pseudonymous case id, if the check belongs to a case",
        examples=["6f1c2b1e-3d4a-4c59-9a57-0c2f1e8b7d21"],
    )


class CheckRead(BaseModel):
    """A stored decision: Rechtskreis, responsibilities, reasons, key dates, warnings."""

    model_config = ConfigDict(json_schema_extra={"examples": [CHECK_READ_EXAMPLE]})

    id: uuid.UUID
    case_id: uuid.UUID | None
    handover_id: uuid.UUID | None
    as_of: date
    created_at: datetime
    legal_domain: LegalDomainCode = Field(description="Rechtskreis responsible for living costs")
    parallel_entitlements: tuple[LegalDomainCode, ...] = Field(
        description="Rechtskreise paid at the same time (e.g. ALG I plus SGB II top-up)"
    )
    responsible_org_type: OrgTypeCode = Field(description="Who pays living costs")
    integration_responsible_org_type: OrgTypeCode = Field(
        description="Who is responsible for integration into work"
    )
    reasons: tuple[ReasonV1, ...]
    key_dates: KeyDatesV1
    warnings: tuple[WarningV1, ...]
    rules_version: str
    erwerbsfaehig_leistungsberechtigt: bool | None = Field(
        default=None,
        description="Whether the person is an erwerbsfähige/r Leistungsberechtigte/r on `as_of` "
        "(§ 7 (1) S. 1 SGB II): at least 15 and below the § 7a age limit, erwerbsfähig, "
        "hilfebedürftig, habitual residence in Germany, and no exclusion of § 7 (1) S. 2, (4) or "
        "(5) SGB II applies. false when a condition fails or an exclusion applies (also for "
        "non-erwerbsfähige members of a Bedarfsgemeinschaft); null while a fact it needs is "
        "missing",
        examples=[True],
    )
    missing_facts: tuple[str, ...] = Field(
        default=(),
        description="Paths of the facts (as in `facts`, dotted for nested ones) the engine "
        "needed but did not get. Each comes with a warning saying what was assumed instead or "
        "left open; none is silently defaulted",
        examples=[["receives_old_age_pension", "alg1.paid_days"]],
    )

    @classmethod
    def of(cls, check: CheckResult) -> CheckRead:
        """The DTO of a stored check."""
        d = check.decision
        return cls(
            id=check.id,
            case_id=check.case_id,
            handover_id=check.handover_id,
            as_of=check.as_of,
            created_at=check.created_at,
            legal_domain=d.legal_domain,
            parallel_entitlements=d.parallel_entitlements,
            responsible_org_type=d.responsible_org_type,
            integration_responsible_org_type=d.integration_responsible_org_type,
            reasons=d.reasons,
            key_dates=d.key_dates,
            warnings=d.warnings,
            rules_version=d.rules_version,
            erwerbsfaehig_leistungsberechtigt=d.erwerbsfaehig_leistungsberechtigt,
            missing_facts=d.missing_facts,
        )


RULE_EXAMPLE: dict[str, Any] = {
    "code": "ALG1_ENTITLEMENT_DURATION",
    "title_de": "Anspruchsdauer des Arbeitslosengeldes",
    "legal_refs": ["§ 147 Abs. 1 und 2 SGB III"],
    "sources": ["https://www.gesetze-im-internet.de/sgb_3/__147.html"],
    "uncertain": False,
    "valid_from": None,
    "valid_to": None,
    "other_codes": [],
}

RULE_SET_EXAMPLE: dict[str, Any] = {
    "version": "sgb2-buergergeld-2023",
    "name": "Bürgergeld (SGB II ab 01.01.2023)",
    "valid_from": "2023-01-01",
    "valid_to": None,
    "sources": ["https://www.gesetze-im-internet.de/sgb_2/"],
    "notes": [],
    "uncertain": False,
    "rules": [RULE_EXAMPLE],
}


class RuleRead(BaseModel):
    """One rule of the engine with the provisions it applies and their sources."""

    model_config = ConfigDict(json_schema_extra={"examples": [RULE_EXAMPLE]})

    code: str = Field(
        description="Reason code the rule gives in a decision", examples=["ALG1_AGE_LIMIT"]
    )
    title_de: str
    legal_refs: tuple[str, ...] = Field(
        description="Provisions applied (and decisions where one decides the question)"
    )
    sources: tuple[str, ...] = Field(description="Where the statute text was checked")
    uncertain: bool = Field(
        description="True while a reading is unchecked; decisions then carry a warning"
    )
    valid_from: date | None = Field(
        default=None, description="First day in force, when later than the version's start"
    )
    valid_to: date | None = Field(
        default=None, description="Last day in force, when earlier than the version's end"
    )
    other_codes: tuple[str, ...] = Field(
        default=(), description="Further reason codes the same rule gives"
    )

    @classmethod
    def of(cls, rule: Rule) -> RuleRead:
        """The DTO of a domain rule."""
        return cls(
            code=rule.code,
            title_de=rule.title_de,
            legal_refs=rule.legal_refs,
            sources=rule.sources,
            uncertain=rule.uncertain,
            valid_from=rule.valid_from,
            valid_to=rule.valid_to,
            other_codes=rule.other_codes,
        )


class RuleSetRead(BaseModel):
    """One legal version of the rules with its validity and sources."""

    model_config = ConfigDict(json_schema_extra={"examples": [RULE_SET_EXAMPLE]})

    version: str
    name: str
    valid_from: date
    valid_to: date | None = Field(description="Last day in force; null while open-ended")
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    uncertain: bool = Field(description="True while the version is not confirmed in the BGBl.")
    rules: tuple[RuleRead, ...] = Field(
        default=(), description="The rules in force on some day of this version, with sources"
    )

    @classmethod
    def of(cls, ruleset: RuleSet) -> RuleSetRead:
        """The DTO of a domain rule set."""
        return cls(
            version=ruleset.version,
            name=ruleset.name,
            valid_from=ruleset.valid_from,
            valid_to=ruleset.valid_to,
            sources=ruleset.sources,
            notes=ruleset.notes,
            uncertain=ruleset.uncertain,
            rules=tuple(RuleRead.of(rule) for rule in rules_for(ruleset)),
        )


class RuleSetList(BaseModel):
    """Every rule set version, oldest first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [RULE_SET_EXAMPLE]}]})

    items: list[RuleSetRead]


CHECK_EXAMPLES: dict[str, dict[str, Any]] = {
    "alg1_exhausted": {
        "summary": "ALG I ends (54 years, 30 insured months, Witten)",
        "description": "15 months of ALG I from 2025-02-01 end on 2026-04-30; then the Jobcenter.",
        "value": {
            "as_of": "2026-01-15",
            "facts": {
                "birth_date": "1970-06-15",
                "nationality": "GERMAN",
                "erwerbsfaehig": True,
                "habitual_residence_de": True,
                "alg1": {
                    "claim_start_date": "2025-02-01",
                    "insured_months_30": 30,
                    "insured_months_60": 30,
                },
            },
        },
    },
    "asylum_recognised": {
        "summary": "Art. 16a recognition (Münster)",
        "description": "Final on 2026-03-27 (two weeks after service, § 74 (1) AsylG): "
        "AsylbLG ends with that month (§ 1 (3) AsylbLG, § 67 (1) AsylG); SGB II from 2026-04-01.",
        "value": {
            "as_of": "2026-04-01",
            "facts": {
                "birth_date": "1994-03-02",
                "nationality": "THIRD_COUNTRY",
                "entry_date": "2024-09-10",
                "residence_status": "AUFENTHALTSGESTATTUNG",
                "asylum_decision": {
                    "type": "ASYL_16A",
                    "decision_date": "2026-03-10",
                    "served_date": "2026-03-13",
                    "final_date": "2026-03-27",
                },
                "erwerbsfaehig": True,
                "hilfebeduerftig": True,
                "habitual_residence_de": True,
            },
        },
    },
    "eu_citizen_excluded": {
        "summary": "EU citizen in the first three months, never worked here",
        "description": "Excluded from SGB II (§ 7 (1) S. 2 Nr. 1 and 2); stays with the Agentur.",
        "value": {
            "as_of": "2026-03-01",
            "facts": {
                "birth_date": "1990-05-20",
                "nationality": "EU",
                "entry_date": "2026-02-01",
                "residence_status": "EU_JOB_SEEKER",
                "erwerbsfaehig": True,
                "hilfebeduerftig": True,
                "habitual_residence_de": True,
            },
        },
    },
}
