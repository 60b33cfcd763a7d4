"""SGB II § 7: age (§ 7a), erwerbsfähig (§ 8), hilfebedürftig (§ 9), residence, exclusions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from eligibility_api.domain.age_limit import age_limit_month_end
from eligibility_api.domain.dates import (
    ONE_DAY,
    anniversary,
    fmt,
    period_end,
)
from eligibility_api.domain.decision import Reason, Warning
from eligibility_api.domain.facts import (
    InstitutionKind,
    Nationality,
    PersonFacts,
    ResidenceStatus,
)
from eligibility_api.domain.refugees import RefugeeAssessment
from eligibility_api.domain.rulesets import RuleSet

MIN_AGE = 15
FIRST_STAY_MONTHS = 3
EU_ACCESS_MONTHS = 5 * 12
_WORKER_STATUSES = frozenset(
    {
        ResidenceStatus.EU_WORKER,
        ResidenceStatus.EU_SELF_EMPLOYED,
        ResidenceStatus.EU_RETAINED_WORKER,
        ResidenceStatus.RESIDENCE_PERMIT_EMPLOYMENT,
    }
)
_SETTLED_STATUSES = frozenset(
    {ResidenceStatus.EU_PERMANENT_RESIDENCE, ResidenceStatus.SETTLEMENT_PERMIT}
)
# § 7 (1) S. 2 Nr. 2 SGB II: only a job-seeking right of residence, or none.
_JOB_SEEKING_STATUSES = frozenset(
    {ResidenceStatus.EU_JOB_SEEKER, ResidenceStatus.RESIDENCE_PERMIT_JOB_SEARCH}
)
# rights of residence derived from a family member, whose own right Nr. 2 may reach
_FAMILY_STATUSES = frozenset(
    {ResidenceStatus.EU_FAMILY_MEMBER, ResidenceStatus.RESIDENCE_PERMIT_FAMILY}
)
# statuses that carry a right of residence of their own, so no family member's Nr. 2 reaches them
_OWN_RIGHT_STATUSES = _WORKER_STATUSES | _SETTLED_STATUSES
# § 7 (4) S. 3 Nr. 2 SGB II: work of at least 15 hours a week keeps SGB II in an institution
INSTITUTION_WORK_HOURS = Decimal(15)


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
    # § 7 (1) S. 1 SGB II: erwerbsfähige/r Leistungsberechtigte/r on the day; None while open
    erwerbsfaehig_leistungsberechtigt: bool | None = None


def age_limit_date(birth_date: date) -> date:
    """Last day of SGB II: end of the month in which the § 7a limit is completed (§ 7a S. 1)."""
    return age_limit_month_end(birth_date)


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


def _five_years_after(start: date) -> date:
    """First day after five years counted from `start` (§§ 187, 188 BGB)."""
    return period_end(start, EU_ACCESS_MONTHS) + ONE_DAY


def first_stay_step(
    facts: PersonFacts, as_of: date, humanitarian: bool, non_erwerbsfaehig: bool
) -> tuple[bool | None, list[Reason], list[Warning]]:
    """§ 7 (1) S. 2 Nr. 1 SGB II: the first three months of the stay, and whom they spare.

    Spared are workers, the self-employed and those with a § 2 (3) FreizügG/EU status, their
    family members (LSG Bayern 27.06.2012 - L 16 AS 449/11), holders of an AufenthG Kap. 2
    Abschn. 5 title (S. 3), family members of Germans (BA FW § 7 Rz. 7.14) and whoever is not
    erwerbsfähig (BSG 17.07.2024 - B 7 AS 3/23 R).
    """
    status = facts.residence_status
    entry = facts.entry_date
    if status in _SETTLED_STATUSES:
        # a settled status presupposes years of prior residence, never the first three months
        return False, [], []
    if entry is None:
        if humanitarian or status in _WORKER_STATUSES:
            return False, [], []
        warning = Warning(
            code="ENTRY_DATE_MISSING",
            text_de="Einreisedatum fehlt: Ausschluss in den ersten drei Monaten des "
            "Aufenthalts nicht geprüft.",
        )
        return None, [], [warning]
    first_stay_end = period_end(entry, FIRST_STAY_MONTHS)
    if as_of > first_stay_end:
        return False, [], []
    window = (
        f"in den ersten drei Monaten nach der Einreise am {fmt(entry)} (bis {fmt(first_stay_end)})"
    )
    exemption = _first_stay_exemption(facts, humanitarian, non_erwerbsfaehig)
    if exemption is not None:
        code, why, ref = exemption
        reason = Reason(
            code=code,
            text_de=f"Kein Ausschluss {window}: {why}.",
            legal_ref=ref,
        )
        return False, [reason], []
    reason = Reason(
        code="SGB2_EXCLUDED_FIRST_3_MONTHS",
        text_de=f"Einreise am {fmt(entry)}: in den ersten drei Monaten des Aufenthalts "
        f"(bis {fmt(first_stay_end)}) "
        f"besteht kein Anspruch, weil weder Arbeitnehmer- noch Selbständigenstatus "
        f"noch ein humanitärer Aufenthaltstitel vorliegt.",
        legal_ref="§ 7 Abs. 1 S. 2 Nr. 1 SGB II",
    )
    warnings: list[Warning] = []
    if facts.family_member_of_german is None:
        warnings.append(
            Warning(
                code="FAMILY_OF_GERMAN_UNKNOWN",
                text_de="Ob die Person Familienangehörige einer oder eines Deutschen ist, ist "
                "nicht angegeben; angenommen: nein. Familienangehörige Deutscher trifft der "
                "Ausschluss der ersten drei Monate nicht (§ 7 Abs. 1 S. 2 Nr. 1 SGB II).",
            )
        )
    return True, [reason], warnings


def _first_stay_exemption(
    facts: PersonFacts, humanitarian: bool, non_erwerbsfaehig: bool
) -> tuple[str, str, str] | None:
    status = facts.residence_status
    if status in _WORKER_STATUSES:
        return (
            "SGB2_NR1_WORKER",
            "Arbeitnehmer, Selbständige oder nach § 2 Abs. 3 FreizügG/EU freizügigkeitsberechtigt",
            "§ 7 Abs. 1 S. 2 Nr. 1 SGB II",
        )
    if status is ResidenceStatus.EU_FAMILY_MEMBER:
        return (
            "SGB2_NR1_FAMILY_OF_WORKER",
            "Familienangehörige eines freizügigkeitsberechtigten Unionsbürgers (§ 3 FreizügG/EU)",
            "§ 7 Abs. 1 S. 2 Nr. 1 SGB II, LSG Bayern 27.06.2012 - L 16 AS 449/11",
        )
    if humanitarian:
        return (
            "SGB2_NR1_HUMANITARIAN",
            "Aufenthaltstitel nach Kapitel 2 Abschnitt 5 des Aufenthaltsgesetzes",
            "§ 7 Abs. 1 S. 3 SGB II",
        )
    if facts.family_member_of_german is True or status is ResidenceStatus.AUFENTHG_28_FAMILY_GERMAN:
        return (
            "SGB2_NR1_FAMILY_OF_GERMAN",
            "Familienangehörige einer deutschen Staatsangehörigen oder eines deutschen "
            "Staatsangehörigen",
            "§ 7 Abs. 1 S. 2 Nr. 1 SGB II, BA FW § 7 Rz. 7.14, "
            "LSG Bayern 27.06.2012 - L 16 AS 449/11",
        )
    if non_erwerbsfaehig:
        return (
            "SGB2_NR1_NOT_ERWERBSFAEHIG",
            "der Ausschluss trifft nur erwerbsfähige Ausländer, nicht nicht erwerbsfähige "
            "Angehörige der Bedarfsgemeinschaft",
            "§ 7 Abs. 1 S. 2 Nr. 1 SGB II, BSG 17.07.2024 - B 7 AS 3/23 R",
        )
    return None


def job_seeking_step(
    facts: PersonFacts, as_of: date, humanitarian: bool
) -> tuple[bool | None, list[Reason], list[Warning]]:
    """§ 7 (1) S. 2 Nr. 2 SGB II with the five-year rule of S. 4-5 (BSG 20.09.2023 - B 4 AS 8/22 R).

    Excluded: no right of residence, or one for job seeking only, and their family members.
    Five years of habitual residence lift the exclusion; they count from the first
    registration with a Meldebehörde (S. 5), not from entry, unless the loss of free movement
    was established (S. 4 Hs. 2).
    """
    reasons: list[Reason] = []
    warnings: list[Warning] = []
    status = facts.residence_status
    if humanitarian:
        return False, reasons, warnings
    derived = facts.family_member_of_job_seeker is True and status not in _OWN_RIGHT_STATUSES
    if facts.family_member_of_job_seeker is None and status in _FAMILY_STATUSES:
        warnings.append(
            Warning(
                code="FAMILY_OF_JOB_SEEKER_UNKNOWN",
                text_de="Aufenthaltsrecht als Familienangehörige: ob es von einer Person ohne "
                "Aufenthaltsrecht oder nur zur Arbeitsuche abgeleitet ist (§ 7 Abs. 1 S. 2 Nr. 2 "
                "Buchst. c SGB II), ist nicht angegeben; angenommen: nein.",
            )
        )
    if status is None and not derived:
        warning = Warning(
            code="RESIDENCE_STATUS_MISSING",
            text_de="Aufenthaltsstatus fehlt: Ausschlüsse nach § 7 Abs. 1 S. 2 Nr. 2 und 3 SGB "
            "II nicht geprüft.",
        )
        return None, reasons, [*warnings, warning]
    own = status in _JOB_SEEKING_STATUSES or status is ResidenceStatus.NONE
    if not own and not derived:
        if status is ResidenceStatus.EU_NOT_ECONOMICALLY_ACTIVE:
            warnings.append(
                Warning(
                    code="SGB2_EU_SECTION_4_UNSURE",
                    text_de="Aufenthaltsrecht nach § 4 FreizügG/EU setzt ausreichende "
                    "Existenzmittel voraus; fehlen sie, kann es entfallen und der Ausschluss nach "
                    "§ 7 Abs. 1 S. 2 Nr. 2 SGB II greifen. Geprüft als bestehendes Recht.",
                    uncertain=True,
                )
            )
        return False, reasons, warnings
    if status in _JOB_SEEKING_STATUSES:
        right = "nur ein Aufenthaltsrecht zur Arbeitsuche"
        code = "SGB2_EXCLUDED_JOB_SEEKING"
    elif own:
        right = "kein Aufenthaltsrecht"
        code = "SGB2_EXCLUDED_NO_RIGHT_OF_RESIDENCE"
    else:
        right = (
            "ein Aufenthaltsrecht nur als Familienangehörige einer Person ohne Aufenthaltsrecht "
            "oder mit einem Aufenthaltsrecht allein zur Arbeitsuche"
        )
        code = "SGB2_EXCLUDED_FAMILY_OF_JOB_SEEKER"
    rescued, since, f_reasons, f_warnings = _five_year_rule(facts, as_of, right)
    reasons.extend(f_reasons)
    warnings.extend(f_warnings)
    if rescued is not False:
        return None if rescued is None else False, reasons, warnings
    reasons.append(
        Reason(
            code=code,
            text_de=f"Ausgeschlossen, weil {right} besteht{since}; auch Sozialhilfe ist "
            f"ausgeschlossen (nur Überbrückungsleistungen nach § 23 Abs. 3 SGB XII).",
            legal_ref="§ 7 Abs. 1 S. 2 Nr. 2 SGB II",
        )
    )
    return True, reasons, warnings


def _five_year_rule(
    facts: PersonFacts, as_of: date, right: str
) -> tuple[bool | None, str, list[Reason], list[Warning]]:
    """§ 7 (1) S. 4-5 SGB II: whether five years since registration lift the exclusion."""
    if facts.freizuegigkeit_loss_established is True:
        return False, " (Verlust der Freizügigkeit festgestellt, § 7 Abs. 1 S. 4 Hs. 2)", [], []
    registered = facts.registered_since
    if registered is None:
        warning = Warning(
            code="REGISTRATION_DATE_MISSING",
            text_de="Datum der ersten Anmeldung bei der Meldebehörde fehlt: die Fünfjahresfrist "
            "des § 7 Abs. 1 S. 4 SGB II beginnt mit ihr (S. 5), nicht mit der Einreise.",
        )
        entry = facts.entry_date
        if entry is not None and as_of < _five_years_after(entry):
            # the first registration cannot precede the entry, so five years are not reached
            since = f" (fünf Jahre frühestens am {fmt(_five_years_after(entry))})"
            return False, since, [], [warning]
        return None, "", [], [warning]
    five_years = _five_years_after(registered)
    if as_of < five_years:
        return False, f" (fünf Jahre seit der Anmeldung erst am {fmt(five_years)})", [], []
    reason = Reason(
        code="SGB2_FIVE_YEAR_RESIDENCE",
        text_de=f"Trotz {right}: seit der Anmeldung bei der Meldebehörde am {fmt(registered)} "
        f"mindestens fünf Jahre gewöhnlicher Aufenthalt in Deutschland, daher kein Ausschluss.",
        legal_ref="§ 7 Abs. 1 S. 4 und 5 SGB II, BSG 20.09.2023 - B 4 AS 8/22 R",
    )
    warnings: list[Warning] = []
    if facts.freizuegigkeit_loss_established is None:
        warnings.append(
            Warning(
                code="FREIZUEGIGKEIT_LOSS_UNKNOWN",
                text_de="Ob die Ausländerbehörde den Verlust der Freizügigkeit festgestellt hat "
                "(§ 7 Abs. 1 S. 4 Hs. 2 SGB II), ist nicht angegeben; angenommen: nein.",
            )
        )
    return True, "", [reason], warnings


def foreigner_exclusions(
    facts: PersonFacts, as_of: date, humanitarian: bool, non_erwerbsfaehig: bool = False
) -> tuple[bool | None, bool | None, list[Reason], list[Warning]]:
    """§ 7 (1) S. 2 Nr. 1 (first three months) and Nr. 2 (job seeking / no right), with S. 4."""
    if facts.nationality is Nationality.GERMAN:
        return False, False, [], []
    if facts.nationality is None:
        warning = Warning(
            code="NATIONALITY_MISSING",
            text_de="Staatsangehörigkeit fehlt: Leistungsausschlüsse für Ausländer sind nicht "
            "geprüft.",
        )
        return None, None, [], [warning]
    nr1, reasons, warnings = first_stay_step(facts, as_of, humanitarian, non_erwerbsfaehig)
    nr2, reasons2, warnings2 = job_seeking_step(facts, as_of, humanitarian)
    return nr1, nr2, reasons + reasons2, warnings + warnings2


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


def old_age_pension_step(facts: PersonFacts, benefit: str) -> Reason | None:
    """§ 7 (4) S. 1 SGB II: any old-age pension, Knappschaftsausgleichsleistung or the like.

    Every kind counts (full or partial, early or standard, also foreign public old-age
    pensions: BSG 16.05.2012 - B 4 AS 105/11 R).
    """
    if facts.receives_old_age_pension is not True:
        return None
    return Reason(
        code="SGB2_EXCLUDED_OLD_AGE_PENSION",
        text_de=f"Bezug einer Altersrente (jeder Art, auch Teil- oder vorgezogene Altersrente, "
        f"Knappschaftsausgleichsleistung oder ähnliche öffentlich-rechtliche Leistung) schließt "
        f"{benefit} aus; bei Bedarf Sozialhilfe nach dem SGB XII.",
        legal_ref="§ 7 Abs. 4 S. 1 SGB II",
    )


def pension_unknown_warning() -> Warning:
    """§ 7 (4) S. 1 SGB II checked without the fact: assumed no old-age pension."""
    return Warning(
        code="OLD_AGE_PENSION_UNKNOWN",
        text_de="Ob eine Altersrente oder ähnliche Leistung bezogen wird (§ 7 Abs. 4 S. 1 SGB II), "
        "ist nicht angegeben; angenommen: nein.",
    )


def training_unknown_warning() -> Warning:
    """§ 7 (5) SGB II checked without the fact: assumed no BAföG/BAB-eligible training."""
    return Warning(
        code="TRAINING_BAFOEG_UNKNOWN",
        text_de="Ob eine dem Grunde nach BAföG- oder BAB-förderfähige Ausbildung läuft (§ 7 "
        "Abs. 5 SGB II), ist nicht angegeben; angenommen: nein.",
    )


def institution_step(
    facts: PersonFacts, as_of: date, benefit: str
) -> tuple[bool | None, list[Reason], list[Warning]]:
    """§ 7 (4) S. 1-3 SGB II: accommodation in an institution excludes from the first day.

    A stationäre Einrichtung is one whose provider takes overall responsibility for daily
    life (BSG 05.06.2014 - B 4 AS 32/13 R); prison and every judicially ordered deprivation of
    liberty count as one (S. 2), without the 15-hour exception (BSG 24.02.2011 - B 14 AS 81/09 R).
    A hospital stay expected at admission to last under six months keeps SGB II (S. 3 Nr. 1;
    BSG 12.11.2015 - B 14 AS 6/15 R), as does work of 15 hours a week or more (S. 3 Nr. 2).
    """
    kind = facts.institution
    if kind is None:
        return _legacy_inpatient(facts, benefit)
    admitted = facts.institution_admission_date
    if kind is InstitutionKind.NONE or (admitted is not None and as_of < admitted):
        return False, [], []
    since = f" seit dem {fmt(admitted)}" if admitted is not None else ""
    admission: list[Warning] = []
    if admitted is None:
        admission.append(
            Warning(
                code="INSTITUTION_ADMISSION_DATE_MISSING",
                text_de="Aufnahmedatum der Einrichtung fehlt; angenommen: am Entscheidungstag "
                "bereits aufgenommen (der Ausschluss nach § 7 Abs. 4 SGB II gilt ab dem ersten "
                "Tag).",
            )
        )
    if kind is InstitutionKind.DETENTION:
        reason = Reason(
            code="SGB2_EXCLUDED_DETENTION",
            text_de=f"Aufenthalt in einer Einrichtung zum Vollzug richterlich angeordneter "
            f"Freiheitsentziehung{since}: ab dem ersten Tag kein {benefit}, auch nicht bei "
            f"Erwerbstätigkeit als Freigänger; bei Bedarf Sozialhilfe nach dem SGB XII.",
            legal_ref="§ 7 Abs. 4 S. 2 SGB II, BSG 24.02.2011 - B 14 AS 81/09 R",
        )
        return True, [reason], admission
    if kind is InstitutionKind.HOSPITAL:
        expected_short = facts.hospital_stay_expected_under_6_months
        if expected_short is True:
            reason = Reason(
                code="SGB2_HOSPITAL_UNDER_6_MONTHS",
                text_de=f"Krankenhausaufenthalt{since}, bei der Aufnahme voraussichtlich kürzer "
                f"als sechs Monate: kein Ausschluss.",
                legal_ref="§ 7 Abs. 4 S. 3 Nr. 1 SGB II, BSG 12.11.2015 - B 14 AS 6/15 R",
            )
            return False, [reason], admission
        if expected_short is None:
            warning = Warning(
                code="HOSPITAL_PROGNOSIS_MISSING",
                text_de="Krankenhausaufenthalt ohne Prognose bei der Aufnahme: ob er "
                "voraussichtlich kürzer als sechs Monate dauert (§ 7 Abs. 4 S. 3 Nr. 1 SGB II), "
                "ist offen.",
            )
            return None, [], [*admission, warning]
    hours = facts.weekly_work_hours
    if hours is not None and hours >= INSTITUTION_WORK_HOURS:
        reason = Reason(
            code="SGB2_INSTITUTION_WORK_15H",
            text_de=f"Stationär untergebracht{since}, aber {hours} Stunden wöchentlich unter den "
            f"üblichen Bedingungen des allgemeinen Arbeitsmarktes erwerbstätig: kein Ausschluss.",
            legal_ref="§ 7 Abs. 4 S. 3 Nr. 2 SGB II",
        )
        return False, [reason], admission
    warnings: list[Warning] = list(admission)
    if hours is None:
        warnings.append(
            Warning(
                code="WEEKLY_WORK_HOURS_MISSING",
                text_de="Wochenarbeitszeit fehlt: die Ausnahme für mindestens 15 Stunden "
                "Erwerbstätigkeit (§ 7 Abs. 4 S. 3 Nr. 2 SGB II) ist nicht geprüft.",
            )
        )
    if kind is InstitutionKind.HOSPITAL:
        code = "SGB2_EXCLUDED_HOSPITAL"
        what = "Krankenhausaufenthalt, bei der Aufnahme voraussichtlich sechs Monate oder länger"
        ref = "§ 7 Abs. 4 S. 1 und 3 Nr. 1 SGB II, BSG 06.09.2007 - B 14/7b AS 60/06 R"
    else:
        code = "SGB2_EXCLUDED_INSTITUTION"
        what = "Unterbringung in einer stationären Einrichtung"
        ref = "§ 7 Abs. 4 S. 1 SGB II, BSG 05.06.2014 - B 4 AS 32/13 R"
    reason = Reason(
        code=code,
        text_de=f"{what}{since}: ab dem ersten Tag kein {benefit}; bei Bedarf Sozialhilfe nach "
        f"dem SGB XII.",
        legal_ref=ref,
    )
    return True, [reason], warnings


def _legacy_inpatient(
    facts: PersonFacts, benefit: str
) -> tuple[bool | None, list[Reason], list[Warning]]:
    if facts.inpatient_over_6_months is True:
        reason = Reason(
            code="SGB2_EXCLUDED_INPATIENT",
            text_de="Voraussichtlich mehr als sechs Monate in einer stationären Einrichtung: "
            f"kein {benefit}; bei Bedarf Sozialhilfe nach dem SGB XII.",
            legal_ref="§ 7 Abs. 4 S. 1 und 3 SGB II",
        )
        return True, [reason], []
    if facts.inpatient_over_6_months is False:
        warning = Warning(
            code="INSTITUTION_LEGACY_FACT",
            text_de="Nur 'nicht länger als sechs Monate stationär' angegeben: eine stationäre "
            "Einrichtung schließt ab dem ersten Tag aus (§ 7 Abs. 4 S. 1 SGB II); die Art der "
            "Unterbringung (institution) fehlt.",
        )
        return False, [], [warning]
    warning = Warning(
        code="INSTITUTION_UNKNOWN",
        text_de="Art der Unterbringung (institution) nicht angegeben; angenommen: keine "
        "stationäre Einrichtung, kein Krankenhaus und kein Freiheitsentzug (§ 7 Abs. 4 SGB II).",
    )
    return False, [], [warning]


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
    non_erwerbsfaehig = erw is False or age.under_15
    nr1, nr2, f_reasons, f_warnings = foreigner_exclusions(
        facts, as_of, refugee.humanitarian, non_erwerbsfaehig
    )
    trail.add(f_reasons, f_warnings)

    institution, i_reasons, i_warnings = institution_step(facts, as_of, ruleset.sgb2_benefit_name)
    trail.add(i_reasons, i_warnings)

    outcome, excluded_foreigner, elb = _outcome(
        facts, age, hilfe, erw, residence, nr1, nr2, institution, refugee, ruleset, trail
    )
    return Sgb2Assessment(
        outcome,
        hilfe,
        age.limit,
        excluded_foreigner,
        tuple(trail.reasons),
        tuple(trail.warnings),
        elb,
    )


def _outcome(
    facts: PersonFacts,
    age: AgeFinding,
    hilfe: bool | None,
    erw: bool | None,
    residence: bool | None,
    nr1: bool | None,
    nr2: bool | None,
    institution: bool | None,
    refugee: RefugeeAssessment,
    ruleset: RuleSet,
    trail: _Trail,
) -> tuple[Sgb2Outcome, bool, bool | None]:
    """The findings in the order of precedence; the first exclusion that applies decides.

    Also whether the person is an erwerbsfähige/r Leistungsberechtigte/r (§ 7 (1) S. 1 SGB II):
    yes only when every condition holds and no exclusion applies, open while a condition is
    unknown and nothing else excludes, no in every other case.
    """
    benefit = ruleset.sgb2_benefit_name
    asylblg = asylblg_exclusion_step(refugee, benefit)
    if asylblg is not None:
        trail.add([asylblg])
        return Sgb2Outcome.ASYLBLG, False, False
    if nr1 is True or nr2 is True:
        return Sgb2Outcome.NONE, True, False
    pension = old_age_pension_step(facts, benefit)
    if pension is not None:
        trail.add([pension])
        return by_need(hilfe, Sgb2Outcome.SGB_XII, trail), False, False
    if facts.receives_old_age_pension is None:
        trail.add(warnings=[pension_unknown_warning()])
    if institution is True:
        return by_need(hilfe, Sgb2Outcome.SGB_XII, trail), False, False
    if age.over_limit:
        return by_need(hilfe, Sgb2Outcome.SGB_XII, trail), False, False
    if age.under_15 or erw is False:
        return non_erwerbsfaehig_step(facts, age, hilfe, ruleset, trail), False, False
    other = other_exclusion_step(facts, residence, benefit)
    if other is not None:
        trail.add([other])
        return Sgb2Outcome.NONE, False, False
    if facts.training_bafoeg_eligible is None:
        trail.add(warnings=[training_unknown_warning()])
    if hilfe is False:
        return Sgb2Outcome.NONE, False, False
    unknown = unknown_conditions(age, erw, hilfe, residence, refugee, nr1, nr2)
    if institution is None:
        unknown.append("Unterbringung (§ 7 Abs. 4)")
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
        return Sgb2Outcome.UNDETERMINED, False, None
    trail.add([entitled_reason(benefit, age.limit)])
    return Sgb2Outcome.ENTITLED, False, True
