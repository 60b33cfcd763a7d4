"""`python -m eligibility_api [serve|api|worker|migrate|downgrade|revision]`."""

from fastapi import FastAPI

from eligibility_api.app import create_app
from eligibility_api.settings import EligibilitySettings
from shared.cli import Mode, service_main
from shared.settings import ServiceSettings


def _create_app(settings: ServiceSettings, mode: Mode = "serve") -> FastAPI:
    if not isinstance(settings, EligibilitySettings):
        raise TypeError("expected EligibilitySettings")
    return create_app(settings, mode=mode)


if __name__ == "__main__":
    service_main("eligibility_api", EligibilitySettings, _create_app, create_mode_app=_create_app)
