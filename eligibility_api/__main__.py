"""`python -m eligibility_api [serve|migrate|downgrade|revision]`."""

from eligibility_api.app import create_app
from eligibility_api.settings import EligibilitySettings
from shared.cli import service_main

if __name__ == "__main__":
    service_main("eligibility_api", EligibilitySettings, create_app)  # type: ignore[arg-type]
