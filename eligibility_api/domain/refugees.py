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
# Titles of AufenthG Kap. 2 Abschn. 5 that § 1 (1) Nr. 3 AsylbLG does not list: SGB II/XII.
OTHER_HUMANITARIAN_STATUSES = frozenset(
    {
        ResidenceStatus.AUFENTHG_22,
        ResidenceStatus.AUFENTHG_23_1,
        ResidenceStatus.AUFENTHG_23_2,
        ResidenceStatus.AUFENTHG_23_4,
        ResidenceStatus.AUFENTHG_23A,
        ResidenceStatus.AUFENTHG_25_4_S2,
        ResidenceStatus.AUFENTHG_25A,
        ResidenceStatus.AUFENTHG_25B,
        ResidenceStatus.AUFENTHG_26_4,
    }
)
# Titles of AufenthG Kap. 2 Abschn. 5 (§§ 22-26): exempt from § 7 (1) S. 2 Nr. 1 SGB II.
HUMANITARIAN_STATUSES = (
    PROTECTION_STATUSES
    | OTHER_HUMANITARIAN_STATUSES
    | {
        ResidenceStatus.AUFENTHG_25_5,
        ResidenceStatus.AUFENTHG_25_4_S1,
        ResidenceStatus.AUFENTHG_23_1_WAR,
        ResidenceStatus.AUFENTHG_24_WAR,
        ResidenceStatus.UKRAINE_24,
    }
)
_TITLE_TEXT = {
    ResidenceStatus.AUFENTHG_22: "§ 22 AufenthG (Aufnahme aus dem Ausland)",
    ResidenceStatus.AUFENTHG_23_1: "§ 23 Abs. 1 AufenthG (Aufnahmeanordnung eines Landes, nicht "
    "wegen Krieges im Heimatland)",
    ResidenceStatus.AUFENTHG_23_2: "§ 23 Abs. 2 AufenthG (Aufnahme bei besonders gelagerten "
    "politischen Interessen)",
    ResidenceStatus.AUFENTHG_23_4: "§ 23 Abs. 4 AufenthG (Resettlement)",
    ResidenceStatus.AUFENTHG_23A: "§ 23a AufenthG (Härtefallersuchen)",
    ResidenceStatus.AUFENTHG_25_4_S2: "§ 25 Abs. 4 S. 2 AufenthG (Verlängerung wegen "
    "außergewöhnlicher Härte)",
    ResidenceStatus.AUFENTHG_25A: "§ 25a AufenthG (gut integrierte Jugendliche und junge "
    "Volljährige)",
    ResidenceStatus.AUFENTHG_25B: "§ 25b AufenthG (nachhaltige Integration)",
    ResidenceStatus.AUFENTHG_26_4: "§ 26 Abs. 4 AufenthG (Niederlassungserlaubnis aus "
    "humanitären Gründen)",
}
# § 67 (1) AsylG was renumbered with effect from 12 Jun 2026 (GEAS adaptation).
ASYLG_RENUMBERED_DATE = date(2026, 6, 12)
_FINALITY_RULES = frozenset(
    {
        ProtectionStartRule.FINALITY_MONTH_END,
        ProtectionStartRule.PERMIT_ISSUED_MONTH_END,
        ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END,
    }
)
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
    if rule in _FINALITY_RULES:
        # § 67 (1) AsylG, § 1 (2) AsylbLG: the Aufenthaltsgestattung lasts until the decision is
        # final or a title is issued; an earlier date would end AsylbLG before the law does.
        chain: tuple[ProtectionStartRule, ...] = (rule,)
    else:
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


def _start_rule_warnings(
    decision: AsylumDecision, config: RuleConfig, used: ProtectionStartRule | None
) -> list[Warning]:
    label = _DECISION_TEXT[decision.kind]
    rule = config.protection_start_rule
    statute = rule is ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END
    reading = (
        "die Lesart des Gesetzes (§ 1 Abs. 2 und 3 AsylbLG mit § 67 Abs. 1 AsylG: die "
        "Aufenthaltsgestattung erlischt mit der Unanfechtbarkeit, die Leistungsberechtigung "
        "entfällt auch mit einem Aufenthaltstitel von mehr als sechs Monaten)"
        if statute
        else "eine von § 67 Abs. 1 AsylG abweichende Lesart (nach dem Gesetz zählt erst die "
        "Unanfechtbarkeit oder die frühere Titelerteilung)"
    )
    warnings = [
        Warning(
            code="REFUGEE_PROTECTION_START_UNSURE",
            text_de=f"Ende des AsylbLG nach {label}: Lesart '{rule.value}' (Monatsende der "
            f"{_RULE_DATE_TEXT[rule]}), {reading}; die Regel ist konfigurierbar.",
            uncertain=True,
        )
    ]
    if decision.kind is AsylumDecisionKind.ASYL_16A:
        warnings.append(
            Warning(
                code="ASYLBLG_16A_RULE_REMOVED_UNSURE",
                text_de="Die frühere Sonderregel (AsylbLG endet im Monat der Anerkennung als "
                "Asylberechtigte/r, auch vor der Unanfechtbarkeit; § 1 Abs. 3 S. 1 Nr. 2 AsylbLG "
                "a. F.) steht nicht mehr im Gesetz; angewandt wird die allgemeine Regel. Das "
                "Änderungsgesetz ist nicht im BGBl. geprüft.",
                uncertain=True,
            )
        )
    if used is not None and used is not rule:
        warnings.append(
            Warning(
                code="REFUGEE_PROTECTION_DATE_FALLBACK",
                text_de=f"Datum der {_RULE_DATE_TEXT[rule]} fehlt: es wird das Datum der "
                f"{_RULE_DATE_TEXT[used]} verwendet.",
                uncertain=True,
            )
        )
    return warnings


def _asylblg_end_ref(
    decision: AsylumDecision, used: ProtectionStartRule | None, basis: date
) -> tuple[str, list[Warning]]:
    """Legal reference of the AsylbLG end, citing § 67 AsylG as in force on the basis date."""
    by_permit = used is ProtectionStartRule.PERMIT_ISSUED_MONTH_END or (
        used is ProtectionStartRule.FINALITY_OR_PERMIT_MONTH_END
        and basis == decision.permit_issued_date
        and basis != decision.final_date
    )
    if by_permit:
        return "§ 1 Abs. 2 und 3 AsylbLG", []
    if used not in _FINALITY_RULES:
        return "§ 1 Abs. 3 AsylbLG", []
    if basis < ASYLG_RENUMBERED_DATE:
        return "§ 1 Abs. 3 AsylbLG, § 67 Abs. 1 S. 1 Nr. 6 AsylG", []
    warning = Warning(
        code="ASYLG_67_NUMBERING_UNSURE",
        text_de="§ 67 Abs. 1 AsylG ist seit dem 12.06.2026 neu nummeriert; die Nummer der "
        "Unanfechtbarkeit in der neuen Fassung ist nicht geprüft.",
        uncertain=True,
    )
    return "§ 1 Abs. 3 AsylbLG, § 67 Abs. 1 AsylG (Fassung ab 12.06.2026)", [warning]


def _positive_decision(
    decision: AsylumDecision, as_of: date, config: RuleConfig
) -> RefugeeAssessment:
    reasons: list[Reason] = []
    label = _DECISION_TEXT[decision.kind]
    basis, used = protection_basis_date(decision, config.protection_start_rule)
    warnings = _start_rule_warnings(decision, config, used)
    if basis is None and config.protection_start_rule in _FINALITY_RULES:
        # Not yet final and no title issued: the Aufenthaltsgestattung (and AsylbLG) goes on at
        # least to the end of the month of the decision; after that it is open.
        known = decision.served_date or decision.decision_date
        still = True if known is not None and as_of <= month_end(known) else None
        warnings.append(
            Warning(
                code="REFUGEE_FINALITY_DATE_MISSING",
                text_de=f"{label}: weder Unanfechtbarkeit noch Erteilung eines "
                "Aufenthaltstitels angegeben; das Ende des AsylbLG (§ 1 Abs. 3 AsylbLG, § 67 "
                "Abs. 1 AsylG) ist offen.",
            )
        )
        return RefugeeAssessment(still, True, None, None, None, (), tuple(warnings))
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
    legal_ref, ref_warnings = _asylblg_end_ref(decision, used, basis)
    warnings.extend(ref_warnings)
    reasons.append(
        Reason(
            code="REFUGEE_ASYLBLG_END",
            text_de=f"{label} ({basis_text} am {fmt(basis)}): die Leistungen nach dem AsylbLG "
            f"enden mit Ablauf des {fmt(end)}.",
            legal_ref=legal_ref,
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
    if status is not None and status in OTHER_HUMANITARIAN_STATUSES:
        reason = Reason(
            code="REFUGEE_HUMANITARIAN_TITLE_SGB2",
            text_de=f"Aufenthaltserlaubnis nach {_TITLE_TEXT[status]}: nicht in § 1 Abs. 1 Nr. 3 "
            f"AsylbLG genannt, daher SGB II bzw. SGB XII statt AsylbLG; Jobcenter zuständig.",
            legal_ref="§ 1 Abs. 1 Nr. 3 AsylbLG, § 7 Abs. 1 SGB II",
        )
        return RefugeeAssessment(False, True, None, None, None, (reason,), ())
    if status is ResidenceStatus.AUFENTHG_104C:
        reason = Reason(
            code="REFUGEE_CHANCEN_AUFENTHALT_SGB2",
            text_de="Chancen-Aufenthaltsrecht (§ 104c AufenthG): nicht in § 1 Abs. 1 AsylbLG "
            "genannt, daher SGB II bzw. SGB XII statt AsylbLG; Jobcenter zuständig.",
            legal_ref="§ 104c AufenthG, § 1 Abs. 1 AsylbLG, § 7 Abs. 1 SGB II",
        )
        return RefugeeAssessment(False, False, None, None, None, (reason,), ())
    return RefugeeAssessment(False, False, None, None, None, (), ())
