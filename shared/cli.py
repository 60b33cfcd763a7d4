"""The command line every service shares: serve, api, worker, migrate, downgrade, revision.

A service adds commands only it has through `service_main(commands=...)` (handover_api's
`rotate-manifest-key`).

A service runs in one of three modes (`Mode`): `api` is the stateless HTTP API (no relay, no
consumers, no periodic jobs), `worker` the background work (outbox relay, consumers, periodic
jobs) with only health and metrics on a port of its own, and `serve` both in one process for
small installations. Each mode sizes its database pool to its work unless
`<PREFIX>DB__POOL_SIZE` is set.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import uvicorn
from fastapi import FastAPI

from shared.db import migrations
from shared.logging import configure_logging
from shared.settings import ServiceSettings

Mode = Literal["serve", "api", "worker"]
MODES: tuple[Mode, ...] = ("serve", "api", "worker")
# Concurrent requests of one API process that hold a connection; more wait for one (the
# engine still opens up to 10 overflow connections for a burst).
API_POOL_SIZE = 10
# The worker's health port when none is given: the API's port + 100 (8101, 8102, 8103).
WORKER_PORT_OFFSET = 100

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def worker_pool_size(*, consumer_groups: int, locked_jobs: int, concurrent_work: int = 0) -> int:
    """Connections the background work of one process holds at most at once.

    The relay holds its advisory lock on a connection of its own and publishes over a second
    one; housekeeping and the readiness check take one each; every consumer group handles one
    message at a time; a job under an advisory lock holds the lock's connection and one for
    its run; `concurrent_work` counts the connections of the other jobs (the webhook delivery
    worker: its claim and the sends of a batch). LISTEN connections are outside the pool.
    """
    return 2 + 1 + 1 + consumer_groups + 2 * locked_jobs + concurrent_work


def settings_for_mode(settings: SettingsT, mode: Mode, *, worker_pool: int) -> SettingsT:
    """`settings` for one mode: relay and consumers only where background work runs, and a
    database pool sized to the mode's work unless `DB__POOL_SIZE` was given."""
    background = mode != "api"
    if "POOL_SIZE" in settings.DB.model_fields_set:
        pool = settings.DB.POOL_SIZE
    else:
        pool = {"api": API_POOL_SIZE, "worker": worker_pool, "serve": API_POOL_SIZE + worker_pool}[
            mode
        ]
    return settings.model_copy(
        update={
            "DB": settings.DB.model_copy(update={"POOL_SIZE": pool}),
            "RELAY": settings.RELAY.model_copy(
                update={"ENABLED": settings.RELAY.ENABLED and background}
            ),
            "CONSUMER": settings.CONSUMER.model_copy(
                update={"ENABLED": settings.CONSUMER.ENABLED and background}
            ),
        }
    )


def worker_settings(settings: SettingsT, port: int | None) -> SettingsT:
    """The worker's settings: it listens on its own port, but links still name the API.

    PUBLIC_BASE_URL keeps the API's address (document URLs in a manifest point there); PORT
    becomes the worker's, so the default consumer group instance id tells apart two workers
    on one host.
    """
    return settings.model_copy(
        update={
            "PORT": settings.PORT + WORKER_PORT_OFFSET if port is None else port,
            "PUBLIC_BASE_URL": settings.base_url,
        }
    )


@dataclass(frozen=True)
class ServiceCommand:
    """A command of one service: its help text and what it runs (the exit status returned)."""

    help: str
    run: Callable[[ServiceSettings], int]


def service_main(
    package: str,
    load_settings: Callable[[], ServiceSettings],
    create_app: Callable[[ServiceSettings], FastAPI],
    argv: Sequence[str] | None = None,
    *,
    create_mode_app: Callable[[ServiceSettings, Mode], FastAPI] | None = None,
    commands: Mapping[str, ServiceCommand] | None = None,
) -> None:
    """Parse the command line and run the chosen command for one service.

    `create_app` builds the app `serve` runs; `create_mode_app` (the services pass their
    `create_app` with a `mode`) adds the `api` and `worker` commands; `commands` adds the
    service's own commands, which run with its settings and exit with their status.
    """
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "serve", help="run the HTTP API and the background work in one process (default)"
    )
    if create_mode_app is not None:
        sub.add_parser("api", help="run only the HTTP API: no relay, consumers or periodic jobs")
        worker = sub.add_parser(
            "worker",
            help="run the outbox relay, consumers and periodic jobs; health and metrics only",
        )
        worker.add_argument(
            "--port",
            type=int,
            help=f"port of /health/* and /metrics (default: PORT + {WORKER_PORT_OFFSET})",
        )
    up = sub.add_parser("migrate", help="migrate the database up")
    up.add_argument("revision", nargs="?", default="heads")
    down = sub.add_parser("downgrade", help="migrate the database down")
    down.add_argument("revision")
    rev = sub.add_parser("revision", help="write a new migration")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--empty", action="store_true", help="no autogenerate")
    own = dict(commands or {})
    for name, command in own.items():
        sub.add_parser(name, help=command.help)
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_JSON)
    if args.command in own:
        raise SystemExit(own[args.command].run(settings))
    if args.command == "migrate":
        migrations.upgrade(package, settings.DB.URL, args.revision)
    elif args.command == "downgrade":
        migrations.downgrade(package, settings.DB.URL, args.revision)
    elif args.command == "revision":
        migrations.revision(package, settings.DB.URL, args.message, not args.empty)
    else:
        mode: Mode = args.command if args.command in MODES else "serve"
        if mode == "worker":
            settings = worker_settings(settings, args.port)
        if mode == "serve" or create_mode_app is None:
            app = create_app(settings)
        else:
            app = create_mode_app(settings, mode)
        uvicorn.run(
            app,
            host=settings.HOST,
            port=settings.PORT,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
