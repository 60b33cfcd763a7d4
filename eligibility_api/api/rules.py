"""The rule set versions the engine knows, with validity, legal sources and rules."""

from __future__ import annotations

from fastapi import APIRouter

from eligibility_api.api.deps import EligibilityRead
from eligibility_api.api.schemas import RuleSetList, RuleSetRead
from eligibility_api.domain.rulesets import list_rulesets
from shared.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["rules"])


@router.get(
    "/rules",
    summary="List the rule set versions",
    responses=problem_responses(401, 403),
)
async def list_rules(principal: EligibilityRead) -> RuleSetList:
    """Every legal version, oldest first, with valid_from/valid_to, sources and the rules in
    force in it, each with its provisions and sources."""
    return RuleSetList(items=[RuleSetRead.of(r) for r in list_rulesets()])
