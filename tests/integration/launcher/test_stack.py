"""The launcher: child processes, readiness, failure reports, clean stops, the CLI."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import jwt
import pytest

from services.broker import free_port
from services.cli import READY_LINE_EVENT, build_config, main
from services.issuer import ALL_SCOPES, DevIssuer
from services.stack import (
    SERVICES,
    ChildExited,
    MigrationFailed,
    ServiceSpec,
    Stack,
    StackConfig,
    StackError,
)
from tests.conftest import DatabaseFactory

FAKE_MODULE = "tests.integration.launcher.fake_service"
FAKES = (
    ServiceSpec("fake_a", "FAKEA_", 0, "fake_a", module=FAKE_MODULE),
    ServiceSpec("fake_b", "FAKEB_", 0, "fake_b", module=FAKE_MODULE),
)
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def fake_config(
    tmp_path: Path, issuer: DevIssuer, extra_env: Mapping[str, str] | None = None
) -> StackConfig:
    return StackConfig(
        bootstrap_servers="127.0.0.1:1",
        issuer=issuer,
        database_urls={
            spec.name: f"postgresql+psycopg://app@db.invalid/{spec.db_name}" for spec in FAKES
        },
        ports={spec.name: free_port() for spec in FAKES},
        data_dir=tmp_path / "var",
        log_dir=tmp_path / "var" / "log",
        services=FAKES,
        extra_env=dict(extra_env or {}),
        work_dir=tmp_path,
    )


class Recorder:
    """Collects the stack's progress events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def __call__(self, event: str, detail: str) -> None:
        self.events.append((event, detail))

    def pids(self) -> list[int]:
        return [int(m) for e, d in self.events if e == "start" for m in re.findall(r"pid=(\d+)", d)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


class TestStackStartsAndStops:
    def test_migrates_then_serves_every_app_with_the_stack_settings(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        config = fake_config(tmp_path, issuer)
        stack = Stack(config, recorder)
        stack.up(ready_timeout=20)
        try:
            for spec in FAKES:
                assert (config.data_dir / f"{spec.env_prefix}migrated").exists()
                assert httpx.get(f"{config.url(spec)}/health/ready", trust_env=False).is_success
                received = json.loads((config.data_dir / f"{spec.env_prefix}env.json").read_text())
                assert received["PORT"] == str(config.port(spec))
                assert received["KAFKA__BOOTSTRAP_SERVERS"] == "127.0.0.1:1"
                assert received["KAFKA__ENABLE_IDEMPOTENCE"] == "false"
                assert received["AUTH__JWKS_URL"] == str(issuer.jwks_path.resolve())
                assert received["AUTH__ISSUER"] == issuer.issuer
                assert received["AUTH__AUDIENCE"] == issuer.audience
                assert received["PUBLIC_BASE_URL"] == config.url(spec)
                assert received["DB__URL"] == config.database_urls[spec.name]
        finally:
            stack.stop()
        assert [e for e, _ in recorder.events].count("stopped") == len(FAKES)
        assert all(gone(pid) for pid in recorder.pids())

    def test_an_app_ignoring_sigterm_is_killed_after_the_timeout(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        stack = Stack(fake_config(tmp_path, issuer, {"FAKEA_FAKE_MODE": "ignore_term"}), recorder)
        stack.up(ready_timeout=20)
        stack.stop(timeout=1)
        assert ("killed", "fake_a: did not stop within 1s") in recorder.events
        assert all(gone(pid) for pid in recorder.pids())


class TestStackFailures:
    def test_a_failed_migration_names_the_service_and_starts_nothing(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        stack = Stack(fake_config(tmp_path, issuer, {"FAKEB_FAKE_MIGRATE_EXIT": "3"}), recorder)
        with pytest.raises(MigrationFailed) as failure:
            stack.up(ready_timeout=20)
        assert (failure.value.name, failure.value.returncode) == ("fake_b", 3)
        assert "migration failed on purpose" in failure.value.log_tail
        assert recorder.pids() == []

    def test_an_app_that_dies_is_reported_with_its_exit_code(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        stack = Stack(fake_config(tmp_path, issuer, {"FAKEA_FAKE_MODE": "exit"}), recorder)
        try:
            stack.up(ready_timeout=20)
            deadline = time.monotonic() + 10
            dead: ChildExited | None = None
            while dead is None and time.monotonic() < deadline:
                dead = stack.exited()
                time.sleep(0.1)
        except ChildExited as exc:  # it may die before fake_b is ready
            dead = exc
        finally:
            stack.stop()
        assert dead is not None
        assert (dead.name, dead.returncode) == ("fake_a", 7)
        assert "fake service listening" in dead.log_tail

    def test_an_app_that_never_gets_ready_times_out_and_everything_stops(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        stack = Stack(fake_config(tmp_path, issuer, {"FAKEB_FAKE_MODE": "never_ready"}), recorder)
        with pytest.raises(StackError, match=r"fake_b \(HTTP 503: broker=unreachable\)"):
            stack.up(ready_timeout=2)
        assert ("ready", "fake_a") in [(e, d.split(" ")[0]) for e, d in recorder.events]
        assert all(gone(pid) for pid in recorder.pids())


class TestServiceEnvironment:
    def test_user_variables_win_and_shell_leftovers_do_not_leak(
        self, tmp_path: Path, issuer: DevIssuer
    ) -> None:
        config = build_config(
            {"HANDOVER_PORT": "9101", "HANDOVER_KAFKA__ENABLE_IDEMPOTENCE": "true"},
            tmp_path,
            "kafka:9092",
            apache_kafka=False,
            database_urls={
                spec.name: f"postgresql+psycopg://app@db.example/{spec.db_name}"
                for spec in SERVICES
            },
        )
        config = dataclasses.replace(
            config, base_env={"PATH": "/bin", "HANDOVER_AUTH__LEEWAY_SECONDS": "1"}
        )
        handover, eligibility = SERVICES[0], SERVICES[1]
        env = config.service_env(handover)
        assert env["HANDOVER_PORT"] == "9101"
        assert env["HANDOVER_KAFKA__ENABLE_IDEMPOTENCE"] == "true"
        assert "HANDOVER_AUTH__LEEWAY_SECONDS" not in env
        assert env["HANDOVER_DB__URL"] == "postgresql+psycopg://app@db.example/handover"
        assert env["PATH"] == "/bin"
        other = config.service_env(eligibility)
        assert other["ELIGIBILITY_PORT"] == "8002"
        assert other["ELIGIBILITY_KAFKA__ENABLE_IDEMPOTENCE"] == "false"


class TestTokenCommand:
    def test_prints_a_token_with_every_scope_by_default(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["--var-dir", str(tmp_path), "token", "--org", "agentur-hagen"]) == 0
        claims = self._verify(capsys.readouterr().out.strip(), tmp_path)
        assert claims["org"] == "agentur-hagen"
        assert claims["scope"].split() == list(ALL_SCOPES)

    def test_prints_a_token_with_the_given_scopes(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        argv = ["--var-dir", str(tmp_path), "token", "--org", "jobcenter-ennepe-ruhr"]
        assert main([*argv, "--scope", "cases:read handovers:read"]) == 0
        claims = self._verify(capsys.readouterr().out.strip(), tmp_path)
        assert claims["scope"] == "cases:read handovers:read"

    @staticmethod
    def _verify(token: str, var_dir: Path) -> dict[str, str]:
        jwks = jwt.PyJWKSet.from_json((var_dir / "dev-issuer" / "jwks.json").read_text())
        key = jwks.keys[0].key
        claims: dict[str, str] = jwt.decode(
            token, key, algorithms=["RS256"], audience="handover-broker"
        )
        return claims


def _services_importable() -> list[str]:
    missing = []
    for spec in SERVICES:
        try:
            found = all(importlib.util.find_spec(f"{spec.name}.{m}") for m in ("app", "__main__"))
        except ImportError:
            found = False
        if not found:
            missing.append(spec.name)
    return missing


MISSING_SERVICES = _services_importable()


class LineReader:
    """Reads a child's stdout on a thread so the test can wait with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stdout = process.stdout
        threading.Thread(target=self._pump, args=(stdout,), daemon=True).start()

    def _pump(self, stream: Iterator[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                return False
            self.lines.append(line)
            if line.startswith(prefix):
                return True
        return False

    def drain(self, timeout: float) -> None:
        self.wait_for("\0never", timeout)


@pytest.mark.e2e
@pytest.mark.kafka
@pytest.mark.skipif(bool(MISSING_SERVICES), reason=f"not importable yet: {MISSING_SERVICES}")
class TestServicesUp:
    def test_runs_the_whole_stack_and_stops_every_child_on_sigterm(
        self, tmp_path: Path, postgres_database: DatabaseFactory
    ) -> None:
        prefixes = tuple(s.env_prefix for s in SERVICES)
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env["BROKER_PORT"] = str(free_port())
        for spec in SERVICES:
            env[f"{spec.env_prefix}PORT"] = str(free_port())
            env[f"{spec.env_prefix}DB__URL"] = postgres_database(spec.db_name)
        process = subprocess.Popen(
            [sys.executable, "-m", "services", "--var-dir", str(tmp_path / "var"), "up"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        reader = LineReader(process)
        try:
            ready = reader.wait_for(f"stack: {READY_LINE_EVENT}", timeout=180)
            assert ready, "\n".join(reader.lines)
            reader.drain(1.0)
            pids = [int(p) for line in reader.lines for p in re.findall(r"pid=(\d+)", line)]
            assert len(pids) == len(SERVICES) + (
                0 if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") else 1
            )
            token = next(
                reader.lines[i + 1].strip()
                for i, line in enumerate(reader.lines)
                if line.strip() == "agentur-hagen:"
            )
            handover_url = f"http://127.0.0.1:{env['HANDOVER_PORT']}"
            for spec in SERVICES:
                port = env[f"{spec.env_prefix}PORT"]
                assert any(f"http://127.0.0.1:{port}/docs" in line for line in reader.lines)
                ready_response = httpx.get(f"http://127.0.0.1:{port}/health/ready", trust_env=False)
                assert ready_response.status_code == 200
            organisations = httpx.get(
                f"{handover_url}/v1/organisations",
                headers={"Authorization": f"Bearer {token}"},
                trust_env=False,
            )
            assert organisations.status_code != 401, organisations.text
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, "\n".join(reader.lines)
            reader.drain(2.0)
            assert all(gone(pid) for pid in pids), "\n".join(reader.lines)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
