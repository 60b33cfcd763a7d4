"""Request bodies the end-to-end and fault tests share."""

from __future__ import annotations

from typing import Any

# domain.md §4.4 example 1: 54 years, 30 insured months, ALG I from 2025-02-01 → ends
# 2026-04-30; SGB II from 2026-05-01.
ALG1_ENDS_CASE: dict[str, Any] = {
    "kundennummer": "123A456789",
    "municipality": "Witten",
    "person": {"given_name": "Erika", "family_name": "Mustermann"},
    "facts": {
        "birth_date": "1970-06-10",
        "nationality": "GERMAN",
        "erwerbsfaehig": True,
        "hilfebeduerftig": True,
        "habitual_residence_de": True,
        "alg1": {
            "claim_start_date": "2025-02-01",
            "insured_months_30": 30,
            "insured_months_60": 30,
        },
    },
    "integration_plan": {
        "plan_type": "EINGLIEDERUNGSVEREINBARUNG",
        "goals": [{"code": "KLDB_25102"}],
        "measures": [
            {"type": "BILDUNGSGUTSCHEIN", "end_date": "2026-08-31", "cost_bearer": "AGENTUR"}
        ],
    },
}
