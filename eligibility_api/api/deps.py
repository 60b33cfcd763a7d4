"""FastAPI dependencies of eligibility_api as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security

from eligibility_api.adapters.uow import EligibilityUnitOfWork
from eligibility_api.settings import EligibilitySettings
from eligibility_api.state import EligibilityState
from shared.auth import Principal
from shared.web import ServiceDependencies

SCOPES: dict[str, str] = {
    "eligibility:read": "Read eligibility checks and the rule set versions",
    "eligibility:write": "Request eligibility checks",
}

service = ServiceDependencies(EligibilityState, SCOPES)
current_principal = service.principal

StateDep = Annotated[EligibilityState, Depends(service.state)]
SettingsDep = Annotated[EligibilitySettings, Depends(service.settings)]
UowDep = Annotated[EligibilityUnitOfWork, Depends(service.uow)]

EligibilityRead = Annotated[Principal, Security(current_principal, scopes=["eligibility:read"])]
EligibilityWrite = Annotated[Principal, Security(current_principal, scopes=["eligibility:write"])]
