"""`python -m handover_api [serve|migrate|downgrade|revision]`."""

from handover_api.app import create_app
from handover_api.settings import HandoverSettings
from shared.cli import service_main

if __name__ == "__main__":
    service_main("handover_api", HandoverSettings, create_app)  # type: ignore[arg-type]
