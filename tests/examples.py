"""Request bodies the end-to-end and fault tests share."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from handover_api.api.schemas import CASE_EXAMPLE

# The documented example case (domain.md §4.4 example 1): 54 years, 30 insured months, ALG I
# from 2025-02-01 → ends 2026-04-30; SGB II from 2026-05-01.
ALG1_ENDS_CASE: dict[str, Any] = {**copy.deepcopy(CASE_EXAMPLE), "kundennummer": "123A456789"}


def with_fresh_kundennummer(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with a Kundennummer of its own: one organisation may not use one twice."""
    digits = f"{uuid.uuid4().int % 10**9:09d}"
    return {**body, "kundennummer": f"{digits[:3]}A{digits[3:]}"}
