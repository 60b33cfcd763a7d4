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
