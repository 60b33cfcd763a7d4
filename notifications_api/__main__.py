"""`python -m notifications_api [serve|api|worker|migrate|downgrade|revision]`."""

from fastapi import FastAPI

from notifications_api.app import create_app
from notifications_api.settings import NotificationsSettings
from shared.cli import Mode, service_main
from shared.settings import ServiceSettings


def _create_app(settings: ServiceSettings, mode: Mode = "serve") -> FastAPI:
    if not isinstance(settings, NotificationsSettings):
        raise TypeError("expected NotificationsSettings")
    return create_app(settings, mode=mode)


if __name__ == "__main__":
    service_main(
        "notifications_api", NotificationsSettings, _create_app, create_mode_app=_create_app
    )
