"""FastAPI dependencies of eligibility_api as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.settings import EligibilitySettings
from shared.auth import Principal, principal_dependency
from shared.runtime import Runtime

SCOPES: dict[str, str] = {
    "eligibility:read": "Read eligibility checks and the rule set versions",
    "eligibility:write": "Request eligibility checks",
}

current_principal = principal_dependency(SCOPES)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> EligibilitySettings:
    """The settings the app was built with."""
    settings = _runtime(request).settings
    if not isinstance(settings, EligibilitySettings):
        raise TypeError("the runtime was not started with EligibilitySettings")
    return settings


async def get_uow(request: Request) -> EligibilityUnitOfWork:
    """A fresh unit of work (not yet entered)."""
    uow = _runtime(request).make_uow()
    if not isinstance(uow, EligibilityUnitOfWork):
        raise TypeError("the runtime was not started with EligibilityUnitOfWork")
    return uow


SettingsDep = Annotated[EligibilitySettings, Depends(get_settings)]
UowDep = Annotated[EligibilityUnitOfWork, Depends(get_uow)]

EligibilityRead = Annotated[Principal, Security(current_principal, scopes=["eligibility:read"])]
EligibilityWrite = Annotated[Principal, Security(current_principal, scopes=["eligibility:write"])]
