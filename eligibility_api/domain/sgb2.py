"""SGB II § 7: age (§ 7a), erwerbsfähig (§ 8), hilfebedürftig (§ 9), residence, exclusions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from eligibility_api.domain.dates import (
    ONE_DAY,
    anniversary,
    completion_date,
    fmt,
    month_end,
    period_end,
)
from eligibility_api.domain.decision import Reason, Warning
from eligibility_api.domain.facts import Nationality, PersonFacts, ResidenceStatus
from eligibility_api.domain.refugees import RefugeeAssessment
from eligibility_api.domain.rulesets import RuleSet

MIN_AGE = 15
FIRST_STAY_MONTHS = 3
EU_ACCESS_MONTHS = 5 * 12
_WORKER_STATUSES = frozenset(
    {ResidenceStatus.EU_WORKER, ResidenceStatus.RESIDENCE_PERMIT_EMPLOYMENT}
)
_SETTLED_STATUSES = frozenset(
    {ResidenceStatus.EU_PERMANENT_RESIDENCE, ResidenceStatus.SETTLEMENT_PERMIT}
)
# § 7 (1) S. 2 Nr. 2 SGB II: only a job-seeking right of residence, or none.
_JOB_SEEKING_STATUSES = frozenset(
    {ResidenceStatus.EU_JOB_SEEKER, ResidenceStatus.RESIDENCE_PERMIT_JOB_SEARCH}
)


class Sgb2Outcome(StrEnum):
    """Result of the § 7 SGB II check on one day."""

    ENTITLED = "ENTITLED"
    ENTITLED_NON_ERWERBSFAEHIG = "ENTITLED_NON_ERWERBSFAEHIG"
    ASYLBLG = "ASYLBLG"
    SGB_XII = "SGB_XII"
    NONE = "NONE"
    UNDETERMINED = "UNDETERMINED"


@dataclass(frozen=True, slots=True)
class Sgb2Assessment:
    """SGB II outcome with its reasons; `excluded_foreigner` marks § 7 (1) S. 2 Nr. 1/2."""

    outcome: Sgb2Outcome
    hilfebeduerftig: bool | None
    age_limit_date: date | None
    excluded_foreigner: bool
    reasons: tuple[Reason, ...]
    warnings: tuple[Warning, ...]


def age_limit_months(birth_year: int) -> int:
    """Age in months at which the § 7a SGB II limit is completed, by birth year."""
    if birth_year < 1947:
        return 65 * 12
    if birth_year <= 1958:
        return 65 * 12 + (birth_year - 1946)
    if birth_year <= 1963:
        return 66 * 12 + 2 * (birth_year - 1958)
    return 67 * 12


def age_limit_date(birth_date: date) -> date:
    """Last day of SGB II: end of the month in which the § 7a limit is completed (§ 7a S. 1)."""
    return month_end(completion_date(birth_date, age_limit_months(birth_date.year)))


def eur(amount: Decimal) -> str:
    """Format an amount the German way, e.g. 1.234,50 €."""
    text = f"{amount:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def hilfebeduerftigkeit(
    facts: PersonFacts, alg1_monthly: Decimal | None, alg1_running: bool
) -> tuple[bool | None, list[Reason], list[Warning]]:
    """§ 9 SGB II: explicit answer, else household need vs. countable income including ALG I."""
    if facts.hilfebeduerftig is not None:
        text = "hilfebedürftig" if facts.hilfebeduerftig else "nicht hilfebedürftig"
        reason = Reason(
            code="SGB2_HILFEBEDUERFTIGKEIT_STATED",
            text_de=f"Laut Angabe der Fachkraft ist die Bedarfsgemeinschaft {text}.",
            legal_ref="§ 9 SGB II",
        )
        return facts.hilfebeduerftig, [reason], []
    need = facts.household_monthly_need_eur
    income = facts.household_monthly_income_eur
    if need is None or income is None:
        warning = Warning(
            code="HILFEBEDUERFTIGKEIT_UNKNOWN",
            text_de="Hilfebedürftigkeit unbekannt: weder Angabe noch Bedarf und Einkommen der "
            "Bedarfsgemeinschaft vorhanden.",
        )
        return None, [], [warning]
    if alg1_running and alg1_monthly is None:
        warning = Warning(
            code="ALG1_AMOUNT_MISSING",
            text_de="Höhe des Arbeitslosengeldes fehlt: ob aufstockend SGB II zusteht, ist offen.",
        )
        return None, [], [warning]
    alg1_part = alg1_monthly if alg1_running and alg1_monthly is not None else Decimal(0)
    total = income + alg1_part
    needy = need > total
    alg_text = f" (davon Arbeitslosengeld {eur(alg1_part)})" if alg1_part else ""
    verdict = "übersteigt" if needy else "übersteigt nicht"
    reason = Reason(
        code="SGB2_HILFEBEDUERFTIG" if needy else "SGB2_NOT_HILFEBEDUERFTIG",
        text_de=f"Der monatliche Bedarf der Bedarfsgemeinschaft von {eur(need)} {verdict} das "
        f"anrechenbare Einkommen von {eur(total)}{alg_text}.",
        legal_ref="§§ 9, 11 SGB II",
    )
    warning = Warning(
        code="SGB2_ASSETS_NOT_CHECKED",
        text_de="Vermögen ist nicht geprüft; Hilfebedürftigkeit nur nach Einkommen beurteilt.",
    )
    return needy, [reason], [warning]


def foreigner_exclusions(
    facts: PersonFacts, as_of: date, humanitarian: bool
) -> tuple[bool | None, bool | None, list[Reason], list[Warning]]:
    """§ 7 (1) S. 2 Nr. 1 (first three months) and Nr. 2 (job seeking / no right), with S. 4."""
    reasons: list[Reason] = []
    warnings: list[Warning] = []
    if facts.nationality is Nationality.GERMAN:
        return False, False, reasons, warnings
    if facts.nationality is None:
        warnings.append(
            Warning(
                code="NATIONALITY_MISSING",
                text_de="Staatsangehörigkeit fehlt: Leistungsausschlüsse für Ausländer sind nicht "
                "geprüft.",
            )
        )
        return None, None, reasons, warnings
    status = facts.residence_status
    entry = facts.entry_date
    nr1: bool | None
    if humanitarian or status in _WORKER_STATUSES or status in _SETTLED_STATUSES:
        nr1 = False
    elif entry is None:
        nr1 = None
        warnings.append(
            Warning(
                code="ENTRY_DATE_MISSING",
                text_de="Einreisedatum fehlt: Ausschluss in den ersten drei Monaten des "
                "Aufenthalts nicht geprüft.",
            )
        )
    else:
        first_stay_end = period_end(entry, FIRST_STAY_MONTHS)
        nr1 = as_of <= first_stay_end
        if nr1:
            reasons.append(
                Reason(
                    code="SGB2_EXCLUDED_FIRST_3_MONTHS",
                    text_de=f"Einreise am {fmt(entry)}: in den ersten drei Monaten des Aufenthalts "
                    f"(bis {fmt(first_stay_end)}) "
                    f"besteht kein Anspruch, weil weder Arbeitnehmer- noch Selbständigenstatus "
                    f"noch ein humanitärer Aufenthaltstitel vorliegt.",
                    legal_ref="§ 7 Abs. 1 S. 2 Nr. 1 SGB II",
                )
            )
    nr2: bool | None
    if humanitarian:
        nr2 = False
    elif status is None:
        nr2 = None
        warnings.append(
            Warning(
                code="RESIDENCE_STATUS_MISSING",
                text_de="Aufenthaltsstatus fehlt: Ausschlüsse nach § 7 Abs. 1 S. 2 Nr. 2 und 3 SGB "
                "II nicht "
                "geprüft.",
            )
        )
    elif status in _JOB_SEEKING_STATUSES or status is ResidenceStatus.NONE:
        # first day after five years of habitual residence
        five_years = period_end(entry, EU_ACCESS_MONTHS) + ONE_DAY if entry is not None else None
        right = (
            "nur ein Aufenthaltsrecht zur Arbeitsuche"
            if status in _JOB_SEEKING_STATUSES
            else "kein Aufenthaltsrecht"
        )
        if entry is not None and five_years is not None and as_of >= five_years:
            nr2 = False
            reasons.append(
                Reason(
                    code="SGB2_FIVE_YEAR_RESIDENCE",
                    text_de=f"Trotz {right}: seit {fmt(entry)} mindestens fünf Jahre gewöhnlicher "
                    f"Aufenthalt in Deutschland, daher kein Ausschluss.",
                    legal_ref="§ 7 Abs. 1 S. 4 SGB II",
                )
            )
        else:
            nr2 = True
            since = f" (fünf Jahre Aufenthalt erst am {fmt(five_years)})" if five_years else ""
            reasons.append(
                Reason(
                    code="SGB2_EXCLUDED_JOB_SEEKING"
                    if status in _JOB_SEEKING_STATUSES
                    else "SGB2_EXCLUDED_NO_RIGHT_OF_RESIDENCE",
                    text_de=f"Ausgeschlossen, weil {right} besteht{since}; auch Sozialhilfe ist "
                    f"ausgeschlossen (nur Überbrückungsleistungen nach § 23 Abs. 3 SGB XII).",
                    legal_ref="§ 7 Abs. 1 S. 2 Nr. 2 SGB II",
                )
            )
            if entry is None:
                warnings.append(
                    Warning(
                        code="ENTRY_DATE_MISSING",
                        text_de="Einreisedatum fehlt: die Fünfjahresfrist (§ 7 Abs. 1 S. 4 SGB II) "
                        "ist nicht geprüft.",
                    )
                )
    else:
        nr2 = False
    return nr1, nr2, reasons, warnings


@dataclass(frozen=True, slots=True)
class AgeFinding:
    """§ 7 (1) S. 1 Nr. 1 and § 7a SGB II on one day: under 15, within the limits, or past them."""

    limit: date | None
    within: bool | None
    under_15: bool
    over_limit: bool
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Warning, ...] = ()


@dataclass(slots=True)
class _Trail:
    """Reasons and warnings of one assessment, collected step by step in order."""

    reasons: list[Reason]
    warnings: list[Warning]

    def add(self, reasons: Iterable[Reason] = (), warnings: Iterable[Warning] = ()) -> None:
        self.reasons.extend(reasons)
        self.warnings.extend(warnings)


def age_step(facts: PersonFacts, as_of: date) -> AgeFinding:
    """Age: at least 15 (§ 7 (1) S. 1 Nr. 1) and not past the § 7a limit."""
    birth = facts.birth_date
    if birth is None:
        warning = Warning(
            code="BIRTH_DATE_MISSING",
            text_de="Geburtsdatum fehlt: Altersgrenzen nicht geprüft.",
        )
        return AgeFinding(None, None, False, False, warnings=(warning,))
    limit = age_limit_date(birth)
    fifteen = anniversary(birth, MIN_AGE)
    if as_of < fifteen:
        reason = Reason(
            code="SGB2_UNDER_15",
            text_de=f"Noch nicht 15 Jahre alt (15. Geburtstag am {fmt(fifteen)}): keine "
            f"erwerbsfähige leistungsberechtigte Person.",
            legal_ref="§ 7 Abs. 1 S. 1 Nr. 1 SGB II",
        )
        return AgeFinding(limit, None, True, False, reasons=(reason,))
    if as_of > limit:
        reason = Reason(
            code="SGB2_AGE_LIMIT_REACHED",
            text_de=f"Altersgrenze erreicht mit Ablauf des {fmt(limit)}: Grundsicherung im "
            f"Alter nach dem 4. Kapitel SGB XII oder Rente.",
            legal_ref="§ 7a SGB II, § 41 SGB XII",
        )
        return AgeFinding(limit, None, False, True, reasons=(reason,))
    return AgeFinding(limit, True, False, False)


def erwerbsfaehigkeit_step(facts: PersonFacts) -> tuple[bool | None, list[Warning]]:
    """§ 8 SGB II as stated by the Agentur; unknown gives a warning (§ 44a SGB II)."""
    if facts.erwerbsfaehig is not None:
        return facts.erwerbsfaehig, []
    warning = Warning(
        code="ERWERBSFAEHIGKEIT_UNKNOWN",
        text_de="Erwerbsfähigkeit ungeklärt; die Agentur für Arbeit stellt sie fest "
        "(§ 44a SGB II).",
    )
    return None, [warning]


def habitual_residence_step(facts: PersonFacts) -> tuple[bool | None, list[Warning]]:
    """§ 7 (1) S. 1 Nr. 4 SGB II: habitual residence in Germany."""
    if facts.habitual_residence_de is not None:
        return facts.habitual_residence_de, []
    warning = Warning(
        code="HABITUAL_RESIDENCE_UNKNOWN",
        text_de="Gewöhnlicher Aufenthalt in Deutschland ungeklärt.",
    )
    return None, [warning]


def by_need(hilfe: bool | None, if_needy: Sgb2Outcome, trail: _Trail) -> Sgb2Outcome:
    """The outcome for a needy household, NONE when not needy, UNDETERMINED when unknown."""
    if hilfe is True:
        return if_needy
    if hilfe is False:
        return Sgb2Outcome.NONE
    trail.add(
        warnings=[
            Warning(
                code="SGB2_UNDETERMINED",
                text_de="Zuständigkeit nicht bestimmbar, weil die Hilfebedürftigkeit unbekannt "
                "ist.",
            )
        ]
    )
    return Sgb2Outcome.UNDETERMINED


def asylblg_exclusion_step(refugee: RefugeeAssessment, benefit: str) -> Reason | None:
    """§ 7 (1) S. 2 Nr. 3 SGB II: whoever is entitled under § 1 AsylbLG."""
    if refugee.asylblg is not True:
        return None
    return Reason(
        code="SGB2_EXCLUDED_ASYLBLG",
        text_de=f"Leistungsberechtigt nach dem AsylbLG, daher kein {benefit}.",
        legal_ref="§ 7 Abs. 1 S. 2 Nr. 3 SGB II",
    )


def para_7_4_step(facts: PersonFacts, benefit: str) -> Reason | None:
    """§ 7 (4) SGB II: old-age pension or a stay in an institution excludes (SGB XII instead)."""
    if facts.receives_old_age_pension is True:
        return Reason(
            code="SGB2_EXCLUDED_OLD_AGE_PENSION",
            text_de=f"Bezug einer Altersrente schließt {benefit} aus; bei Bedarf Sozialhilfe "
            f"nach dem SGB XII.",
            legal_ref="§ 7 Abs. 4 S. 1 SGB II",
        )
    if facts.inpatient_over_6_months is True:
        return Reason(
            code="SGB2_EXCLUDED_INPATIENT",
            text_de="Voraussichtlich mehr als sechs Monate in einer stationären Einrichtung: "
            f"kein {benefit}; bei Bedarf Sozialhilfe nach dem SGB XII.",
            legal_ref="§ 7 Abs. 4 S. 1 und 3 SGB II",
        )
    return None


def non_erwerbsfaehig_step(
    facts: PersonFacts,
    age: AgeFinding,
    hilfe: bool | None,
    ruleset: RuleSet,
    trail: _Trail,
) -> Sgb2Outcome:
    """Under 15 or not erwerbsfähig: § 23 SGB II in a BG with an erwerbsfähig member, or SGB XII."""
    bg = facts.lives_with_erwerbsfaehig_person
    if bg is True:
        trail.add(
            [
                Reason(
                    code="SGB2_NON_ERWERBSFAEHIG_IN_BG",
                    text_de=f"Nicht erwerbsfähig, aber in einer Bedarfsgemeinschaft mit einer "
                    f"erwerbsfähigen "
                    f"Person: {ruleset.sgb2_non_erwerbsfaehig_benefit_name} vom Jobcenter.",
                    legal_ref="§ 7 Abs. 2, § 23 SGB II",
                )
            ]
        )
        return by_need(hilfe, Sgb2Outcome.ENTITLED_NON_ERWERBSFAEHIG, trail)
    if bg is None:
        trail.add(
            warnings=[
                Warning(
                    code="BG_MEMBERSHIP_UNKNOWN",
                    text_de="Ob eine erwerbsfähige Person in der Bedarfsgemeinschaft lebt, ist "
                    "unbekannt (SGB II § 23 oder SGB XII).",
                )
            ]
        )
        return Sgb2Outcome.UNDETERMINED
    if not age.under_15:
        trail.add(
            [
                Reason(
                    code="SGB2_NOT_ERWERBSFAEHIG",
                    text_de="Nicht erwerbsfähig (weniger als drei Stunden täglich auf absehbare "
                    "Zeit): "
                    "Hilfe zum Lebensunterhalt oder Grundsicherung bei Erwerbsminderung nach dem "
                    "SGB XII.",
                    legal_ref="§ 8 Abs. 1 SGB II, §§ 19, 41 SGB XII",
                )
            ]
        )
    return by_need(hilfe, Sgb2Outcome.SGB_XII, trail)


def other_exclusion_step(facts: PersonFacts, residence: bool | None, benefit: str) -> Reason | None:
    """§ 7 (5) SGB II (training eligible for BAföG/BAB) and no habitual residence."""
    if facts.training_bafoeg_eligible is True:
        return Reason(
            code="SGB2_EXCLUDED_TRAINING",
            text_de=f"Ausbildung dem Grunde nach BAföG- oder BAB-förderfähig: kein {benefit} "
            f"für den Lebensunterhalt (Ausnahmen nach § 7 Abs. 6 SGB II prüfen).",
            legal_ref="§ 7 Abs. 5 SGB II",
        )
    if residence is False:
        return Reason(
            code="SGB2_NO_HABITUAL_RESIDENCE",
            text_de="Kein gewöhnlicher Aufenthalt in Deutschland.",
            legal_ref="§ 7 Abs. 1 S. 1 Nr. 4 SGB II",
        )
    return None


def unknown_conditions(
    age: AgeFinding,
    erw: bool | None,
    hilfe: bool | None,
    residence: bool | None,
    refugee: RefugeeAssessment,
    nr1: bool | None,
    nr2: bool | None,
) -> list[str]:
    """Names of the § 7 conditions that are still open."""

    def cleared(excluded: bool | None) -> bool | None:
        return None if excluded is None else not excluded

    return [
        name
        for name, value in (
            ("Alter", age.within),
            ("Erwerbsfähigkeit", erw),
            ("Hilfebedürftigkeit", hilfe),
            ("gewöhnlicher Aufenthalt", residence),
            ("AsylbLG-Berechtigung", cleared(refugee.asylblg)),
            ("Ausschluss erste drei Monate", cleared(nr1)),
            ("Ausschluss Arbeitsuche", cleared(nr2)),
        )
        if value is None
    ]


def entitled_reason(benefit: str, limit: date | None) -> Reason:
    """The positive § 7 (1) S. 1 finding."""
    limit_text = f" bis zur Altersgrenze am {fmt(limit)}" if limit else ""
    return Reason(
        code="SGB2_ENTITLED",
        text_de=f"Anspruch auf {benefit}: erwerbsfähig, hilfebedürftig, mindestens 15 Jahre"
        f"{limit_text}, gewöhnlicher Aufenthalt in Deutschland, kein Ausschluss.",
        legal_ref="§ 7 Abs. 1 S. 1 SGB II",
    )


def assess_sgb2(
    facts: PersonFacts,
    as_of: date,
    ruleset: RuleSet,
    refugee: RefugeeAssessment,
    alg1_monthly: Decimal | None = None,
    alg1_running: bool = False,
) -> Sgb2Assessment:
    """Check § 7 SGB II on `as_of`; missing facts give UNDETERMINED with warnings, never errors."""
    trail = _Trail([], [])
    age = age_step(facts, as_of)
    trail.add(age.reasons, age.warnings)
    hilfe, h_reasons, h_warnings = hilfebeduerftigkeit(facts, alg1_monthly, alg1_running)
    trail.add(h_reasons, h_warnings)
    erw, e_warnings = erwerbsfaehigkeit_step(facts)
    trail.add(warnings=e_warnings)
    residence, r_warnings = habitual_residence_step(facts)
    trail.add(warnings=r_warnings)
    nr1, nr2, f_reasons, f_warnings = foreigner_exclusions(facts, as_of, refugee.humanitarian)
    trail.add(f_reasons, f_warnings)

    outcome, excluded_foreigner = _outcome(
        facts, age, hilfe, erw, residence, nr1, nr2, refugee, ruleset, trail
    )
    return Sgb2Assessment(
        outcome,
        hilfe,
        age.limit,
        excluded_foreigner,
        tuple(trail.reasons),
        tuple(trail.warnings),
    )


def _outcome(
    facts: PersonFacts,
    age: AgeFinding,
    hilfe: bool | None,
    erw: bool | None,
    residence: bool | None,
    nr1: bool | None,
    nr2: bool | None,
    refugee: RefugeeAssessment,
    ruleset: RuleSet,
    trail: _Trail,
) -> tuple[Sgb2Outcome, bool]:
    """The findings in the order of precedence; the first exclusion that applies decides."""
    benefit = ruleset.sgb2_benefit_name
    asylblg = asylblg_exclusion_step(refugee, benefit)
    if asylblg is not None:
        trail.add([asylblg])
        return Sgb2Outcome.ASYLBLG, False
    if nr1 is True or nr2 is True:
        return Sgb2Outcome.NONE, True
    para_7_4 = para_7_4_step(facts, benefit)
    if para_7_4 is not None:
        trail.add([para_7_4])
        return by_need(hilfe, Sgb2Outcome.SGB_XII, trail), False
    if age.over_limit:
        return by_need(hilfe, Sgb2Outcome.SGB_XII, trail), False
    if age.under_15 or erw is False:
        return non_erwerbsfaehig_step(facts, age, hilfe, ruleset, trail), False
    other = other_exclusion_step(facts, residence, benefit)
    if other is not None:
        trail.add([other])
        return Sgb2Outcome.NONE, False
    if hilfe is False:
        return Sgb2Outcome.NONE, False
    unknown = unknown_conditions(age, erw, hilfe, residence, refugee, nr1, nr2)
    if unknown:
        trail.add(
            warnings=[
                Warning(
                    code="SGB2_UNDETERMINED",
                    text_de=f"Anspruch auf {benefit} nicht bestimmbar; es fehlen: "
                    f"{', '.join(unknown)}.",
                )
            ]
        )
        return Sgb2Outcome.UNDETERMINED, False
    trail.add([entitled_reason(benefit, age.limit)])
    return Sgb2Outcome.ENTITLED, False
