"""Request bodies the end-to-end and fault tests share."""

from __future__ import annotations

import copy
from typing import Any

from handover_api.api.schemas import CASE_EXAMPLE

# The documented example case (domain.md §4.4 example 1): 54 years, 30 insured months, ALG I
# from 2025-02-01 → ends 2026-04-30; SGB II from 2026-05-01.
ALG1_ENDS_CASE: dict[str, Any] = copy.deepcopy(CASE_EXAMPLE)
