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
from services.issuer import INTEGRATION_SCOPES, DevIssuer
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
    tmp_path: Path,
    issuer: DevIssuer,
    extra_env: Mapping[str, str] | None = None,
    *,
    split: bool = True,
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
        split=split,
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


def received_settings(config: StackConfig, spec: ServiceSpec, role: str) -> dict[str, str]:
    """What the fake process of `spec` in `role` received (see fake_service)."""
    path = config.data_dir / f"{spec.env_prefix}{role}.env.json"
    received: dict[str, str] = json.loads(path.read_text())
    return received


def assert_stack_settings(
    received: Mapping[str, str], config: StackConfig, spec: ServiceSpec, issuer: DevIssuer
) -> None:
    assert received["PORT"] == str(config.port(spec))
    assert received["KAFKA__BOOTSTRAP_SERVERS"] == "127.0.0.1:1"
    assert received["KAFKA__ENABLE_IDEMPOTENCE"] == "false"
    assert received["AUTH__JWKS_URL"] == str(issuer.jwks_path.resolve())
    assert received["AUTH__ISSUER"] == issuer.issuer
    assert received["AUTH__AUDIENCE"] == issuer.audience
    assert received["PUBLIC_BASE_URL"] == config.url(spec)
    assert received["DB__URL"] == config.database_urls[spec.name]


class TestStackStartsAndStops:
    def test_migrates_then_runs_an_api_and_a_worker_process_per_app(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        config = fake_config(tmp_path, issuer)
        stack = Stack(config, recorder)
        stack.up(ready_timeout=20)
        try:
            assert sorted(app.name for app in stack.apps) == [
                "fake_a",
                "fake_a.api",
                "fake_b",
                "fake_b.api",
            ]
            assert len({app.pid for app in stack.apps}) == 2 * len(FAKES)
            for spec in FAKES:
                assert (config.data_dir / f"{spec.env_prefix}migrated").exists()
                assert config.worker_port(spec) != config.port(spec)
                for role, port in (
                    ("api", config.port(spec)),
                    ("worker", config.worker_port(spec)),
                ):
                    url = f"http://127.0.0.1:{port}/health/ready"
                    assert httpx.get(url, trust_env=False).is_success
                    received = received_settings(config, spec, role)
                    assert (received["_ROLE"], received["_LISTENING"]) == (role, str(port))
                    # Both name the API: the worker links documents to it.
                    assert_stack_settings(received, config, spec, issuer)
                assert not (config.data_dir / f"{spec.env_prefix}serve.env.json").exists()
        finally:
            stack.stop()
        assert [e for e, _ in recorder.events].count("stopped") == 2 * len(FAKES)
        assert len(recorder.pids()) == 2 * len(FAKES)
        assert all(gone(pid) for pid in recorder.pids())

    def test_single_process_mode_serves_every_app_with_the_stack_settings(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder
    ) -> None:
        config = fake_config(tmp_path, issuer, split=False)
        stack = Stack(config, recorder)
        stack.up(ready_timeout=20)
        try:
            assert [app.name for app in stack.apps] == ["fake_a", "fake_b"]
            for spec in FAKES:
                assert (config.data_dir / f"{spec.env_prefix}migrated").exists()
                assert httpx.get(f"{config.url(spec)}/health/ready", trust_env=False).is_success
                received = received_settings(config, spec, "serve")
                assert received["_LISTENING"] == str(config.port(spec))
                assert_stack_settings(received, config, spec, issuer)
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
        assert ("killed", "fake_a.api: did not stop within 1s") in recorder.events
        assert [e for e, _ in recorder.events].count("stopped") == len(FAKES)
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

    @pytest.mark.parametrize(("role", "name"), [("worker", "fake_a"), ("api", "fake_a.api")])
    def test_an_app_that_dies_is_reported_with_its_exit_code(
        self, tmp_path: Path, issuer: DevIssuer, recorder: Recorder, role: str, name: str
    ) -> None:
        env = {"FAKEA_FAKE_MODE": "exit", "FAKEA_FAKE_ROLE": role}
        stack = Stack(fake_config(tmp_path, issuer, env), recorder)
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
        assert (dead.name, dead.returncode) == (name, 7)
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

    def test_workers_listen_on_the_api_port_plus_100_unless_given(self, tmp_path: Path) -> None:
        config = build_config(
            {"HANDOVER_PORT": "9101", "ELIGIBILITY_WORKER_PORT": "9902"},
            tmp_path,
            "kafka:9092",
            apache_kafka=False,
            database_urls={},
        )
        ports = {p.name: (p.role, p.port) for p in config.processes()}
        assert ports == {
            "handover_api": ("worker", 9201),
            "handover_api.api": ("api", 9101),
            "eligibility_api": ("worker", 9902),
            "eligibility_api.api": ("api", 8002),
            "notifications_api": ("worker", 8103),
            "notifications_api.api": ("api", 8003),
        }
        handover = next(p for p in config.processes() if p.name == "handover_api")
        assert handover.command()[-3:] == ["worker", "--port", "9201"]
        assert handover.log_name == "handover_api.worker.log"

    def test_single_process_mode_runs_serve_on_the_api_port(self, tmp_path: Path) -> None:
        config = build_config({}, tmp_path, "kafka:9092", apache_kafka=False, database_urls={})
        single = dataclasses.replace(config, split=False)
        assert [(p.name, p.role, p.port) for p in single.processes()] == [
            ("handover_api", "serve", 8001),
            ("eligibility_api", "serve", 8002),
            ("notifications_api", "serve", 8003),
        ]
        assert single.processes()[0].command()[-1] == "serve"
        assert single.processes()[0].log_name == "handover_api.log"


class TestTokenCommand:
    def test_prints_a_token_with_every_integration_scope_by_default(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["--var-dir", str(tmp_path), "token", "--org", "agentur-hagen"]) == 0
        claims = self._verify(capsys.readouterr().out.strip(), tmp_path)
        assert claims["org"] == "agentur-hagen"
        assert claims["scope"].split() == list(INTEGRATION_SCOPES)
        assert "contact:read" not in claims["scope"].split()

    def test_mints_the_service_scope_contact_read_when_asked(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        argv = ["--var-dir", str(tmp_path), "token", "--org", "agentur-hagen"]
        assert main([*argv, "--scope", "contact:read"]) == 0
        out = capsys.readouterr()
        assert "unknown scope" not in out.err
        assert self._verify(out.out.strip(), tmp_path)["scope"] == "contact:read"

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
    def test_runs_api_and_worker_processes_and_stops_every_child_on_sigterm(
        self, tmp_path: Path, postgres_database: DatabaseFactory
    ) -> None:
        prefixes = tuple(s.env_prefix for s in SERVICES)
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env["BROKER_PORT"] = str(free_port())
        env["MAILBOX_PORT"] = str(free_port())
        for spec in SERVICES:
            env[f"{spec.env_prefix}PORT"] = str(free_port())
            env[f"{spec.env_prefix}WORKER_PORT"] = str(free_port())
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
            # Notices of the dev stack go to its own mailbox under the var dir.
            mailbox = f"SMTP on 127.0.0.1:{env['MAILBOX_PORT']}"
            assert any(
                line.startswith("stack: mailbox") and mailbox in line for line in reader.lines
            ), "\n".join(reader.lines)
            pids = [int(p) for line in reader.lines for p in re.findall(r"pid=(\d+)", line)]
            # An API and a worker process per service, and the broker unless external.
            assert (
                len(set(pids))
                == len(pids)
                == 2 * len(SERVICES) + (0 if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") else 1)
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
                # The API runs no consumers: they are in the worker, whose readiness has them.
                assert not [c for c in ready_response.json()["checks"] if "consumer" in c]
                worker = f"http://127.0.0.1:{env[f'{spec.env_prefix}WORKER_PORT']}"
                assert any(f"{worker}/health/ready" in line for line in reader.lines)
                worker_ready = httpx.get(f"{worker}/health/ready", trust_env=False)
                assert worker_ready.status_code == 200, worker_ready.text
                consumers = [c for c in worker_ready.json()["checks"] if c.startswith("consumer:")]
                assert consumers, worker_ready.text
                worker_paths = httpx.get(f"{worker}/openapi.json", trust_env=False).json()["paths"]
                assert sorted(worker_paths) == ["/health/live", "/health/ready", "/metrics"]
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
