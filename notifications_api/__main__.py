"""`python -m notifications_api [serve|migrate|downgrade|revision]`."""

from fastapi import FastAPI

from notifications_api.app import create_app
from notifications_api.settings import NotificationsSettings
from shared.cli import service_main
from shared.settings import ServiceSettings


def _create_app(settings: ServiceSettings) -> FastAPI:
    if not isinstance(settings, NotificationsSettings):
        raise TypeError("expected NotificationsSettings")
    return create_app(settings)


if __name__ == "__main__":
    service_main("notifications_api", NotificationsSettings, _create_app)
