"""Versioned rule sets (data) and the lookup of the version in force on a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PlanType(StrEnum):
    """Instrument the Jobcenter uses to agree integration steps."""

    EINGLIEDERUNGSVEREINBARUNG = "EINGLIEDERUNGSVEREINBARUNG"
    KOOPERATIONSPLAN = "KOOPERATIONSPLAN"
    KOOPERATIONSPLAN_PERSOENLICHES_ANGEBOT = "KOOPERATIONSPLAN_PERSOENLICHES_ANGEBOT"


class NoRuleSetError(LookupError):
    """No rule set is in force on the requested day."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One legal version: validity, sources, notes and the parameters that differ by version."""

    version: str
    name: str
    valid_from: date
    valid_to: date | None
    sources: tuple[str, ...]
    notes: tuple[str, ...]
    uncertain: bool
    sgb2_benefit_name: str
    sgb2_non_erwerbsfaehig_benefit_name: str
    plan_type: PlanType
    # Kooperationsplan replaced the EinV from 1 Jul 2023 (§ 15 SGB II), mid-version.
    plan_type_before: PlanType | None
    plan_type_switch_date: date | None
    # legal reference of a placement-first rule (Vermittlungsvorrang), None when there is none
    placement_priority_ref: str | None
    ukraine_lrag_in_force_date: date | None

    def in_force(self, day: date) -> bool:
        """Whether this version applies on `day`."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# Planned in-force date of the LRAG (Ukraine § 24 after 31 Mar 2025 → AsylbLG), domain.md §1.3.
LRAG_PLANNED_DATE = date(2026, 7, 1)
# Cut-off for Ukraine § 24 titles that stay in SGB II under every reading.
UKRAINE_SGB2_CUTOFF_DATE = date(2025, 3, 31)

_SOURCES_SGB3 = (
    "§§ 142, 143, 147 SGB III: https://justiz-nrw.wolterskluwer-online.de",
    "§ 147 SGB III (Änderung 1.1.2020): https://www.buzer.de",
    "§ 148 SGB III: https://dejure.org/gesetze/SGB_III/148.html",
    "§ 37 SGB III: https://www.sozialgesetzbuch-sgb.de",
)
_SOURCES_SGB2 = (
    "§ 7 SGB II Ausschlüsse: https://www.haufe.de (Bürgergeld – ausgeschlossene Personengruppen)",
    "§ 7a / § 8 / § 44a SGB II: https://www.urteile-gesetze.de, https://www.lexetius.com",
    "§ 1 AsylbLG: https://gesetze-in-app.de/AsylbLG/1",
    "Rechtskreiswechsel Ukraine: https://www.sgb2.info (FAQ Rechtskreiswechsel)",
)

_RULESETS: tuple[RuleSet, ...] = (
    RuleSet(
        version="sgb2-alg2-2020",
        name="Arbeitslosengeld II (Hartz IV) mit 30-monatiger Rahmenfrist",
        valid_from=date(2020, 1, 1),
        valid_to=date(2022, 12, 31),
        sources=(*_SOURCES_SGB3, *_SOURCES_SGB2),
        notes=(
            "Beginnt mit der Rahmenfrist von 30 Monaten (§ 143 SGB III, seit 1.1.2020).",
            "Eingliederungsvereinbarung (§ 15 SGB II a. F.) und Vermittlungsvorrang "
            "(§ 3 SGB II a. F.).",
            "Weiterbildung mindert den Anspruch nie unter einen Monat (§ 148 Abs. 2 S. 3 SGB III "
            "a. F.); keine Verlängerung des Restanspruchs (§ 148 Abs. 3 SGB III fehlt).",
        ),
        uncertain=False,
        sgb2_benefit_name="Arbeitslosengeld II",
        sgb2_non_erwerbsfaehig_benefit_name="Sozialgeld",
        plan_type=PlanType.EINGLIEDERUNGSVEREINBARUNG,
        plan_type_before=None,
        plan_type_switch_date=None,
        placement_priority_ref="§ 3 Abs. 1 S. 3 SGB II a. F.",
        ukraine_lrag_in_force_date=None,
    ),
    RuleSet(
        version="sgb2-buergergeld-2023",
        name="Bürgergeld-Gesetz (12. SGB-II-Änderungsgesetz)",
        valid_from=date(2023, 1, 1),
        valid_to=date(2026, 6, 30),
        sources=(
            *_SOURCES_SGB3,
            *_SOURCES_SGB2,
            "Bürgergeld-Gesetz: https://www.buzer.de/Buergergeld-Gesetz.htm",
            "§ 15 SGB II Kooperationsplan: https://www.haufe.de (Sauer § 15)",
            "Potenzialanalyse/Kooperationsplan: https://www.wolterskluwer.com",
        ),
        notes=(
            "ALG II/Sozialgeld heißen Bürgergeld; der Vermittlungsvorrang entfällt.",
            "Kooperationsplan nach Potenzialanalyse ab 1.7.2023; alte EinV enden spätestens "
            "31.12.2023.",
            "Ab 1.7.2023: Weiterbildung mindert nie unter 3 Monate (§ 148 Abs. 2 S. 3 SGB III), "
            "nach mindestens 6 Monaten Weiterbildung wird ein kürzerer Rest einmalig auf 3 "
            "Monate verlängert (§ 148 Abs. 3 SGB III); bis 30.6.2023 ein Monat, keine "
            "Verlängerung (Stichtag der Änderung von S. 3 ungeprüft).",
            "LRAG (Ukraine, § 24 nach dem 31.3.2025 → AsylbLG) nur geplant, nicht angewandt.",
        ),
        uncertain=False,
        sgb2_benefit_name="Bürgergeld",
        sgb2_non_erwerbsfaehig_benefit_name=(
            "Bürgergeld für nicht erwerbsfähige Leistungsberechtigte"
        ),
        plan_type=PlanType.KOOPERATIONSPLAN,
        plan_type_before=PlanType.EINGLIEDERUNGSVEREINBARUNG,
        plan_type_switch_date=date(2023, 7, 1),
        placement_priority_ref=None,
        ukraine_lrag_in_force_date=None,
    ),
    RuleSet(
        version="sgb2-grundsicherung-2026",
        name="Neue Grundsicherung (13. SGB-II-Änderungsgesetz)",
        valid_from=date(2026, 7, 1),
        valid_to=None,
        sources=(
            *_SOURCES_SGB3,
            *_SOURCES_SGB2,
            "Umgestaltung: https://www.sgb2.info (FAQ Umgestaltung)",
            "Bundestag 5.3.2026: https://www.vbw-bayern.de",
            "Änderungsliste: https://www.gegen-hartz.de",
            "LRAG, Bundesrat 30.1.2026: https://www.frnrw.de",
        ),
        notes=(
            "UNSURE: Inkrafttreten 1.7.2026 erst nach Prüfung des BGBl. gesichert.",
            "Leistung heißt Grundsicherungsgeld; § 3a SGB II Vermittlungsvorrang.",
            "Kooperationsplan mit persönlichem Angebot; Pflichten per Verwaltungsakt verbindlich.",
            "Regelminderung 30 % für 3 Monate; 3 versäumte Termine in Folge → nicht erreichbar.",
            "UNSURE: LRAG – Ukraine, § 24 erstmals nach dem 31.3.2025 → AsylbLG; "
            "SGB II läuft bis Ende des Bewilligungszeitraums, höchstens 3 Monate.",
        ),
        uncertain=True,
        sgb2_benefit_name="Grundsicherungsgeld",
        sgb2_non_erwerbsfaehig_benefit_name=(
            "Grundsicherungsgeld für nicht erwerbsfähige Leistungsberechtigte"
        ),
        plan_type=PlanType.KOOPERATIONSPLAN_PERSOENLICHES_ANGEBOT,
        plan_type_before=None,
        plan_type_switch_date=None,
        placement_priority_ref="§ 3a SGB II n. F.",
        ukraine_lrag_in_force_date=LRAG_PLANNED_DATE,
    ),
)


def list_rulesets() -> tuple[RuleSet, ...]:
    """Return all rule sets, oldest first."""
    return _RULESETS


def ruleset_for(as_of: date) -> RuleSet:
    """Return the rule set in force on `as_of`; raise NoRuleSetError before the first version."""
    for ruleset in _RULESETS:
        if ruleset.in_force(as_of):
            return ruleset
    raise NoRuleSetError(f"no rule set in force on {as_of.isoformat()}")


def plan_type_on(ruleset: RuleSet, day: date) -> PlanType:
    """Integration plan instrument of the Jobcenter on `day` under `ruleset`."""
    if (
        ruleset.plan_type_before is not None
        and ruleset.plan_type_switch_date is not None
        and day < ruleset.plan_type_switch_date
    ):
        return ruleset.plan_type_before
    return ruleset.plan_type


PLAN_TYPE_TEXT_DE: dict[PlanType, str] = {
    PlanType.EINGLIEDERUNGSVEREINBARUNG: "Eingliederungsvereinbarung (§ 15 SGB II a. F.)",
    PlanType.KOOPERATIONSPLAN: "Potenzialanalyse und Kooperationsplan (§ 15 SGB II)",
    PlanType.KOOPERATIONSPLAN_PERSOENLICHES_ANGEBOT: (
        "Potenzialanalyse und Kooperationsplan mit persönlichem Angebot (§ 15 SGB II n. F.)"
    ),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the engine: the reason code it gives, the provisions it applies and where
    their text was checked; valid_from/valid_to bound a rule that exists only for a time."""

    code: str
    title_de: str
    legal_refs: tuple[str, ...]
    sources: tuple[str, ...]
    uncertain: bool = False
    valid_from: date | None = None
    valid_to: date | None = None
    # further reason codes the same rule gives (its negative or follow-up outcomes)
    other_codes: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """Every reason code of the rule."""
        return (self.code, *self.other_codes)

    def applies_within(self, ruleset: RuleSet) -> bool:
        """Whether the rule is in force on any day of `ruleset`'s validity."""
        starts_before_end = ruleset.valid_to is None or (
            self.valid_from is None or self.valid_from <= ruleset.valid_to
        )
        ends_after_start = self.valid_to is None or self.valid_to >= ruleset.valid_from
        return starts_before_end and ends_after_start


_SGB3_TEXT = "SGB III: https://www.gesetze-im-internet.de/sgb_3/"
_AOK_148 = (
    "§ 148 SGB III mit Änderungshistorie (BGBl. I 2022 S. 2328): https://aok.de/fk/bw/"
    "sozialversicherung/rechtsdatenbank/ (Dokument 1617205)"
)
_AGE_SOURCES = (
    "§ 136 Abs. 2 SGB III: https://www.gesetze-im-internet.de/sgb_3/__136.html",
    "§ 235 SGB VI (Tabelle, Vertrauensschutz Abs. 2 S. 3): https://aok.de/fk/rps/tools/"
    "rechtsdatenbank/ (Dokument 1618617)",
    "Vollendung des Lebensjahres (§§ 187 Abs. 2, 188 Abs. 2 BGB): https://haufe.de "
    "(Jansen, SGB VI § 235 Rz. 6)",
    "LSG NRW, Urteil L 20 AL 127/23 (Alg über die Regelaltersgrenze hinaus): "
    "https://www.sozialgerichtsbarkeit.de/node/178403",
)

# The rules of ALG I and of the engine's own steps (the SGB II, refugee and facts rules are
# listed with their rule modules); GET /v1/rules shows them per version.
RULES: tuple[Rule, ...] = (
    Rule(
        "ALG1_QUALIFYING_PERIOD_MET",
        "Anwartschaftszeit: 12 Monate Versicherungspflicht in 30 Monaten Rahmenfrist",
        ("§ 142 Abs. 1 SGB III", "§ 143 SGB III"),
        ("§§ 142, 143, 147 SGB III: https://justiz-nrw.wolterskluwer-online.de", _SGB3_TEXT),
        other_codes=("ALG1_NO_QUALIFYING_PERIOD",),
    ),
    Rule(
        "ALG1_SHORT_CONTRACT",
        "Verkürzte Anwartschaftszeit für überwiegend kurz befristet Beschäftigte",
        ("§ 142 Abs. 2 SGB III", "§ 147 Abs. 3 SGB III"),
        (_SGB3_TEXT,),
        uncertain=True,
    ),
    Rule(
        "ALG1_ENTITLEMENT_DURATION",
        "Anspruchsdauer nach Versicherungsmonaten (60 Monate) und Alter bei Entstehung",
        ("§ 147 Abs. 1 und 2 SGB III",),
        ("§ 147 SGB III (Änderung 1.1.2020): https://www.buzer.de", _SGB3_TEXT),
    ),
    Rule(
        "ALG1_REMAINING_ENTITLEMENT_ADDED",
        "Restanspruch eines erloschenen Anspruchs (weniger als 5 Jahre), bis zur Höchstdauer",
        ("§ 147 Abs. 4 SGB III",),
        (_SGB3_TEXT,),
        other_codes=("ALG1_REMAINING_ENTITLEMENT_LAPSED",),
    ),
    Rule(
        "ALG1_REDUCTION_PARTIAL_ALG",
        "Minderung um einen Tag je zwei Tage Teilarbeitslosengeld",
        ("§ 148 Abs. 1 Nr. 2 SGB III",),
        (_AOK_148,),
    ),
    Rule(
        "ALG1_REDUCTION_SPERRZEIT",
        "Minderung um Sperrzeiten, bei Arbeitsaufgabe mindestens ein Viertel; Wegfall nach "
        "einem Jahr nur bei Abbruch einer Maßnahme oder Arbeitsaufgabe",
        ("§ 148 Abs. 1 Nr. 3 und 4, Abs. 2 S. 2 SGB III", "§ 159 SGB III"),
        (_AOK_148, "§ 148 SGB III: https://dejure.org/gesetze/SGB_III/148.html"),
        uncertain=True,
        other_codes=("ALG1_REDUCTION_QUIT_JOB", "ALG1_REDUCTION_LAPSED"),
    ),
    Rule(
        "ALG1_REDUCTION_TRAINING",
        "Weiterbildung mindert um einen halben Tag je Tag, nie unter einen Monat (bis "
        "30.6.2023) bzw. drei Monate (seit 1.7.2023)",
        ("§ 148 Abs. 1 Nr. 7, Abs. 2 S. 3 SGB III",),
        (
            _AOK_148,
            "BSG, Urteil vom 3.5.2018, B 11 AL 6/17 R (Restanspruch von 30 Tagen nach "
            "Weiterbildung): https://ra.de/urteil/bsg/b-11-al-617-r-2018-05-03",
        ),
        uncertain=True,
    ),
    Rule(
        "ALG1_TRAINING_EXTENSION",
        "Nach mindestens 6 Monaten Weiterbildung einmalig Verlängerung auf 3 Monate",
        ("§ 148 Abs. 3 SGB III",),
        (_AOK_148, "https://haufe.de (Sauer, SGB III § 148 Rz. 42: gilt seit 1.7.2023)"),
        valid_from=date(2023, 7, 1),
    ),
    Rule(
        "ALG1_SUSPENSION",
        "Ruhen verschiebt das Ende, mindert den Anspruch nicht",
        ("§§ 156-159 SGB III",),
        (_SGB3_TEXT,),
    ),
    Rule(
        "ALG1_EXPIRED_SPERRZEITEN",
        "Erlöschen nach Sperrzeiten von insgesamt mindestens 21 Wochen",
        ("§ 161 Abs. 1 Nr. 2 SGB III",),
        ("§ 161 SGB III: https://mein.kiehl.de/Dokument/126756_161/",),
        uncertain=True,
    ),
    Rule(
        "ALG1_CLAIM_LIFETIME_ENDED",
        "Kein Geltendmachen vier Jahre nach Entstehung des Anspruchs; Ruhen verschiebt die "
        "Frist nicht",
        ("§ 161 Abs. 2 SGB III",),
        (
            "§ 161 SGB III: https://mein.kiehl.de/Dokument/126756_161/",
            "https://haufe.de (Sauer, SGB III § 161 Rz. 23-25)",
            "Hessisches LSG, Urteil L 7 AL 87/15: https://www.sozialgerichtsbarkeit.de",
        ),
    ),
    Rule(
        "ALG1_AGE_LIMIT",
        "Kein Arbeitslosengeld ab dem Monat nach Erreichen der Regelaltersgrenze",
        (
            "§ 136 Abs. 2 SGB III",
            "§§ 35 S. 2, 235 Abs. 2 SGB VI",
            "§ 26 Abs. 1 SGB X, §§ 187 Abs. 2 S. 2, 188 Abs. 2 BGB",
        ),
        _AGE_SOURCES,
        other_codes=("ALG1_AGE_LIMIT_REACHED", "ALG1_ENDED_AGE_LIMIT"),
    ),
    Rule(
        "ALG1_END_DATE",
        "Ende: voller Kalendermonat 30 Tage, Teilmonate kalendertäglich",
        ("§ 148 Abs. 1 Nr. 1 SGB III", "§ 154 S. 2 SGB III"),
        (_SGB3_TEXT,),
        uncertain=True,
        other_codes=("ALG1_PAID_DAYS", "ALG1_ACTIVE", "ALG1_EXHAUSTED"),
    ),
    Rule(
        "RESPONSIBILITY_CHANGE",
        "Nach dem Ende des Arbeitslosengeldes: Antrag beim Jobcenter, wirkt auf den Monats"
        "ersten zurück; bei Ende durch die Regelaltersgrenze Rente oder SGB XII",
        ("§ 37 SGB II", "§ 5 Abs. 4 SGB II", "§ 7a SGB II", "§ 41 Abs. 2 SGB XII"),
        ("§ 7a SGB II: https://www.urteile-gesetze.de", *_AGE_SOURCES[:2]),
    ),
    Rule(
        "AUFSTOCKER",
        "Arbeitslosengeld und SGB II zugleich: Eingliederung bleibt bei der Agentur",
        ("§ 5 Abs. 4 SGB II", "§ 22 Abs. 4 S. 5 SGB III"),
        (_SGB3_TEXT,),
    ),
    Rule(
        "INFO_SESSION_INVITATION",
        "Einladung zur gemeinsamen Informationsveranstaltung etwa drei Monate vor dem Ende",
        ("Kooperationsvereinbarung Agentur–Jobcenter (R1)",),
        ("Agentur Hagen – Jobcenter EN: https://www.derwesten.de",),
    ),
    Rule(
        "AGENTUR_JOB_SEEKER",
        "Ohne Leistungsanspruch bleibt die Person arbeitsuchend bei der Agentur",
        ("§§ 35, 38 SGB III",),
        (_SGB3_TEXT,),
    ),
    Rule(
        "U25_CAREER_GUIDANCE",
        "Berufsberatung der Agentur für alle unter 25 in jedem Rechtskreis",
        ("§§ 29 ff. SGB III", "§ 18 SGB II", "§ 22 Abs. 5 SGB II"),
        (_SGB3_TEXT,),
        other_codes=("U25_JOINT_CASE_MANAGEMENT",),
    ),
)


def rules_for(ruleset: RuleSet) -> tuple[Rule, ...]:
    """The rules in force on some day of `ruleset`, in catalogue order."""
    return tuple(rule for rule in RULES if rule.applies_within(ruleset))
