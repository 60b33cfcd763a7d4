"""The three apps as child processes: migrate, start, wait until ready, watch and stop.

Used by `python -m services up` and by the end-to-end tests; it knows nothing about where the
broker, the databases or the issuer come from: the caller passes them in a `StackConfig`.
By default every service runs as two processes, its HTTP API (`python -m <svc> api`) and its
worker (`python -m <svc> worker`: relay, consumers, periodic jobs, health on a port of its
own); `StackConfig(split=False)` runs one `serve` process per service instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import httpx

from services.broker import free_port
from services.issuer import DevIssuer

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceSpec:
    """One app of the stack: its name, the module run with `-m`, env prefix and defaults."""

    name: str
    env_prefix: str
    default_port: int
    db_name: str
    module: str = ""

    def command(self, action: str) -> list[str]:
        """`python -m <module> <action>` with this interpreter."""
        return [sys.executable, "-m", self.module or self.name, action]


Role = Literal["serve", "api", "worker"]
# The worker's health port when neither it nor the API's port was given: 8101, 8102, 8103.
WORKER_PORT_OFFSET = 100


@dataclass(frozen=True)
class ProcessSpec:
    """One process of a service: `serve` (everything), `api` or `worker`, and its port."""

    service: ServiceSpec
    role: Role
    port: int

    @property
    def name(self) -> str:
        """How the stack (and the fault suite) addresses the process.

        The process that carries the service's background work (the worker, or the single
        `serve` process) has the service's name, so killing "handover_api" stops its relay,
        consumers and jobs; the stateless API is "<service>.api".
        """
        return f"{self.service.name}.api" if self.role == "api" else self.service.name

    @property
    def log_name(self) -> str:
        """The log file: `<service>.log` for `serve`, `<service>.<role>.log` otherwise."""
        suffix = "" if self.role == "serve" else f".{self.role}"
        return f"{self.service.name}{suffix}.log"

    def command(self) -> list[str]:
        """`python -m <module> <role>`; a worker is told its health port."""
        extra = ["--port", str(self.port)] if self.role == "worker" else []
        return [*self.service.command(self.role), *extra]


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("handover_api", "HANDOVER_", 8001, "handover"),
    ServiceSpec("eligibility_api", "ELIGIBILITY_", 8002, "eligibility"),
    ServiceSpec("notifications_api", "NOTIFICATIONS_", 8003, "notifications"),
)


# The client notifications_api calls handover_api's contact endpoint as (notices).
NOTICE_SERVICE_ORG = "notifications-service"
NOTICE_TOKEN_TTL_SECONDS = 7 * 24 * 3600


def display_url(url: str) -> str:
    """A database URL with its password hidden, for progress output."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is not shown at all
        return "<invalid database URL>"


@dataclass(frozen=True)
class StackConfig:
    """Everything the apps need: broker, databases, issuer, ports and where files go."""

    bootstrap_servers: str
    issuer: DevIssuer
    database_urls: Mapping[str, str]
    ports: Mapping[str, int]
    data_dir: Path
    log_dir: Path
    host: str = "127.0.0.1"
    hosts: Mapping[str, str] = field(default_factory=dict)
    # Apache Kafka (local cluster or external) rather than the embedded Tansu broker: the
    # apps use the idempotent producer and static group membership, which Tansu lacks.
    apache_kafka: bool = False
    services: tuple[ServiceSpec, ...] = SERVICES
    # Each service as an API and a worker process (True), or as one `serve` process.
    split: bool = True
    # Health ports of the workers; a missing one is the API's default port + 100 when the
    # API's port was not given either, else a free port chosen here.
    worker_ports: Mapping[str, int] = field(default_factory=dict)
    # Applied last, so it wins over the values above (the CLI passes the user's *_ variables).
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # The inherited environment (os.environ when None); its service-prefixed variables are
    # dropped so a developer's shell cannot leak settings into a test stack.
    base_env: Mapping[str, str] | None = None
    work_dir: Path | None = None

    def __post_init__(self) -> None:
        chosen = dict(self.worker_ports)
        for spec in self.services:
            if spec.name not in chosen:
                given = spec.name in self.ports
                chosen[spec.name] = free_port() if given else spec.default_port + WORKER_PORT_OFFSET
        object.__setattr__(self, "worker_ports", chosen)

    def port(self, spec: ServiceSpec) -> int:
        """The port `spec`'s API (or single process) listens on."""
        return self.ports.get(spec.name, spec.default_port)

    def worker_port(self, spec: ServiceSpec) -> int:
        """The port of the health and metrics endpoint of `spec`'s worker."""
        return self.worker_ports[spec.name]

    def processes(self) -> list[ProcessSpec]:
        """The processes of the stack: a worker and an API per service, or one `serve` each."""
        if not self.split:
            return [ProcessSpec(spec, "serve", self.port(spec)) for spec in self.services]
        return [
            process
            for spec in self.services
            for process in (
                ProcessSpec(spec, "worker", self.worker_port(spec)),
                ProcessSpec(spec, "api", self.port(spec)),
            )
        ]

    def process_url(self, process: ProcessSpec) -> str:
        """Base URL of `process` (its health endpoint) from this machine."""
        host = self.bind_host(process.service)
        if host in {"0.0.0.0", "::", ""}:
            host = "127.0.0.1"
        return f"http://{host}:{process.port}"

    def bind_host(self, spec: ServiceSpec) -> str:
        """The interface `spec` binds to."""
        return self.hosts.get(spec.name, self.host)

    def url(self, spec: ServiceSpec) -> str:
        """Base URL to reach `spec` from this machine."""
        host = self.bind_host(spec)
        if host in {"0.0.0.0", "::", ""}:
            host = "127.0.0.1"
        return f"http://{host}:{self.port(spec)}"

    def database_url(self, spec: ServiceSpec) -> str:
        """The PostgreSQL database of `spec`."""
        try:
            return self.database_urls[spec.name]
        except KeyError:
            raise StackError(f"no database URL for {spec.name}") from None

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The environment of `spec`'s processes (migrate, serve, api and worker).

        PORT and PUBLIC_BASE_URL name the API in every one of them: the worker gets its own
        port on the command line and builds links to the API.
        """
        prefixes = tuple(s.env_prefix for s in self.services)
        base = os.environ if self.base_env is None else self.base_env
        env = {k: v for k, v in base.items() if not k.startswith(prefixes)}
        values = {
            "HOST": self.bind_host(spec),
            "PORT": str(self.port(spec)),
            "PUBLIC_BASE_URL": self.url(spec),
            "DATA_DIR": str(self.data_dir.resolve()),
            "DB__URL": self.database_url(spec),
            "KAFKA__BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA__ENABLE_IDEMPOTENCE": "true" if self.apache_kafka else "false",
            "CONSUMER__STATIC_MEMBERSHIP": "true" if self.apache_kafka else "false",
            "AUTH__JWKS_URL": str(self.issuer.jwks_path.resolve()),
            "AUTH__ISSUER": self.issuer.issuer,
            "AUTH__AUDIENCE": self.issuer.audience,
        }
        values.update(self.notice_contacts_env(spec))
        env.update({spec.env_prefix + key: value for key, value in values.items()})
        env.update(self.extra_env)
        # The project root first, so `-m` finds the packages whatever the working directory.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def notice_contacts_env(self, spec: ServiceSpec) -> dict[str, str]:
        """notifications_api reads contact data for notices from handover_api (dev token).

        The static token is minted by the dev issuer for `notifications-service` with only
        `contact:read`, valid for the length of a working week of `make run`.
        """
        handover = next((s for s in self.services if s.name == "handover_api"), None)
        if spec.name != "notifications_api" or handover is None:
            return {}
        token = self.issuer.token(
            NOTICE_SERVICE_ORG, ["contact:read"], ttl_seconds=NOTICE_TOKEN_TTL_SECONDS
        )
        return {
            "NOTICES__CONTACTS__BASE_URL": self.url(handover),
            "NOTICES__CONTACTS__TOKEN": token,
        }


class StackError(RuntimeError):
    """The stack could not be started."""


class StackInterrupted(StackError):
    """A stop was requested while the stack was starting."""


def describe_exit(returncode: int | None) -> str:
    """`exit code 3`, or `killed by SIGKILL` for a negative (signal) code."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class ChildExited(StackError):
    """A child process ended on its own."""

    def __init__(self, name: str, returncode: int, log_tail: str = "") -> None:
        super().__init__(f"{name} ended unexpectedly ({describe_exit(returncode)})")
        self.name = name
        self.returncode = returncode
        self.log_tail = log_tail


class MigrationFailed(ChildExited):
    """`python -m <svc> migrate` failed."""

    def __init__(self, name: str, returncode: int, log_tail: str = "") -> None:
        super().__init__(name, returncode, log_tail)
        self.args = (f"migration of {name} failed ({describe_exit(returncode)})",)


def log_tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the launcher is killed hard (SIGKILL), the
    # kernel sends the app SIGTERM, so no orphaned app keeps holding its port.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


# PR_SET_PDEATHSIG follows the forking *thread*, so it is only safe from the main thread.
def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that stops the child when its parent dies (None where unsafe)."""
    on_main = threading.current_thread() is threading.main_thread()
    return _die_with_parent if sys.platform == "linux" and on_main else None


Reporter = Callable[[str, str], None]


def _no_report(event: str, detail: str) -> None:
    """Default reporter: silent."""


@dataclass
class AppProcess:
    """One running process of an app (`python -m <svc> serve|api|worker`), logging to a file."""

    spec: ProcessSpec
    url: str
    env: dict[str, str]
    log_path: Path
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def name(self) -> str:
        """The process name: the service's for its worker (or single process), else `<svc>.api`."""
        return self.spec.name

    @property
    def role(self) -> Role:
        """serve, api or worker."""
        return self.spec.role

    @property
    def pid(self) -> int | None:
        """The process id while started."""
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        """Start the process; it is its own session, so a terminal's Ctrl-C reaches only us."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")  # one run per file: the tail is this run's
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter and a fixed module
            self.spec.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )

    def returncode(self) -> int | None:
        """The exit code once the process has ended, else None."""
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM: uvicorn shuts down gracefully)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()

    def wait(self, timeout: float) -> bool:
        """Whether the process ended within `timeout` seconds."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """End the process for good (SIGKILL) and reap it."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            self.process.wait()

    def close_log(self) -> None:
        """Close our handle on the log file."""
        if self._log is not None:
            self._log.close()
            self._log = None


class Stack:
    """The apps of a `StackConfig`: `up()` migrates, starts and waits; `stop()` ends them."""

    def __init__(
        self,
        config: StackConfig,
        report: Reporter = _no_report,
        stop_requested: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.report = report
        # Set from a signal handler (or another thread) to abort a start in progress.
        self.stop_requested = stop_requested or threading.Event()
        self.apps: list[AppProcess] = []

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of every app, by service name."""
        return {spec.name: self.config.url(spec) for spec in self.config.services}

    def up(self, ready_timeout: float = 90.0) -> None:
        """Migrate, start and wait until every app is ready; stops what it started on failure."""
        try:
            self.migrate()
            self.start()
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def migrate(self, services: Sequence[ServiceSpec] | None = None) -> None:
        """Run `python -m <svc> migrate` for each service, in parallel; raise on a failure."""
        running: list[tuple[ServiceSpec, subprocess.Popen[bytes], Path]] = []
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        for spec in services or self.config.services:
            log_path = self.config.log_dir / f"{spec.name}.migrate.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(  # noqa: S603 - our interpreter and a fixed module
                    spec.command("migrate"),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.config.service_env(spec),
                    cwd=self.config.work_dir,
                )
            running.append((spec, process, log_path))
            self.report("migrate", f"{spec.name}: {display_url(self.config.database_url(spec))}")
        failed: ChildExited | None = None
        for spec, process, log_path in running:
            while True:
                try:
                    code = process.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if self.stop_requested.is_set():
                        process.terminate()
            if code != 0 and failed is None:
                failed = MigrationFailed(spec.name, code, log_tail(log_path))
            elif code == 0:
                self.report("migrated", spec.name)
        if self.stop_requested.is_set():
            raise StackInterrupted("stop requested during migrations")
        if failed is not None:
            raise failed

    def start(self) -> None:
        """Start every process: `python -m <svc> worker` and `api`, or `serve`."""
        for process in self.config.processes():
            app = AppProcess(
                spec=process,
                url=self.config.process_url(process),
                env=self.config.service_env(process.service),
                log_path=self.config.log_dir / process.log_name,
                cwd=self.config.work_dir,
            )
            self.apps.append(app)
            app.start()
            self.report(
                "start",
                f"{app.name}: {app.role} pid={app.pid} url={app.url} log={app.log_path}",
            )

    def exited(self) -> ChildExited | None:
        """The first app that has ended on its own, if any."""
        for app in self.apps:
            code = app.returncode()
            if code is not None:
                return ChildExited(app.name, code, log_tail(app.log_path))
        return None

    def wait_ready(self, timeout: float, progress_every: float = 5.0) -> None:
        """Poll `GET /health/ready` of every process until all answer 200, with progress output.

        A worker's readiness includes its consumers (none blocked on the database or broker).
        """
        started = time.monotonic()
        next_progress = started + progress_every
        pending = {app.name: "starting" for app in self.apps}
        by_name = {app.name: app for app in self.apps}
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while pending:
                if self.stop_requested.is_set():
                    raise StackInterrupted("stop requested while waiting for readiness")
                dead = self.exited()
                if dead is not None:
                    raise dead
                for name in list(pending):
                    state = _readiness(client, by_name[name].url)
                    if state is None:
                        del pending[name]
                        elapsed = time.monotonic() - started
                        self.report("ready", f"{name} after {elapsed:.1f}s")
                    else:
                        pending[name] = state
                now = time.monotonic()
                if pending and now - started > timeout:
                    detail = ", ".join(f"{n} ({s})" for n, s in pending.items())
                    tails = "\n".join(
                        f"--- {n} log ---\n{log_tail(by_name[n].log_path)}" for n in pending
                    )
                    raise StackError(f"not ready within {timeout:.0f}s: {detail}\n{tails}")
                if pending and now >= next_progress:
                    next_progress = now + progress_every
                    detail = ", ".join(f"{n} ({s})" for n, s in pending.items())
                    self.report("waiting", f"{now - started:.0f}s/{timeout:.0f}s: {detail}")
                if pending:
                    self.stop_requested.wait(0.3)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every process, wait up to `timeout` in total, then SIGKILL what is left."""
        alive = [app for app in self.apps if app.returncode() is None]
        for app in alive:
            app.terminate()
        deadline = time.monotonic() + timeout
        for app in alive:
            if app.wait(deadline - time.monotonic()):
                # uvicorn re-raises the SIGTERM after its graceful shutdown, hence -15.
                code = app.returncode()
                clean = code in (0, -signal.SIGTERM)
                self.report(
                    "stopped", f"{app.name}" + ("" if clean else f" ({describe_exit(code)})")
                )
            else:
                app.kill()
                self.report("killed", f"{app.name}: did not stop within {timeout:.0f}s")
        for app in self.apps:
            app.close_log()
        self.apps.clear()


def _readiness(client: httpx.Client, base_url: str) -> str | None:
    """None when ready, else a short reason."""
    try:
        response = client.get(f"{base_url}/health/ready")
    except httpx.ConnectError:
        return "not listening yet"
    except httpx.HTTPError as exc:
        return type(exc).__name__
    if response.status_code == 200:
        return None
    try:
        checks = response.json().get("checks", {})
        bad = [f"{k}={v}" for k, v in checks.items() if v != "ok"]
    except (ValueError, AttributeError):
        bad = []
    return f"HTTP {response.status_code}" + (f": {', '.join(bad)}" if bad else "")
