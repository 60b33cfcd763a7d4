"""The command line every service shares: serve, migrate, downgrade, revision."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import uvicorn
from fastapi import FastAPI

from shared.db import migrations
from shared.logging import configure_logging
from shared.settings import ServiceSettings


def service_main(
    package: str,
    load_settings: Callable[[], ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    argv: Sequence[str] | None = None,
) -> None:
    """Parse the command line and run the chosen command for one service."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP app (default)")
    up = sub.add_parser("migrate", help="migrate the database up")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate the database down")
    down.add_argument("revision")
    rev = sub.add_parser("revision", help="write a new migration")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--empty", action="store_true", help="no autogenerate")
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_JSON)
    if args.command == "migrate":
        migrations.upgrade(package, settings.DB.URL, args.revision)
    elif args.command == "downgrade":
        migrations.downgrade(package, settings.DB.URL, args.revision)
    elif args.command == "revision":
        migrations.revision(package, settings.DB.URL, args.message, not args.empty)
    else:
        app = create_app(settings)
        uvicorn.run(
            app,
            host=settings.HOST,
            port=settings.PORT,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
