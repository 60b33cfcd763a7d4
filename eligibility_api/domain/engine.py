"""The engine: evaluate(facts, as_of) → Decision, combining ALG I, refugee status and § 7 SGB II."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from eligibility_api.domain.alg1 import Alg1Result, Step, Trail, compute_alg1
from eligibility_api.domain.config import RuleConfig
from eligibility_api.domain.dates import ONE_DAY, completed_years, fmt
from eligibility_api.domain.decision import (
    Decision,
    KeyDates,
    LegalDomain,
    OrgType,
    Reason,
    Warning,
)
from eligibility_api.domain.facts import PersonFacts
from eligibility_api.domain.missing_facts import missing_facts
from eligibility_api.domain.refugees import RefugeeAssessment, assess_refugee
from eligibility_api.domain.rulesets import (
    PLAN_TYPE_TEXT_DE,
    NoRuleSetError,
    RuleSet,
    list_rulesets,
    plan_type_on,
    ruleset_for,
)
from eligibility_api.domain.sgb2 import (
    Sgb2Assessment,
    Sgb2Outcome,
    assess_sgb2,
    pension_unknown_warning,
)

__all__ = ["compute_alg1", "evaluate"]

U25_AGE = 25

_DOMAIN_BY_OUTCOME: dict[Sgb2Outcome, LegalDomain] = {
    Sgb2Outcome.ENTITLED: LegalDomain.SGB_II,
    Sgb2Outcome.ENTITLED_NON_ERWERBSFAEHIG: LegalDomain.SGB_II,
    Sgb2Outcome.ASYLBLG: LegalDomain.ASYLBLG,
    Sgb2Outcome.SGB_XII: LegalDomain.SGB_XII,
    Sgb2Outcome.NONE: LegalDomain.NONE,
    Sgb2Outcome.UNDETERMINED: LegalDomain.NONE,
}
_ORG_BY_DOMAIN: dict[LegalDomain, OrgType] = {
    LegalDomain.SGB_III: OrgType.AGENTUR,
    LegalDomain.SGB_II: OrgType.JOBCENTER,
    LegalDomain.ASYLBLG: OrgType.SOCIAL_OFFICE,
    LegalDomain.SGB_XII: OrgType.SOCIAL_OFFICE,
    LegalDomain.NONE: OrgType.NONE,
}


def _ruleset(as_of: date) -> tuple[RuleSet, list[Warning]]:
    try:
        return ruleset_for(as_of), []
    except NoRuleSetError:
        earliest = list_rulesets()[0]
        return earliest, [
            Warning(
                code="RULESET_OUT_OF_RANGE",
                text_de=f"Für den {fmt(as_of)} ist keine Rechtsversion hinterlegt; angewandt wird "
                f"'{earliest.version}' (ab {fmt(earliest.valid_from)}).",
                uncertain=True,
            )
        ]


def _benefit_on(day: date, fallback: RuleSet) -> str:
    try:
        return ruleset_for(day).sgb2_benefit_name
    except NoRuleSetError:
        return fallback.sgb2_benefit_name


def _can_seek_work(facts: PersonFacts, sgb2: Sgb2Assessment, as_of: date) -> bool:
    # A registered job seeker without benefit stays with the Agentur (domain.md §0.1, §2.1 step 8).
    if facts.erwerbsfaehig is False or facts.habitual_residence_de is False:
        return False
    if facts.birth_date is not None:
        age = completed_years(facts.birth_date, as_of)
        if age < 15 or (sgb2.age_limit_date is not None and as_of > sgb2.age_limit_date):
            return False
    return facts.receives_old_age_pension is not True


def _responsibility_change(
    end: date, age_limit: date | None, ruleset: RuleSet, aufstocker: bool
) -> Reason:
    change = end + ONE_DAY
    benefit = _benefit_on(change, ruleset)
    if end == age_limit:
        # § 7a SGB II ends SGB II at the same month end as § 136 (2) SGB III ends ALG I (both
        # by the Regelaltersgrenze of § 235 SGB VI), so the person does not move to the Jobcenter.
        return Reason(
            code="RESPONSIBILITY_CHANGE",
            text_de=f"Ab dem {fmt(change)} besteht wegen der Regelaltersgrenze weder Anspruch auf "
            f"Arbeitslosengeld noch auf {benefit}: Regelaltersrente bei der Rentenversicherung, "
            "bei Bedürftigkeit Grundsicherung im Alter beim Sozialamt.",
            legal_ref="§ 136 Abs. 2 SGB III, § 7a SGB II, § 41 Abs. 2 SGB XII",
        )
    integration = (
        " Die Eingliederung geht dann von der Agentur auf das Jobcenter über." if aufstocker else ""
    )
    return Reason(
        code="RESPONSIBILITY_CHANGE",
        text_de=f"Ab dem {fmt(change)} ist bei Hilfebedürftigkeit {benefit} beim Jobcenter "
        f"zu beantragen; die BA empfiehlt den Antrag 4 bis 6 Wochen vor dem Ende.{integration}",
        legal_ref="§ 37 SGB II, § 5 Abs. 4 SGB II",
    )


def _alg1_reasons(
    alg: Alg1Result, as_of: date, ruleset: RuleSet, aufstocker: bool, config: RuleConfig
) -> list[Reason]:
    reasons: list[Reason] = []
    end = alg.end_date
    running = alg.running_on(as_of)
    if running:
        rest = (
            f" (Restanspruch {alg.remaining_days} Tage)" if alg.remaining_days is not None else ""
        )
        reasons.append(
            Reason(
                code="ALG1_ACTIVE",
                text_de=f"Am {fmt(as_of)} besteht ein Anspruch auf Arbeitslosengeld{rest}: "
                f"zuständig ist die Agentur für Arbeit.",
                legal_ref="§§ 136, 137 SGB III",
            )
        )
    elif end is not None and as_of > end and end == alg.age_limit_date:
        reasons.append(
            Reason(
                code="ALG1_ENDED_AGE_LIMIT",
                text_de=f"Das Arbeitslosengeld endete am {fmt(end)} mit dem Monat, in dem die "
                "Regelaltersgrenze erreicht wurde; ein Wechsel zum Jobcenter folgt daraus nicht.",
                legal_ref="§ 136 Abs. 2 SGB III, § 7a SGB II",
            )
        )
    elif end is not None and as_of > end:
        reasons.append(
            Reason(
                code="ALG1_EXHAUSTED",
                text_de=f"Der Anspruch auf Arbeitslosengeld endete am {fmt(end)}. Die "
                "Zuständigkeit "
                f"wechselt nicht automatisch: erst der Antrag auf {ruleset.sgb2_benefit_name} "
                f"beim Jobcenter "
                f"(wirkt auf den Monatsersten zurück) begründet sie.",
                legal_ref="§ 37 SGB II",
            )
        )
    if end is not None and as_of <= end:
        reasons.append(_responsibility_change(end, alg.age_limit_date, ruleset, aufstocker))
        invitation = end - timedelta(days=config.info_session_lead_days)
        reasons.append(
            Reason(
                code="INFO_SESSION_INVITATION",
                text_de="Einladung zur gemeinsamen Informationsveranstaltung von Agentur und "
                f"Jobcenter etwa drei Monate vor dem Ende: am {fmt(invitation)} "
                f"({config.info_session_lead_days} Tage vor dem {fmt(end)}).",
                legal_ref="Kooperationsvereinbarung Agentur–Jobcenter (R1)",
            )
        )
    return reasons


def _sgb2_plan_reasons(ruleset: RuleSet, day: date) -> list[Reason]:
    plan = plan_type_on(ruleset, day)
    reasons = [
        Reason(
            code="SGB2_INTEGRATION_PLAN",
            text_de=f"Das Jobcenter erstellt {PLAN_TYPE_TEXT_DE[plan]}; die "
            "Eingliederungsvereinbarung und "
            f"das Profil der Agentur (§ 37 SGB III) gehen als Grundlage ein.",
            legal_ref="§ 15 SGB II",
        )
    ]
    if ruleset.placement_priority_ref is not None:
        reasons.append(
            Reason(
                code="SGB2_PLACEMENT_PRIORITY",
                text_de=f"Vorrang der Vermittlung in Arbeit ({ruleset.sgb2_benefit_name}, "
                f"Rechtsstand '{ruleset.version}').",
                legal_ref=ruleset.placement_priority_ref,
            )
        )
    return reasons


def _u25_reasons(facts: PersonFacts, as_of: date, legal: LegalDomain) -> list[Reason]:
    if facts.birth_date is None:
        return []
    age = completed_years(facts.birth_date, as_of)
    if not 15 <= age < U25_AGE:
        return []
    reasons = [
        Reason(
            code="U25_CAREER_GUIDANCE",
            text_de=f"Unter 25 Jahre ({age}): die Berufsberatung der Agentur für Arbeit bleibt in "
            f"jedem Rechtskreis zuständig.",
            legal_ref="§§ 29 ff. SGB III",
        )
    ]
    if legal is LegalDomain.SGB_II:
        reasons.append(
            Reason(
                code="U25_JOINT_CASE_MANAGEMENT",
                text_de="Unter 25 im SGB II: bei komplexen Fällen gemeinsame Fallarbeit mit der "
                "Berufsberatung (Jugendberufsagentur), eine federführende Stelle, keine doppelten "
                "Maßnahmen; Auszug nur nach Zusicherung.",
                legal_ref="§ 18 SGB II, § 22 Abs. 5 SGB II",
            )
        )
    return reasons


def _dedupe(warnings: list[Warning]) -> tuple[Warning, ...]:
    seen: set[str] = set()
    unique: list[Warning] = []
    for warning in warnings:
        if warning.code not in seen:
            seen.add(warning.code)
            unique.append(warning)
    return tuple(unique)


@dataclass(frozen=True, slots=True)
class Responsibility:
    """Who is responsible for living costs and for integration into work on the day."""

    legal: LegalDomain
    integration: OrgType
    parallel: tuple[LegalDomain, ...] = ()
    aufstocker: bool = False


def ruleset_on(as_of: date) -> Step[RuleSet]:
    """The legal version in force, with a warning when it is out of range or not yet confirmed."""
    ruleset, warnings = _ruleset(as_of)
    if ruleset.uncertain:
        warnings.append(
            Warning(
                code="RULESET_UNSURE",
                text_de=f"Rechtsstand '{ruleset.version}' ({ruleset.name}) ist noch nicht im "
                f"Bundesgesetzblatt geprüft.",
                uncertain=True,
            )
        )
    return Step(ruleset, warnings=tuple(warnings))


def alg1_on(
    facts: PersonFacts, as_of: date, ruleset: RuleSet, cfg: RuleConfig
) -> Step[Alg1Result | None]:
    """The ALG I claim, if the facts name one."""
    if facts.alg1 is None:
        return Step(None)
    alg = compute_alg1(facts.alg1, facts.birth_date, as_of, ruleset, cfg)
    return Step(alg, reasons=alg.reasons, warnings=alg.warnings)


def responsibility_during_alg1(sgb2: Sgb2Assessment, ruleset: RuleSet) -> Step[Responsibility]:
    """A running ALG I claim keeps the Agentur responsible; SGB II may top it up (§ 5 (4))."""
    other = _DOMAIN_BY_OUTCOME[sgb2.outcome]
    if other is LegalDomain.NONE or sgb2.hilfebeduerftig is not True:
        return Step(Responsibility(LegalDomain.SGB_III, OrgType.AGENTUR))
    aufstocker = other is LegalDomain.SGB_II
    responsibility = Responsibility(
        LegalDomain.SGB_III, OrgType.AGENTUR, (LegalDomain.SGB_III, other), aufstocker
    )
    if not aufstocker:
        return Step(responsibility)
    reason = Reason(
        code="AUFSTOCKER",
        text_de=f"Arbeitslosengeld deckt den Bedarf nicht: zusätzlich "
        f"{ruleset.sgb2_benefit_name} vom Jobcenter; die Eingliederung in Arbeit "
        f"bleibt bei der Agentur für Arbeit.",
        legal_ref="§ 5 Abs. 4 SGB II, § 22 Abs. 4 S. 5 SGB III",
    )
    return Step(responsibility, reasons=(reason,))


def responsibility_without_alg1(
    facts: PersonFacts, sgb2: Sgb2Assessment, as_of: date
) -> Step[Responsibility]:
    """Without ALG I the SGB II/AsylbLG/SGB XII outcome decides; a job seeker stays with the
    Agentur."""
    legal = _DOMAIN_BY_OUTCOME[sgb2.outcome]
    if sgb2.outcome is Sgb2Outcome.ENTITLED:
        return Step(Responsibility(legal, OrgType.JOBCENTER))
    if legal is LegalDomain.ASYLBLG:
        return Step(Responsibility(legal, OrgType.AGENTUR))
    if legal is LegalDomain.NONE and _can_seek_work(facts, sgb2, as_of):
        # § 7 (4) S. 1 SGB II is not reached when § 7 (1) S. 2 excludes first, yet an old-age
        # pensioner is no job seeker either: say that a pension was assumed not to be drawn.
        assumed = (pension_unknown_warning(),) if facts.receives_old_age_pension is None else ()
        reason = Reason(
            code="AGENTUR_JOB_SEEKER",
            text_de="Kein Anspruch auf Leistungen zum Lebensunterhalt nach SGB II, SGB XII "
            "oder AsylbLG festgestellt; die Person bleibt bei der Agentur für Arbeit "
            "arbeitsuchend gemeldet (Beratung und Vermittlung).",
            legal_ref="§§ 35, 38 SGB III",
        )
        return Step(Responsibility(legal, OrgType.AGENTUR), reasons=(reason,), warnings=assumed)
    return Step(Responsibility(legal, OrgType.NONE))


def key_dates_of(
    alg: Alg1Result | None, refugee: RefugeeAssessment, sgb2: Sgb2Assessment, cfg: RuleConfig
) -> KeyDates:
    """The dates the handover and the transition scheduler act on."""
    end = alg.end_date if alg is not None else None
    change: date | None = refugee.sgb2_start_date or refugee.asylblg_start_date
    if change is None and end is not None:
        change = end + ONE_DAY
    return KeyDates(
        alg1_claim_start_date=alg.claim_start_date if alg is not None else None,
        alg1_entitlement_days=alg.entitlement_days if alg is not None else None,
        alg1_end_date=end,
        alg1_remaining_days=alg.remaining_days if alg is not None else None,
        responsibility_change_date=change,
        info_session_invitation_date=(
            end - timedelta(days=cfg.info_session_lead_days) if end is not None else None
        ),
        sgb2_age_limit_date=sgb2.age_limit_date,
        asylblg_end_date=refugee.asylblg_end_date,
        sgb2_start_date=refugee.sgb2_start_date,
    )


def evaluate(facts: PersonFacts, as_of: date, config: RuleConfig | None = None) -> Decision:
    """Decide the responsible Rechtskreis on `as_of`; pure, deterministic, never raises on gaps."""
    cfg = config or RuleConfig()
    trail = Trail()
    ruleset = trail.take(ruleset_on(as_of))
    alg = trail.take(alg1_on(facts, as_of, ruleset, cfg))
    alg_running = alg is not None and alg.running_on(as_of)
    refugee = assess_refugee(facts, as_of, ruleset, cfg)
    trail.take(Step(refugee, refugee.reasons, refugee.warnings))
    monthly = facts.alg1.monthly_amount_eur if facts.alg1 is not None else None
    sgb2 = assess_sgb2(facts, as_of, ruleset, refugee, monthly, alg_running)
    trail.take(Step(sgb2, sgb2.reasons, sgb2.warnings))
    who = trail.take(
        responsibility_during_alg1(sgb2, ruleset)
        if alg_running
        else responsibility_without_alg1(facts, sgb2, as_of)
    )
    if alg is not None:
        trail.reasons.extend(_alg1_reasons(alg, as_of, ruleset, who.aufstocker, cfg))
    if sgb2.outcome is Sgb2Outcome.ENTITLED and not alg_running:
        trail.reasons.extend(_sgb2_plan_reasons(ruleset, as_of))
    trail.reasons.extend(_u25_reasons(facts, as_of, who.legal))
    warnings = _dedupe(trail.warnings)
    return Decision(
        legal_domain=who.legal,
        responsible_org_type=_ORG_BY_DOMAIN[who.legal],
        integration_responsible_org_type=who.integration,
        rules_version=ruleset.version,
        parallel_entitlements=who.parallel,
        reasons=tuple(trail.reasons),
        key_dates=key_dates_of(alg, refugee, sgb2, cfg),
        warnings=warnings,
        erwerbsfaehig_leistungsberechtigt=sgb2.erwerbsfaehig_leistungsberechtigt,
        missing_facts=missing_facts(facts, warnings),
    )
