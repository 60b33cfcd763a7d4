"""Refugees: AsylbLG or SGB II by residence title and BAMF decision (domain.md §1.3), with dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eligibility_api.domain.config import ProtectionStartRule, RuleConfig, UkraineLragMode
from eligibility_api.domain.dates import ONE_DAY, add_months, fmt, month_end
from eligibility_api.domain.decision import Reason, Warning
from eligibility_api.domain.facts import (
    AsylumDecision,
    AsylumDecisionKind,
    PersonFacts,
    ResidenceStatus,
)
from eligibility_api.domain.rulesets import LRAG_PLANNED_DATE, UKRAINE_SGB2_CUTOFF_DATE, RuleSet

# § 1 (1) AsylbLG: these titles or statuses keep a person in AsylbLG.
ASYLBLG_STATUSES = frozenset(
    {
        ResidenceStatus.AUFENTHALTSGESTATTUNG,
        ResidenceStatus.DULDUNG,
        ResidenceStatus.VOLLZIEHBAR_AUSREISEPFLICHTIG,
        ResidenceStatus.FOLGEANTRAG,
        ResidenceStatus.AUFENTHG_25_4_S1,
        ResidenceStatus.AUFENTHG_23_1_WAR,
        ResidenceStatus.AUFENTHG_24_WAR,
    }
)
PROTECTION_STATUSES = frozenset(
    {
        ResidenceStatus.AUFENTHG_25_1_ASYL,
        ResidenceStatus.AUFENTHG_25_2_FLUECHTLING,
        ResidenceStatus.AUFENTHG_25_2_SUBSIDIAER,
        ResidenceStatus.AUFENTHG_25_3_ABSCHIEBUNGSVERBOT,
    }
)
# Titles of AufenthG Kap. 2 Abschn. 5 (§§ 22-26): exempt from § 7 (1) S. 2 Nr. 1 SGB II.
HUMANITARIAN_STATUSES = PROTECTION_STATUSES | {
    ResidenceStatus.AUFENTHG_25_5,
    ResidenceStatus.AUFENTHG_25_4_S1,
    ResidenceStatus.AUFENTHG_23_1_WAR,
    ResidenceStatus.AUFENTHG_24_WAR,
    ResidenceStatus.UKRAINE_24,
}
POSITIVE_DECISIONS = frozenset(
    {
        AsylumDecisionKind.ASYL_16A,
        AsylumDecisionKind.FLUECHTLING_3,
        AsylumDecisionKind.SUBSIDIAER_4,
        AsylumDecisionKind.ABSCHIEBUNGSVERBOT_60,
    }
)
_DECISION_TEXT = {
    AsylumDecisionKind.ASYL_16A: "Anerkennung als Asylberechtigte/r (Art. 16a GG)",
    AsylumDecisionKind.FLUECHTLING_3: "Zuerkennung der Flüchtlingseigenschaft (§ 3 AsylG)",
    AsylumDecisionKind.SUBSIDIAER_4: "Zuerkennung subsidiären Schutzes (§ 4 AsylG)",
    AsylumDecisionKind.ABSCHIEBUNGSVERBOT_60: (
        "Feststellung eines Abschiebungsverbots (§ 60 Abs. 5/7 AufenthG)"
    ),
    AsylumDecisionKind.ABGELEHNT: "Ablehnung des Asylantrags",
}
_RULE_DATE_TEXT = {
    ProtectionStartRule.DECISION_MONTH_END: "Entscheidung",
    ProtectionStartRule.SERVICE_MONTH_END: "Zustellung",
    ProtectionStartRule.FINALITY_MONTH_END: "Unanfechtbarkeit",
    ProtectionStartRule.PERMIT_ISSUED_MONTH_END: "Erteilung des Aufenthaltstitels",
    ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END: (
        "Unanfechtbarkeit oder früheren Titelerteilung"
    ),
}
PARA_25_5_MONTHS = 18
LRAG_TRANSITION_MONTHS = 3


@dataclass(frozen=True, slots=True)
class RefugeeAssessment:
    """AsylbLG status on the evaluation day and the dates of a change of Rechtskreis."""

    asylblg: bool | None
    humanitarian: bool
    asylblg_end_date: date | None
    sgb2_start_date: date | None
    asylblg_start_date: date | None
    reasons: tuple[Reason, ...]
    warnings: tuple[Warning, ...]


def protection_basis_date(
    decision: AsylumDecision, rule: ProtectionStartRule
) -> tuple[date | None, ProtectionStartRule | None]:
    """Date whose month end ends AsylbLG, and the rule actually used after falling back."""
    if decision.kind is AsylumDecisionKind.ASYL_16A:
        # § 1 (3) S. 1 Nr. 2 AsylbLG: the month of the recognition, even if not yet final.
        basis = decision.decision_date or decision.served_date
        return basis, ProtectionStartRule.DECISION_MONTH_END if basis else None
    candidates: dict[ProtectionStartRule, date | None] = {
        ProtectionStartRule.DECISION_MONTH_END: decision.decision_date,
        ProtectionStartRule.SERVICE_MONTH_END: decision.served_date,
        ProtectionStartRule.FINALITY_MONTH_END: decision.final_date,
        ProtectionStartRule.PERMIT_ISSUED_MONTH_END: decision.permit_issued_date,
        ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END: min(
            (d for d in (decision.final_date, decision.permit_issued_date) if d is not None),
            default=None,
        ),
    }
    chain = (
        rule,
        ProtectionStartRule.SERVICE_MONTH_END,
        ProtectionStartRule.DECISION_MONTH_END,
    )
    for candidate in chain:
        found = candidates[candidate]
        if found is not None:
            return found, candidate
    return None, None


def asylblg_end_for(basis: date) -> date:
    """AsylbLG ends at the end of the month in which its condition ceases (§ 1 (3) AsylbLG)."""
    return month_end(basis)


def _positive_decision(
    decision: AsylumDecision, as_of: date, config: RuleConfig
) -> RefugeeAssessment:
    reasons: list[Reason] = []
    warnings: list[Warning] = []
    label = _DECISION_TEXT[decision.kind]
    basis, used = protection_basis_date(decision, config.protection_start_rule)
    if decision.kind is not AsylumDecisionKind.ASYL_16A:
        warnings.append(
            Warning(
                code="REFUGEE_PROTECTION_START_UNSURE",
                text_de=f"Beginn des SGB II nach {label}: Lesart "
                f"'{config.protection_start_rule.value}' "
                f"(Monatsende der {_RULE_DATE_TEXT[config.protection_start_rule]}); ob Zustellung, "
                f"Unanfechtbarkeit oder Titelerteilung maßgeblich ist, ist ungeklärt.",
                uncertain=True,
            )
        )
        if used is not None and used is not config.protection_start_rule:
            warnings.append(
                Warning(
                    code="REFUGEE_PROTECTION_DATE_FALLBACK",
                    text_de=f"Datum der {_RULE_DATE_TEXT[config.protection_start_rule]} fehlt: es "
                    f"wird das Datum der {_RULE_DATE_TEXT[used]} verwendet.",
                    uncertain=True,
                )
            )
    if basis is None:
        warnings.append(
            Warning(
                code="REFUGEE_DECISION_DATE_MISSING",
                text_de=f"{label}: kein Datum der Entscheidung bekannt; Ende des AsylbLG nicht "
                "bestimmbar.",
            )
        )
        return RefugeeAssessment(None, True, None, None, None, (), tuple(warnings))
    end = asylblg_end_for(basis)
    start = end + ONE_DAY
    basis_text = _RULE_DATE_TEXT[used] if used is not None else "Entscheidung"
    final_note = (
        ", auch wenn die Entscheidung noch nicht unanfechtbar ist"
        if decision.kind is AsylumDecisionKind.ASYL_16A
        else ""
    )
    reasons.append(
        Reason(
            code="REFUGEE_ASYLBLG_END",
            text_de=f"{label} ({basis_text} am {fmt(basis)}): die Leistungen nach dem AsylbLG "
            f"enden mit Ablauf des {fmt(end)}{final_note}.",
            legal_ref="§ 1 Abs. 3 S. 1 Nr. 2 AsylbLG"
            if decision.kind is AsylumDecisionKind.ASYL_16A
            else "§ 1 Abs. 3 S. 1 Nr. 1 AsylbLG",
        )
    )
    reasons.append(
        Reason(
            code="REFUGEE_SGB2_START",
            text_de=f"Ab dem {fmt(start)} ist bei Erwerbsfähigkeit und Hilfebedürftigkeit das "
            f"Jobcenter zuständig; die Integrationsplanung der Agentur wird fortgeführt.",
            legal_ref="§ 7 Abs. 1 SGB II, § 1 Abs. 3 AsylbLG",
        )
    )
    return RefugeeAssessment(as_of <= end, True, end, start, None, tuple(reasons), tuple(warnings))


def _ukraine(
    facts: PersonFacts, as_of: date, ruleset: RuleSet, config: RuleConfig
) -> RefugeeAssessment:
    granted = facts.ukraine_24_first_granted_date
    lrag = ruleset.ukraine_lrag_in_force_date
    if granted is not None and granted <= UKRAINE_SGB2_CUTOFF_DATE:
        reason = Reason(
            code="UKRAINE_SGB2",
            text_de=f"Aufenthaltserlaubnis nach § 24 AufenthG (Ukraine) erstmals am {fmt(granted)} "
            f"erteilt, also bis zum {fmt(UKRAINE_SGB2_CUTOFF_DATE)}: Leistungen nach SGB II/SGB "
            f"XII statt AsylbLG.",
            legal_ref="§ 1 Abs. 1 Nr. 3 AsylbLG, § 74 SGB II",
        )
        return RefugeeAssessment(False, True, None, None, None, (reason,), ())
    if lrag is None:
        warning = Warning(
            code="UKRAINE_LRAG_PLANNED_UNSURE",
            text_de=f"Geplant (LRAG, noch nicht beschlossen): Wer § 24 AufenthG nach dem "
            f"{fmt(UKRAINE_SGB2_CUTOFF_DATE)} erhalten hat, soll ab {fmt(LRAG_PLANNED_DATE)} "
            f"Leistungen nach dem AsylbLG erhalten.",
            uncertain=True,
        )
        reason = Reason(
            code="UKRAINE_SGB2",
            text_de="Aufenthaltserlaubnis nach § 24 AufenthG (Ukraine): derzeit Leistungen nach "
            "SGB II/SGB XII statt AsylbLG.",
            legal_ref="§ 1 Abs. 1 Nr. 3 AsylbLG, § 74 SGB II",
        )
        return RefugeeAssessment(False, True, None, None, None, (reason,), (warning,))
    if granted is None:
        warning = Warning(
            code="UKRAINE_GRANT_DATE_MISSING",
            text_de=f"Datum der ersten Erteilung nach § 24 AufenthG fehlt: ab {fmt(lrag)} hängt "
            f"die Zuordnung (SGB II oder AsylbLG) davon ab.",
            uncertain=True,
        )
        return RefugeeAssessment(None, True, None, None, None, (), (warning,))
    if config.ukraine_lrag is UkraineLragMode.IGNORE:
        warning = Warning(
            code="UKRAINE_LRAG_IGNORED_UNSURE",
            text_de="Das LRAG (AsylbLG für § 24 AufenthG nach dem "
            f"{fmt(UKRAINE_SGB2_CUTOFF_DATE)}) ist per "
            f"Konfiguration nicht angewandt; es bleibt beim SGB II.",
            uncertain=True,
        )
        return RefugeeAssessment(False, True, None, None, None, (), (warning,))
    latest = add_months(lrag, LRAG_TRANSITION_MONTHS) - ONE_DAY
    approval_end = facts.sgb2_approval_end_date
    transition_end = latest if approval_end is None else min(approval_end, latest)
    transition_end = max(transition_end, lrag - ONE_DAY)
    switch = transition_end + ONE_DAY
    reason = Reason(
        code="UKRAINE_LRAG_ASYLBLG",
        text_de=f"§ 24 AufenthG (Ukraine) erstmals am {fmt(granted)} erteilt, nach dem "
        f"{fmt(UKRAINE_SGB2_CUTOFF_DATE)}: ab {fmt(lrag)} AsylbLG; SGB II läuft bis zum Ende des "
        f"Bewilligungszeitraums, längstens bis {fmt(transition_end)}; AsylbLG ab {fmt(switch)}.",
        legal_ref="§ 1 Abs. 1 AsylbLG i. d. F. des LRAG (geplant)",
    )
    warnings = [
        Warning(
            code="UKRAINE_LRAG_UNSURE",
            text_de="Das Leistungsrechtsanpassungsgesetz (LRAG) ist nicht im BGBl. geprüft; "
            "Inkrafttreten und Übergang sind unsicher.",
            uncertain=True,
        )
    ]
    if approval_end is None:
        warnings.append(
            Warning(
                code="SGB2_APPROVAL_END_MISSING",
                text_de="Ende des SGB-II-Bewilligungszeitraums fehlt: es wird der späteste "
                f"Übergang ({fmt(transition_end)}) angenommen.",
            )
        )
    return RefugeeAssessment(
        as_of >= switch, True, transition_end, None, switch, (reason,), tuple(warnings)
    )


def assess_refugee(
    facts: PersonFacts, as_of: date, ruleset: RuleSet, config: RuleConfig
) -> RefugeeAssessment:
    """Decide whether AsylbLG applies on `as_of` (§ 7 (1) S. 2 Nr. 3 SGB II) and when it ends."""
    decision = facts.asylum_decision
    status = facts.residence_status
    if decision is not None and decision.kind in POSITIVE_DECISIONS:
        return _positive_decision(decision, as_of, config)
    if decision is not None:
        reason = Reason(
            code="REFUGEE_ASYLUM_REJECTED",
            text_de="Asylantrag abgelehnt: weiter Leistungen nach dem AsylbLG "
            "(Aufenthaltsgestattung bis "
            "zur Unanfechtbarkeit, danach ausreisepflichtig oder Duldung).",
            legal_ref="§ 1 Abs. 1 Nr. 1, 4, 5 AsylbLG",
        )
        return RefugeeAssessment(True, False, None, None, None, (reason,), ())
    if status is not None and status in ASYLBLG_STATUSES:
        reason = Reason(
            code="REFUGEE_ASYLBLG_STATUS",
            text_de=f"Aufenthaltsstatus {status.value}: leistungsberechtigt nach dem AsylbLG; die "
            f"Agentur für Arbeit ist für Beratung und Vermittlung zuständig.",
            legal_ref="§ 1 Abs. 1 AsylbLG, § 7 Abs. 1 S. 2 Nr. 3 SGB II",
        )
        return RefugeeAssessment(
            True, status in HUMANITARIAN_STATUSES, None, None, None, (reason,), ()
        )
    if status is ResidenceStatus.AUFENTHG_25_5:
        suspended = facts.deportation_suspended_date
        if suspended is None:
            warning = Warning(
                code="DEPORTATION_SUSPENDED_DATE_MISSING",
                text_de="§ 25 Abs. 5 AufenthG: Datum der Aussetzung der Abschiebung fehlt; ob noch "
                "AsylbLG gilt (18 Monate), ist offen.",
            )
            return RefugeeAssessment(None, True, None, None, None, (), (warning,))
        ceases = add_months(suspended, PARA_25_5_MONTHS)
        end = asylblg_end_for(ceases)
        reason = Reason(
            code="REFUGEE_25_5_EIGHTEEN_MONTHS",
            text_de=f"§ 25 Abs. 5 AufenthG, Abschiebung ausgesetzt seit {fmt(suspended)}: 18 "
            f"Monate sind am "
            f"{fmt(ceases)} erreicht; AsylbLG bis {fmt(end)}, danach SGB II/SGB XII ab "
            f"{fmt(end + ONE_DAY)}.",
            legal_ref="§ 1 Abs. 1 Nr. 3 Buchst. c, Abs. 3 AsylbLG",
        )
        return RefugeeAssessment(as_of <= end, True, end, end + ONE_DAY, None, (reason,), ())
    if status is ResidenceStatus.UKRAINE_24:
        return _ukraine(facts, as_of, ruleset, config)
    if status is not None and status in PROTECTION_STATUSES:
        reason = Reason(
            code="REFUGEE_PROTECTION_TITLE",
            text_de=f"Schutzstatus mit Aufenthaltserlaubnis ({status.value}): SGB II bzw. SGB XII "
            f"statt AsylbLG; Jobcenter zuständig.",
            legal_ref="§ 25 Abs. 1-3 AufenthG, § 7 Abs. 1 SGB II",
        )
        return RefugeeAssessment(False, True, None, None, None, (reason,), ())
    return RefugeeAssessment(False, False, None, None, None, (), ())
