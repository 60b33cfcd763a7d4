"""The decision follows § 136 (2) SGB III: end date, invitation, responsibility change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eligibility_api.domain.decision import LegalDomain, OrgType
from eligibility_api.domain.engine import evaluate
from eligibility_api.domain.facts import Alg1Facts, Nationality, PersonFacts


def near_retirement() -> PersonFacts:
    # born 1 Mar 1960: 66y4m completed at the end of 30 Jun 2026; 24 months of ALG I from
    # 1 Jul 2025 would run to 30 Jun 2027
    return PersonFacts(
        birth_date=date(1960, 3, 1),
        nationality=Nationality.GERMAN,
        erwerbsfaehig=True,
        habitual_residence_de=True,
        household_monthly_need_eur=Decimal(1000),
        household_monthly_income_eur=Decimal(0),
        alg1=Alg1Facts(date(2025, 7, 1), 48, 48, monthly_amount_eur=Decimal(1600)),
    )


class TestKeyDatesFollowTheAgeLimit:
    def test_end_invitation_and_change_date(self) -> None:
        """§ 136 (2) SGB III: the end date is 30 Jun 2026, so the responsibility change is on
        1 Jul 2026 and the info session invitation (R1, 90 days before) on 1 Apr 2026."""
        kd = evaluate(near_retirement(), date(2025, 7, 1)).key_dates
        assert (kd.alg1_entitlement_days, kd.alg1_end_date) == (720, date(2026, 6, 30))
        assert kd.responsibility_change_date == date(2026, 7, 1)
        assert kd.info_session_invitation_date == date(2026, 4, 1)

    def test_sgb2_age_limit_is_the_same_month_end(self) -> None:
        """§ 7a SGB II and § 136 (2) SGB III use the same Regelaltersgrenze (§ 235 SGB VI), so
        SGB II ends with ALG I and the change does not lead to the Jobcenter."""
        decision = evaluate(near_retirement(), date(2026, 3, 2))
        assert decision.key_dates.sgb2_age_limit_date == decision.key_dates.alg1_end_date
        change = next(r for r in decision.reasons if r.code == "RESPONSIBILITY_CHANGE")
        assert "Regelaltersgrenze" in change.text_de
        assert "Grundsicherungsgeld" in change.text_de
        assert change.legal_ref == "§ 136 Abs. 2 SGB III, § 7a SGB II, § 41 Abs. 2 SGB XII"


class TestResponsibilityAroundTheLimit:
    def test_last_day_agentur(self) -> None:
        """§ 136 (2) SGB III: on 30 Jun 2026 the claim still runs; the Agentur is responsible."""
        decision = evaluate(near_retirement(), date(2026, 6, 30))
        assert decision.legal_domain is LegalDomain.SGB_III
        assert decision.responsible_org_type is OrgType.AGENTUR

    def test_first_day_after_not_sgb3_and_not_the_jobcenter(self) -> None:
        """§ 136 (2) SGB III and § 7a SGB II: from 1 Jul 2026 neither ALG I nor SGB II; the
        decision names the end by age, not an exhausted claim (§ 41 (2) SGB XII)."""
        decision = evaluate(near_retirement(), date(2026, 7, 1))
        assert decision.legal_domain not in {LegalDomain.SGB_III, LegalDomain.SGB_II}
        assert decision.integration_responsible_org_type is not OrgType.JOBCENTER
        assert decision.key_dates.alg1_remaining_days == 0
        assert "ALG1_ENDED_AGE_LIMIT" in decision.reason_codes
        assert "ALG1_EXHAUSTED" not in decision.reason_codes

    def test_exhausted_claim_before_the_limit_still_leads_to_the_jobcenter(self) -> None:
        """§ 147 (2) SGB III: 12 months from 1 Jun 2024 end on 31 May 2025, a year before the
        Regelaltersgrenze; the ordinary change to SGB II (§ 37 SGB II) applies."""
        person = PersonFacts(
            birth_date=date(1960, 3, 1),
            nationality=Nationality.GERMAN,
            erwerbsfaehig=True,
            hilfebeduerftig=True,
            habitual_residence_de=True,
            alg1=Alg1Facts(date(2024, 6, 1), 24, 24),
        )
        decision = evaluate(person, date(2025, 6, 2))
        assert decision.legal_domain is LegalDomain.SGB_II
        assert "ALG1_EXHAUSTED" in decision.reason_codes
        assert "ALG1_ENDED_AGE_LIMIT" not in decision.reason_codes

    def test_claim_after_the_limit_is_not_running(self) -> None:
        """§ 136 (2) SGB III: a claim starting on 1 Jul 2026 does not arise; no end date, no
        invitation, no change date from ALG I."""
        person = PersonFacts(
            birth_date=date(1960, 3, 1),
            alg1=Alg1Facts(date(2026, 7, 1), 48, 48),
        )
        decision = evaluate(person, date(2026, 7, 1))
        assert decision.legal_domain is not LegalDomain.SGB_III
        kd = decision.key_dates
        assert (kd.alg1_end_date, kd.info_session_invitation_date) == (None, None)
        assert kd.alg1_entitlement_days == 0
        assert "ALG1_AGE_LIMIT_REACHED" in decision.reason_codes
