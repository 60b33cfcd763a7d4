"""`python -m handover_api [serve|api|worker|migrate|downgrade|revision]`."""

from fastapi import FastAPI

from handover_api.app import create_app
from handover_api.settings import HandoverSettings
from shared.cli import Mode, service_main
from shared.settings import ServiceSettings


def _create_app(settings: ServiceSettings, mode: Mode = "serve") -> FastAPI:
    if not isinstance(settings, HandoverSettings):
        raise TypeError("expected HandoverSettings")
    return create_app(settings, mode=mode)


if __name__ == "__main__":
    service_main("handover_api", HandoverSettings, _create_app, create_mode_app=_create_app)
