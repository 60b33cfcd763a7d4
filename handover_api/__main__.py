"""`python -m handover_api [serve|api|worker|migrate|downgrade|revision|rotate-manifest-key]`."""

import json
import sys

import structlog
from fastapi import FastAPI

from handover_api.adapters.signing import rotate_key
from handover_api.app import create_app
from handover_api.settings import HandoverSettings
from shared.cli import Mode, ServiceCommand, service_main
from shared.settings import ServiceSettings


def _create_app(settings: ServiceSettings, mode: Mode = "serve") -> FastAPI:
    if not isinstance(settings, HandoverSettings):
        raise TypeError("expected HandoverSettings")
    return create_app(settings, mode=mode)


def _rotate_manifest_key(settings: ServiceSettings) -> int:
    """Retire the manifest key and create a new one; running processes take it on their own."""
    if not isinstance(settings, HandoverSettings):
        raise TypeError("expected HandoverSettings")
    rotation = rotate_key(settings.MANIFEST_KEY_PATH)
    structlog.get_logger().info(
        "handover.manifest_key.rotated", kid=rotation.kid, retired_kid=rotation.retired_kid
    )
    sys.stdout.write(json.dumps({"kid": rotation.kid, "retired_kid": rotation.retired_kid}) + "\n")
    return 0


COMMANDS = {
    "rotate-manifest-key": ServiceCommand(
        "retire the manifest signing key (still published) and sign with a new one",
        _rotate_manifest_key,
    )
}

if __name__ == "__main__":
    service_main(
        "handover_api",
        HandoverSettings,
        _create_app,
        create_mode_app=_create_app,
        commands=COMMANDS,
    )
