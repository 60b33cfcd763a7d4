"""SGB II § 7: age (§ 7a), erwerbsfähig (§ 8), hilfebedürftig (§ 9), residence, exclusions."""

from __future__ import annotations

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


def _by_need(
    hilfe: bool | None, if_needy: Sgb2Outcome, reasons: list[Reason], warnings: list[Warning]
) -> Sgb2Outcome:
    if hilfe is True:
        return if_needy
    if hilfe is False:
        return Sgb2Outcome.NONE
    warnings.append(
        Warning(
            code="SGB2_UNDETERMINED",
            text_de="Zuständigkeit nicht bestimmbar, weil die Hilfebedürftigkeit unbekannt ist.",
        )
    )
    return Sgb2Outcome.UNDETERMINED


def assess_sgb2(
    facts: PersonFacts,
    as_of: date,
    ruleset: RuleSet,
    refugee: RefugeeAssessment,
    alg1_monthly: Decimal | None = None,
    alg1_running: bool = False,
) -> Sgb2Assessment:
    """Check § 7 SGB II on `as_of`; missing facts give UNDETERMINED with warnings, never errors."""
    reasons: list[Reason] = []
    warnings: list[Warning] = []
    benefit = ruleset.sgb2_benefit_name

    limit: date | None = None
    age_ok: bool | None = None
    under_15 = over_limit = False
    birth = facts.birth_date
    if birth is None:
        warnings.append(
            Warning(
                code="BIRTH_DATE_MISSING",
                text_de="Geburtsdatum fehlt: Altersgrenzen nicht geprüft.",
            )
        )
    else:
        limit = age_limit_date(birth)
        fifteen = anniversary(birth, MIN_AGE)
        if as_of < fifteen:
            under_15 = True
            reasons.append(
                Reason(
                    code="SGB2_UNDER_15",
                    text_de=f"Noch nicht 15 Jahre alt (15. Geburtstag am {fmt(fifteen)}): keine "
                    f"erwerbsfähige leistungsberechtigte Person.",
                    legal_ref="§ 7 Abs. 1 S. 1 Nr. 1 SGB II",
                )
            )
        elif as_of > limit:
            over_limit = True
            reasons.append(
                Reason(
                    code="SGB2_AGE_LIMIT_REACHED",
                    text_de=f"Altersgrenze erreicht mit Ablauf des {fmt(limit)}: Grundsicherung im "
                    f"Alter nach dem 4. Kapitel SGB XII oder Rente.",
                    legal_ref="§ 7a SGB II, § 41 SGB XII",
                )
            )
        else:
            age_ok = True

    hilfe, h_reasons, h_warnings = hilfebeduerftigkeit(facts, alg1_monthly, alg1_running)
    reasons.extend(h_reasons)
    warnings.extend(h_warnings)
    erw = facts.erwerbsfaehig
    if erw is None:
        warnings.append(
            Warning(
                code="ERWERBSFAEHIGKEIT_UNKNOWN",
                text_de="Erwerbsfähigkeit ungeklärt; die Agentur für Arbeit stellt sie fest "
                "(§ 44a SGB II).",
            )
        )
    residence = facts.habitual_residence_de
    if residence is None:
        warnings.append(
            Warning(
                code="HABITUAL_RESIDENCE_UNKNOWN",
                text_de="Gewöhnlicher Aufenthalt in Deutschland ungeklärt.",
            )
        )
    nr1, nr2, f_reasons, f_warnings = foreigner_exclusions(facts, as_of, refugee.humanitarian)
    reasons.extend(f_reasons)
    warnings.extend(f_warnings)

    def done(outcome: Sgb2Outcome, excluded_foreigner: bool = False) -> Sgb2Assessment:
        return Sgb2Assessment(
            outcome, hilfe, limit, excluded_foreigner, tuple(reasons), tuple(warnings)
        )

    if refugee.asylblg is True:
        reasons.append(
            Reason(
                code="SGB2_EXCLUDED_ASYLBLG",
                text_de=f"Leistungsberechtigt nach dem AsylbLG, daher kein {benefit}.",
                legal_ref="§ 7 Abs. 1 S. 2 Nr. 3 SGB II",
            )
        )
        return done(Sgb2Outcome.ASYLBLG)
    if nr1 is True or nr2 is True:
        return done(Sgb2Outcome.NONE, excluded_foreigner=True)
    if facts.receives_old_age_pension is True:
        reasons.append(
            Reason(
                code="SGB2_EXCLUDED_OLD_AGE_PENSION",
                text_de=f"Bezug einer Altersrente schließt {benefit} aus; bei Bedarf Sozialhilfe "
                f"nach dem SGB XII.",
                legal_ref="§ 7 Abs. 4 S. 1 SGB II",
            )
        )
        return done(_by_need(hilfe, Sgb2Outcome.SGB_XII, reasons, warnings))
    if facts.inpatient_over_6_months is True:
        reasons.append(
            Reason(
                code="SGB2_EXCLUDED_INPATIENT",
                text_de="Voraussichtlich mehr als sechs Monate in einer stationären Einrichtung: "
                f"kein {benefit}; bei Bedarf Sozialhilfe nach dem SGB XII.",
                legal_ref="§ 7 Abs. 4 S. 1 und 3 SGB II",
            )
        )
        return done(_by_need(hilfe, Sgb2Outcome.SGB_XII, reasons, warnings))
    if over_limit:
        return done(_by_need(hilfe, Sgb2Outcome.SGB_XII, reasons, warnings))
    if under_15 or erw is False:
        bg = facts.lives_with_erwerbsfaehig_person
        if bg is True:
            reasons.append(
                Reason(
                    code="SGB2_NON_ERWERBSFAEHIG_IN_BG",
                    text_de=f"Nicht erwerbsfähig, aber in einer Bedarfsgemeinschaft mit einer "
                    f"erwerbsfähigen "
                    f"Person: {ruleset.sgb2_non_erwerbsfaehig_benefit_name} vom Jobcenter.",
                    legal_ref="§ 7 Abs. 2, § 23 SGB II",
                )
            )
            return done(_by_need(hilfe, Sgb2Outcome.ENTITLED_NON_ERWERBSFAEHIG, reasons, warnings))
        if bg is None:
            warnings.append(
                Warning(
                    code="BG_MEMBERSHIP_UNKNOWN",
                    text_de="Ob eine erwerbsfähige Person in der Bedarfsgemeinschaft lebt, ist "
                    "unbekannt (SGB II § 23 oder SGB XII).",
                )
            )
            return done(Sgb2Outcome.UNDETERMINED)
        if not under_15:
            reasons.append(
                Reason(
                    code="SGB2_NOT_ERWERBSFAEHIG",
                    text_de="Nicht erwerbsfähig (weniger als drei Stunden täglich auf absehbare "
                    "Zeit): "
                    "Hilfe zum Lebensunterhalt oder Grundsicherung bei Erwerbsminderung nach dem "
                    "SGB XII.",
                    legal_ref="§ 8 Abs. 1 SGB II, §§ 19, 41 SGB XII",
                )
            )
        return done(_by_need(hilfe, Sgb2Outcome.SGB_XII, reasons, warnings))
    if facts.training_bafoeg_eligible is True:
        reasons.append(
            Reason(
                code="SGB2_EXCLUDED_TRAINING",
                text_de=f"Ausbildung dem Grunde nach BAföG- oder BAB-förderfähig: kein {benefit} "
                f"für den Lebensunterhalt (Ausnahmen nach § 7 Abs. 6 SGB II prüfen).",
                legal_ref="§ 7 Abs. 5 SGB II",
            )
        )
        return done(Sgb2Outcome.NONE)
    if residence is False:
        reasons.append(
            Reason(
                code="SGB2_NO_HABITUAL_RESIDENCE",
                text_de="Kein gewöhnlicher Aufenthalt in Deutschland.",
                legal_ref="§ 7 Abs. 1 S. 1 Nr. 4 SGB II",
            )
        )
        return done(Sgb2Outcome.NONE)
    if hilfe is False:
        return done(Sgb2Outcome.NONE)
    unknown = [
        name
        for name, value in (
            ("Alter", age_ok),
            ("Erwerbsfähigkeit", erw),
            ("Hilfebedürftigkeit", hilfe),
            ("gewöhnlicher Aufenthalt", residence),
            (
                "AsylbLG-Berechtigung",
                refugee.asylblg is False if refugee.asylblg is not None else None,
            ),
            ("Ausschluss erste drei Monate", nr1 is False if nr1 is not None else None),
            ("Ausschluss Arbeitsuche", nr2 is False if nr2 is not None else None),
        )
        if value is None
    ]
    if unknown:
        warnings.append(
            Warning(
                code="SGB2_UNDETERMINED",
                text_de=f"Anspruch auf {benefit} nicht bestimmbar; es fehlen: "
                f"{', '.join(unknown)}.",
            )
        )
        return done(Sgb2Outcome.UNDETERMINED)
    limit_text = f" bis zur Altersgrenze am {fmt(limit)}" if limit else ""
    reasons.append(
        Reason(
            code="SGB2_ENTITLED",
            text_de=f"Anspruch auf {benefit}: erwerbsfähig, hilfebedürftig, mindestens 15 Jahre"
            f"{limit_text}, gewöhnlicher Aufenthalt in Deutschland, kein Ausschluss.",
            legal_ref="§ 7 Abs. 1 S. 1 SGB II",
        )
    )
    return done(Sgb2Outcome.ENTITLED)
