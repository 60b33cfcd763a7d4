"""`python -m services up | token | topics | migrate | revision`: the local stack and tools."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

from aiokafka.errors import KafkaError

from services.broker import EmbeddedBroker
from services.issuer import ALL_SCOPES, DevIssuer
from services.kafka_cluster import ApacheKafkaCluster, kafka_libs, kafka_version
from services.mailbox import DEFAULT_MAILBOX_PORT, SETTINGS_PREFIX, DevMailbox
from services.postgres import EmbeddedPostgres, PostgresError
from services.stack import (
    SERVICES,
    WORKER_PORT_OFFSET,
    ChildExited,
    ServiceSpec,
    Stack,
    StackConfig,
    StackError,
    StackInterrupted,
)
from shared.events.registry import TOPICS
from shared.messaging.replay import replay_dead_letters
from shared.settings import KafkaSettings

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BROKER_PORT = 19092
DEFAULT_POSTGRES_PORT = 15432
DEMO_ORGS = ("agentur-hagen", "jobcenter-ennepe-ruhr")
READY_LINE_EVENT = "up"


class Console:
    """Progress lines on stdout (`stack: <event> <detail>`), flushed at once."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    def event(self, event: str, detail: str) -> None:
        """One progress line."""
        self.line(f"stack: {event:<9} {detail}")

    def line(self, text: str = "") -> None:
        """A plain line."""
        self._stream.write(text + "\n")
        self._stream.flush()


def build_config(
    env: Mapping[str, str],
    var_dir: Path,
    bootstrap_servers: str,
    apache_kafka: bool,
    database_urls: Mapping[str, str],
    split: bool = True,
) -> StackConfig:
    """The stack's config from the environment; the user's HANDOVER_* etc. variables win.

    `<PREFIX>PORT` is the API's port, `<PREFIX>WORKER_PORT` the worker's health port (the
    API's + 100 when unset); `split=False` runs one `serve` process per service.
    """
    prefixes = tuple(s.env_prefix for s in SERVICES)
    # State that would otherwise land in ./var whatever the var dir: the documents and the
    # manifest signing key follow it, unless the variables are set.
    extra_env = var_dir_env(var_dir)
    extra_env.update({k: v for k, v in env.items() if k.startswith(prefixes)})
    ports: dict[str, int] = {}
    worker_ports: dict[str, int] = {}
    for spec in SERVICES:
        port = _port(env, spec.env_prefix + "PORT")
        ports[spec.name] = spec.default_port if port is None else port
        worker = _port(env, spec.env_prefix + "WORKER_PORT")
        worker_ports[spec.name] = (
            ports[spec.name] + WORKER_PORT_OFFSET if worker is None else worker
        )
    return StackConfig(
        bootstrap_servers=bootstrap_servers,
        issuer=DevIssuer(var_dir / "dev-issuer"),
        database_urls=dict(database_urls),
        ports=ports,
        worker_ports=worker_ports,
        split=split,
        hosts=_by_service(env, "HOST"),
        data_dir=var_dir,
        log_dir=var_dir / "log",
        host=HOST,
        apache_kafka=apache_kafka,
        extra_env=extra_env,
    )


def var_dir_env(var_dir: Path) -> dict[str, str]:
    """Settings of the services' files under `var_dir` (handover_api's documents and key)."""
    base = var_dir.resolve()
    return {
        "HANDOVER_BLOB_DIR": str(base / "blobs"),
        "HANDOVER_MANIFEST_KEY_PATH": str(base / "handover-manifest-key.pem"),
    }


def _port(env: Mapping[str, str], key: str) -> int | None:
    """The port number in `env[key]`, None when unset."""
    raw = env.get(key)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise StackError(f"{key} is not a port number: {raw!r}") from None


def start_postgres(
    env: Mapping[str, str], var_dir: Path, console: Console
) -> tuple[dict[str, str], EmbeddedPostgres | None]:
    """Database URLs of every service: the user's `*_DB__URL`, else the embedded server.

    The embedded server keeps its cluster under `var_dir/postgres` (one database per
    service). It is returned when this call started it, so the caller stops it again; None
    when every URL was given or the server was already running (another `up`).
    """
    urls = _by_service(env, "DB__URL")
    missing = [spec for spec in SERVICES if spec.name not in urls]
    if not missing:
        console.event("postgres", "external (every *_DB__URL is set)")
        return urls, None
    raw_port = env.get("POSTGRES_PORT") or str(DEFAULT_POSTGRES_PORT)
    try:
        port = int(raw_port)
    except ValueError:
        raise StackError(f"POSTGRES_PORT is not a port number: {raw_port!r}") from None
    server = EmbeddedPostgres(var_dir / "postgres" / "cluster", host=HOST, port=port)
    already_running = server.running()
    if not already_running:
        _require_free_port(HOST, port, "POSTGRES_PORT")
    try:
        server.start()
        created = server.create_databases(spec.db_name for spec in missing)
    except PostgresError as exc:
        raise StackError(str(exc)) from exc
    console.event(
        "postgres",
        f"embedded: pid={server.pid()} {HOST}:{port} data={server.data_dir} "
        f"({len(created)} database(s) created) log={server.log_path}",
    )
    urls.update({spec.name: server.async_url(spec.db_name) for spec in missing})
    return urls, None if already_running else server


@contextlib.contextmanager
def databases(var_dir: Path, console: Console) -> Iterator[dict[str, str]]:
    """The services' database URLs for a one-off command; stops a server it started."""
    urls, server = start_postgres(os.environ, var_dir, console)
    try:
        yield urls
    finally:
        if server is not None:
            server.stop()


def _by_service(env: Mapping[str, str], key: str) -> dict[str, str]:
    """`{service: value}` of every set `<PREFIX><key>` variable."""
    return {s.name: env[s.env_prefix + key] for s in SERVICES if env.get(s.env_prefix + key)}


def _require_free_port(host: str, port: int, setting: str) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise StackError(
                f"port {port} on {host} is in use (another stack running?); set {setting} "
                "to use another one"
            ) from None


def _create_topics(
    bootstrap_servers: str,
    stop: threading.Event,
    timeout: float = 60.0,
    partitions: int | None = None,
    replication_factor: int | None = None,
) -> int:
    """Create every topic (dead-letter topics included); retried while the broker warms up."""
    from shared.events.registry import all_topics
    from shared.messaging.kafka import ensure_topics
    from shared.settings import KafkaSettings

    settings = KafkaSettings(BOOTSTRAP_SERVERS=bootstrap_servers)
    settings = settings.model_copy(
        update={
            "TOPIC_PARTITIONS": partitions or settings.TOPIC_PARTITIONS,
            "REPLICATION_FACTOR": replication_factor or settings.REPLICATION_FACTOR,
        }
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            created = asyncio.run(
                asyncio.wait_for(ensure_topics(settings, all_topics()), timeout=20)
            )
            return len(created)
        except Exception as exc:  # any failure is retried until the deadline
            if stop.is_set():
                raise StackInterrupted("stop requested while creating topics") from exc
            if time.monotonic() > deadline:
                detail = f"could not create topics on {bootstrap_servers}: {exc!r}"
                raise StackError(detail) from exc
            stop.wait(1.0)


def _install_signal_handlers(stop: threading.Event, received: list[str]) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _ignore_signals() -> None:
    # Teardown runs to its end; it is bounded by the stop timeouts anyway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def cmd_up(args: argparse.Namespace, console: Console) -> int:
    """Broker, topics, issuer, migrations, the three apps; then watch until stopped."""
    env = os.environ
    var_dir = Path(args.var_dir).resolve()
    log_dir = var_dir / "log"
    stop = threading.Event()
    received: list[str] = []
    _install_signal_handlers(stop, received)
    broker: EmbeddedBroker | None = None
    cluster: ApacheKafkaCluster | None = None
    postgres: EmbeddedPostgres | None = None
    mailbox: DevMailbox | None = None
    stack: Stack | None = None
    try:
        database_urls, postgres = start_postgres(env, var_dir, console)
        mailbox = start_mailbox(env, var_dir, console)
        external = env.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
        replication: int | None = None
        if external:
            bootstrap = external
            console.event("broker", f"external Kafka at {bootstrap}")
            if args.broker == "apache":
                console.event("broker", "KAFKA_BOOTSTRAP_SERVERS is set: --broker apache ignored")
        elif args.broker == "apache":
            cluster = start_kafka_cluster(var_dir / "kafka", console)
            bootstrap = cluster.bootstrap_servers
            replication = cluster.kafka_settings().REPLICATION_FACTOR
        else:
            port = int(env.get("BROKER_PORT") or DEFAULT_BROKER_PORT)
            _require_free_port(HOST, port, "BROKER_PORT")
            broker = EmbeddedBroker(host=HOST, port=port, log_path=log_dir / "broker.log")
            broker.start()
            bootstrap = broker.bootstrap_servers
            pid = broker.process.pid if broker.process else None
            console.event("broker", f"embedded Tansu: pid={pid} {bootstrap} log={broker.log_path}")
        created = _create_topics(bootstrap, stop, replication_factor=replication)
        detail = f", replication {replication}, min.insync.replicas 2" if replication else ""
        console.event("topics", f"all present ({created} created{detail})")
        # The embedded broker has no idempotent producer; Apache Kafka (local or not) has.
        config = build_config(
            env,
            var_dir,
            bootstrap,
            apache_kafka=broker is None,
            database_urls=database_urls,
            split=not args.single_process,
        )
        if mailbox is not None:
            # The user's own NOTIFICATIONS_* variables still win.
            extra = {**mailbox.settings_env(), **config.extra_env}
            config = dataclasses.replace(config, extra_env=extra)
        config.issuer.ensure_keys()
        console.event("issuer", f"{config.issuer.directory} (jwks {config.issuer.jwks_path})")
        for process in config.processes():
            setting = "WORKER_PORT" if process.role == "worker" else "PORT"
            prefix = process.service.env_prefix
            _require_free_port(config.bind_host(process.service), process.port, prefix + setting)
        stack = Stack(config, console.event, stop)
        stack.up(ready_timeout=args.ready_timeout)
        _print_banner(console, stack, bootstrap)
        while not stop.wait(0.5):
            dead = stack.exited()
            if dead is not None:
                _report_exit(console, dead)
                return 1
        console.event("stopping", f"received {received[-1] if received else 'stop'}")
        return 0
    except StackInterrupted:
        console.event("stopping", f"received {received[-1] if received else 'stop'}")
        return 0
    except ChildExited as exc:
        _report_exit(console, exc)
        return 1
    except (StackError, RuntimeError, OSError, ValueError) as exc:
        console.event("failed", str(exc))
        return 1
    finally:
        _ignore_signals()
        if stack is not None:
            stack.stop()
        if broker is not None:
            broker.stop()
            console.event("stopped", "broker")
        if cluster is not None:
            console.event("stopping", "Apache Kafka cluster")
            cluster.stop()
            console.event("stopped", "Apache Kafka cluster")
        if postgres is not None:
            with contextlib.suppress(PostgresError):
                postgres.stop()
            console.event("stopped", "postgres")
        if mailbox is not None:
            mailbox.stop()
            console.event("stopped", "mailbox")


def start_mailbox(env: Mapping[str, str], var_dir: Path, console: Console) -> DevMailbox | None:
    """The dev mailbox for notices (`var_dir/mail`), unless an SMTP host is configured."""
    if env.get(SETTINGS_PREFIX + "HOST"):
        console.event("mailbox", f"notices go to {env[SETTINGS_PREFIX + 'HOST']} (configured)")
        return None
    port = _port(env, "MAILBOX_PORT") or DEFAULT_MAILBOX_PORT
    _require_free_port(HOST, port, "MAILBOX_PORT")
    mailbox = DevMailbox(var_dir / "mail", host=HOST, port=port)
    mailbox.start()
    console.event(
        "mailbox", f"SMTP on {HOST}:{mailbox.port}, mails filed in {mailbox.directory}/new"
    )
    return mailbox


def start_kafka_cluster(base_dir: Path, console: Console) -> ApacheKafkaCluster:
    """The local 3-broker Apache Kafka cluster (KRaft) under `base_dir`, jars fetched if missing."""
    libs = kafka_libs(PROJECT_ROOT, progress=lambda line: console.event("kafka", line))
    cluster = ApacheKafkaCluster(base_dir, libs=libs)
    console.event("kafka", f"starting {len(cluster.node_ids)} brokers under {base_dir}")
    started = time.monotonic()
    cluster.start()
    pids = " ".join(f"{n}:{cluster.pid(n)}" for n in cluster.node_ids)
    console.event(
        "broker",
        f"Apache Kafka {kafka_version(PROJECT_ROOT)}: {cluster.bootstrap_servers} "
        f"(pids {pids}, up in {time.monotonic() - started:.1f}s, logs {base_dir}/node-*/logs)",
    )
    # Its ports are chosen at start: `topics` and `replay-dlq` in another shell need them.
    console.event("kafka", f"other commands: KAFKA_BOOTSTRAP_SERVERS={cluster.bootstrap_servers}")
    return cluster


def _report_exit(console: Console, exc: ChildExited) -> None:
    console.event("failed", str(exc))
    if exc.log_tail:
        console.line(f"--- last lines of {exc.name}'s log ---")
        console.line(exc.log_tail)
        console.line("---")


def _print_banner(console: Console, stack: Stack, bootstrap: str) -> None:
    config = stack.config
    mode = "API and worker per service" if config.split else "one process per service"
    console.event(
        READY_LINE_EVENT, f"{len(stack.apps)} processes ready ({mode}), broker {bootstrap}"
    )
    console.line()
    console.line("API docs:")
    for spec in config.services:
        console.line(f"  {spec.name:<18} {config.url(spec)}/docs")
    if config.split:
        console.line()
        console.line("Workers (relay, consumers, jobs): health and metrics")
        for process in config.processes():
            if process.role == "worker":
                url = config.process_url(process)
                console.line(f"  {process.service.name:<18} {url}/health/ready")
    console.line()
    console.line("Dev tokens (8 h; more with: python -m services token --org ORG [--scope '...']):")
    for org in DEMO_ORGS:
        console.line(f"  {org}:")
        console.line(f"    {config.issuer.token(org)}")
    console.line()
    console.line(f"Logs in {config.log_dir}. Ctrl-C stops the stack.")
    smtp_host = config.extra_env.get(SETTINGS_PREFIX + "HOST")
    if smtp_host == HOST and config.extra_env.get(SETTINGS_PREFIX + "PORT"):
        console.line(f"Notices e-mailed to people are filed in {config.data_dir / 'mail' / 'new'}.")


def parse_scopes(values: Sequence[str] | None) -> list[str] | None:
    """`--scope "a b" --scope c,d` → ["a", "b", "c", "d"]; None means every scope."""
    if not values:
        return None
    scopes = [s for value in values for s in value.replace(",", " ").split()]
    return list(dict.fromkeys(scopes))


def cmd_token(args: argparse.Namespace, console: Console) -> int:
    """Print a bearer token the running stack accepts (same var/dev-issuer keys)."""
    issuer = DevIssuer(Path(args.var_dir) / "dev-issuer")
    scopes = parse_scopes(args.scope)
    unknown = sorted(set(scopes or ()) - set(ALL_SCOPES))
    if unknown:
        sys.stderr.write(f"warning: unknown scope(s) {' '.join(unknown)}\n")
    token = issuer.token(args.org, scopes, ttl_seconds=args.ttl)
    console.line(token)
    return 0


def _broker_from_env(env: Mapping[str, str]) -> tuple[str, bool]:
    """Bootstrap servers as `up` chooses them, and whether they are an external cluster."""
    external = env.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if external:
        return external, True
    return f"{HOST}:{env.get('BROKER_PORT') or DEFAULT_BROKER_PORT}", False


def cmd_topics(args: argparse.Namespace, console: Console) -> int:
    """Create every topic on the broker (KAFKA_BOOTSTRAP_SERVERS, else the local BROKER_PORT)."""
    bootstrap, _ = _broker_from_env(os.environ)
    stop = threading.Event()
    _install_signal_handlers(stop, [])
    try:
        created = _create_topics(
            bootstrap,
            stop,
            timeout=args.timeout,
            partitions=args.partitions,
            replication_factor=args.replication_factor,
        )
    except StackError as exc:
        console.event("failed", str(exc))
        return 1
    console.event("topics", f"all present on {bootstrap} ({created} created)")
    return 0


def cmd_replay_dlq(args: argparse.Namespace, console: Console) -> int:
    """Republish the dead letters `<topic>.dlq` holds now to `<topic>`, then stop."""
    bootstrap, external = _broker_from_env(os.environ)
    settings = KafkaSettings(BOOTSTRAP_SERVERS=bootstrap, ENABLE_IDEMPOTENCE=external)

    def progress(count: int) -> None:
        if count % 100 == 0:
            console.event("replaying", f"{count} message(s) so far")

    try:
        result = asyncio.run(
            replay_dead_letters(
                settings, args.topic, group_id=args.group, limit=args.limit, progress=progress
            )
        )
    except (ValueError, KafkaError, OSError) as exc:
        console.event("failed", f"{type(exc).__name__}: {exc}")
        return 1
    partitions = ", ".join(f"{p}: {n}" for p, n in sorted(result.per_partition.items()))
    console.event(
        "replayed",
        f"{result.replayed} message(s) from {args.topic}.dlq to {args.topic} on {bootstrap} "
        f"(per partition {partitions or 'none'})",
    )
    if result.incomplete:
        left = ", ".join(str(p) for p in result.incomplete)
        console.event("left", f"partition(s) {left} not replayed to their end; run it again")
    return 0


def cmd_settings(args: argparse.Namespace, console: Console) -> int:
    """Print the operator's guide's table of settings, generated from the settings classes."""
    from services.settings_doc import markdown_table

    console.line(markdown_table())
    return 0


def _offline_config(var_dir: Path, database_urls: Mapping[str, str]) -> StackConfig:
    """Config for commands that do not start the broker (migrate, revision)."""
    env = os.environ
    external = env.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    port = env.get("BROKER_PORT") or str(DEFAULT_BROKER_PORT)
    return build_config(env, var_dir, external or f"{HOST}:{port}", bool(external), database_urls)


def cmd_migrate(args: argparse.Namespace, console: Console) -> int:
    """Migrate the databases of the chosen services (all by default) to head."""
    unknown = set(args.services) - {s.name for s in SERVICES}
    if unknown:
        console.event("failed", f"unknown service(s): {' '.join(sorted(unknown))}")
        return 2
    var_dir = Path(args.var_dir).resolve()
    try:
        with databases(var_dir, console) as urls:
            config = _offline_config(var_dir, urls)
            wanted = [s for s in config.services if not args.services or s.name in args.services]
            Stack(config, console.event).migrate(wanted)
    except ChildExited as exc:
        _report_exit(console, exc)
        return 1
    except StackError as exc:
        console.event("failed", str(exc))
        return 1
    return 0


def cmd_revision(args: argparse.Namespace, console: Console) -> int:
    """Write a new migration for one service, against its database migrated to head."""
    spec = _spec(args.service)
    var_dir = Path(args.var_dir).resolve()
    try:
        with databases(var_dir, console) as urls:
            config = _offline_config(var_dir, urls)
            Stack(config, console.event).migrate([spec])
            command = [*spec.command("revision"), "-m", args.message]
            if args.empty:
                command.append("--empty")
            env = config.service_env(spec)
            # alembic's output is read by a person
            env.setdefault(spec.env_prefix + "LOG_JSON", "false")
            return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    except ChildExited as exc:
        _report_exit(console, exc)
        return 1
    except StackError as exc:
        console.event("failed", str(exc))
        return 1


def _spec(name: str) -> ServiceSpec:
    return next(s for s in SERVICES if s.name == name)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(
        prog="python -m services", description="The handover broker's local stack and dev tools."
    )
    var_dir_help = (
        "state directory: databases, logs, dev issuer, documents, manifest key (var); "
        "accepted before or after the command"
    )
    root.add_argument("--var-dir", default="var", help=var_dir_help)
    # The same option after the command: SUPPRESS keeps the root's value unless it is given.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--var-dir", default=argparse.SUPPRESS, help=var_dir_help)
    sub = root.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up", parents=[after], help="run broker, migrations and the three apps until Ctrl-C"
    )
    up.add_argument(
        "--broker",
        choices=("embedded", "apache"),
        default=os.environ.get("STACK_BROKER") or "embedded",
        help="embedded: Tansu (instant); apache: a local 3-broker Apache Kafka cluster under "
        "VAR_DIR/kafka, fetched with Maven on first use (STACK_BROKER; "
        "KAFKA_BOOTSTRAP_SERVERS wins over both)",
    )
    up.add_argument(
        "--single-process",
        action="store_true",
        default=(os.environ.get("STACK_SINGLE_PROCESS") or "").lower() in {"1", "true", "yes"},
        help="run each service as one process (`serve`: API and background work together) "
        "instead of an API and a worker process (STACK_SINGLE_PROCESS=1)",
    )
    up.add_argument(
        "--ready-timeout",
        type=float,
        default=float(os.environ.get("STACK_READY_TIMEOUT") or 120),
        help="seconds to wait for GET /health/ready of every app (120; STACK_READY_TIMEOUT)",
    )
    token = sub.add_parser(
        "token", parents=[after], help="print a dev bearer token the running stack accepts"
    )
    token.add_argument("--org", required=True, help="organisation id, e.g. agentur-hagen")
    token.add_argument(
        "--scope",
        action="append",
        help="space or comma separated scopes (repeatable); default: every integration scope",
    )
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds (8 h)")
    topics = sub.add_parser(
        "topics",
        parents=[after],
        help="create every topic on KAFKA_BOOTSTRAP_SERVERS (else 127.0.0.1:BROKER_PORT)",
    )
    topics.add_argument("--partitions", type=int, help="partitions per topic (3)")
    topics.add_argument("--replication-factor", type=int, help="replicas per partition (1)")
    topics.add_argument("--timeout", type=float, default=120.0, help="seconds to keep retrying")
    migrate = sub.add_parser(
        "migrate", parents=[after], help="migrate the service databases to head"
    )
    migrate.add_argument(
        "services", nargs="*", metavar="SERVICE", help="handover_api, eligibility_api, ..."
    )
    replay = sub.add_parser(
        "replay-dlq",
        parents=[after],
        help="republish the dead letters TOPIC.dlq holds now to TOPIC, then stop "
        "(KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:BROKER_PORT)",
    )
    replay.add_argument("topic", choices=TOPICS, help="the original topic, e.g. case.transferred")
    replay.add_argument("--group", default="dlq-replay", help="consumer group of the replay")
    replay.add_argument("--limit", type=int, help="replay at most this many messages")
    sub.add_parser(
        "settings",
        help="print the table of every service setting (environment variable) as markdown",
    )
    revision = sub.add_parser(
        "revision", parents=[after], help="write a new migration for one service"
    )
    revision.add_argument("service", choices=[s.name for s in SERVICES])
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--empty", action="store_true", help="no autogenerate")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m services`."""
    args = parser().parse_args(argv)
    console = Console()
    commands = {
        "up": cmd_up,
        "token": cmd_token,
        "topics": cmd_topics,
        "migrate": cmd_migrate,
        "revision": cmd_revision,
        "replay-dlq": cmd_replay_dlq,
        "settings": cmd_settings,
    }
    return commands[args.command](args, console)
