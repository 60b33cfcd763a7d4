"""The launcher's command line: `--var-dir` on either side of the command, files under it,
and `topics` on the broker of `BROKER_PORT`."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli import build_config, main, parser
from services.stack import SERVICES

COMMANDS = [
    ["up"],
    ["token", "--org", "agentur-hagen"],
    ["topics"],
    ["migrate"],
    ["replay-dlq", "case.transferred"],
    ["revision", "handover_api", "-m", "x"],
]


class TestVarDir:
    @pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
    def test_accepted_after_the_command(self, command: list[str]) -> None:
        args = parser().parse_args([*command, "--var-dir", "/srv/broker"])
        assert args.var_dir == "/srv/broker"

    @pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
    def test_accepted_before_the_command_and_defaults_to_var(self, command: list[str]) -> None:
        assert parser().parse_args(["--var-dir", "/srv/broker", *command]).var_dir == "/srv/broker"
        assert parser().parse_args(command).var_dir == "var"

    def test_the_documents_and_the_manifest_key_follow_it(self, tmp_path: Path) -> None:
        config = build_config({}, tmp_path / "state", "127.0.0.1:1", False, {"handover_api": "x"})
        handover = next(s for s in SERVICES if s.name == "handover_api")
        env = config.service_env(handover)
        assert env["HANDOVER_BLOB_DIR"] == str(tmp_path / "state" / "blobs")
        assert env["HANDOVER_MANIFEST_KEY_PATH"] == str(
            tmp_path / "state" / "handover-manifest-key.pem"
        )
        assert env["HANDOVER_DATA_DIR"] == str(tmp_path / "state")

    def test_the_variables_still_win(self, tmp_path: Path) -> None:
        chosen = {"HANDOVER_BLOB_DIR": "/mnt/documents"}
        config = build_config(chosen, tmp_path, "127.0.0.1:1", False, {"handover_api": "x"})
        handover = next(s for s in SERVICES if s.name == "handover_api")
        env = config.service_env(handover)
        assert env["HANDOVER_BLOB_DIR"] == "/mnt/documents"
        assert env["HANDOVER_MANIFEST_KEY_PATH"] == str(tmp_path / "handover-manifest-key.pem")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(autouse=True)
def keep_signal_handlers() -> Iterator[None]:
    """`topics` installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class TestTopicsBroker:
    def test_topics_goes_to_broker_port(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        port = closed_port()
        monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
        monkeypatch.setenv("BROKER_PORT", str(port))
        assert main(["topics", "--timeout", "0"]) == 1
        assert f"127.0.0.1:{port}" in capsys.readouterr().out

    def test_kafka_bootstrap_servers_wins(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        port = closed_port()
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
        monkeypatch.setenv("BROKER_PORT", "1")
        assert main(["topics", "--timeout", "0"]) == 1
        out = capsys.readouterr().out
        assert f"127.0.0.1:{port}" in out
        assert "127.0.0.1:1 " not in out
