"""FastAPI dependencies of notifications_api as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Security

from notifications_api.adapters.uow import NotificationsUnitOfWork
from notifications_api.domain.urls import UrlPolicy
from notifications_api.settings import NotificationsSettings
from notifications_api.state import NotificationsState
from shared.auth import Principal
from shared.web import ServiceDependencies

SCOPES: dict[str, str] = {
    "subscriptions:read": "Read the organisation's webhook subscriptions",
    "subscriptions:write": "Create and delete webhook subscriptions",
    "deliveries:read": "Read webhook deliveries and their attempts",
    "deliveries:write": "Redeliver webhooks",
    "info-sessions:read": "Read the info-session calendar",
    "info-sessions:write": "Schedule info sessions",
    "invitations:read": "Read info-session invitations of the organisation's cases",
    "invitations:write": "Record attendance at info sessions",
    "consultations:read": "Read individual consultations after info sessions",
    "consultations:write": "Book consultations and record whether they took place",
    "notices:read": "Read notices to the person and download their documents (audited)",
    "notices:write": "Produce a notice to the person on demand",
}

service = ServiceDependencies(NotificationsState, SCOPES)
current_principal = service.principal

StateDep = Annotated[NotificationsState, Depends(service.state)]
SettingsDep = Annotated[NotificationsSettings, Depends(service.settings)]
UowDep = Annotated[NotificationsUnitOfWork, Depends(service.uow)]


async def get_url_policy(state: StateDep) -> UrlPolicy:
    """Which webhook URLs this deployment accepts."""
    return state.url_policy


UrlPolicyDep = Annotated[UrlPolicy, Depends(get_url_policy)]

SubscriptionsRead = Annotated[Principal, Security(current_principal, scopes=["subscriptions:read"])]
SubscriptionsWrite = Annotated[
    Principal, Security(current_principal, scopes=["subscriptions:write"])
]
DeliveriesRead = Annotated[Principal, Security(current_principal, scopes=["deliveries:read"])]
DeliveriesWrite = Annotated[Principal, Security(current_principal, scopes=["deliveries:write"])]
InfoSessionsRead = Annotated[Principal, Security(current_principal, scopes=["info-sessions:read"])]
InfoSessionsWrite = Annotated[
    Principal, Security(current_principal, scopes=["info-sessions:write"])
]
InvitationsRead = Annotated[Principal, Security(current_principal, scopes=["invitations:read"])]
InvitationsWrite = Annotated[Principal, Security(current_principal, scopes=["invitations:write"])]
ConsultationsRead = Annotated[Principal, Security(current_principal, scopes=["consultations:read"])]
ConsultationsWrite = Annotated[
    Principal, Security(current_principal, scopes=["consultations:write"])
]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version you read")
]
