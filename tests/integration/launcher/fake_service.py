"""A stand-in app for the launcher tests: `python -m tests.integration.launcher.fake_service`.

It understands `migrate`, `serve`, `api` and `worker --port N` like the real services and finds
its env prefix from the variables the launcher sets. `<PREFIX>FAKE_MODE` picks a misbehaviour of
every process of the service (or only of the role `<PREFIX>FAKE_ROLE` names): `never_ready`,
`exit` (exit code 7 a second after start) or `ignore_term`; `<PREFIX>FAKE_MIGRATE_EXIT` fails
migrate.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType

MARKER = "KAFKA__BOOTSTRAP_SERVERS"


def env_prefix() -> str:
    """The prefix of this service's variables (e.g. `FAKEA_`)."""
    for key in os.environ:
        if key.endswith(MARKER):
            return key[: -len(MARKER)]
    raise SystemExit("no <PREFIX>KAFKA__BOOTSTRAP_SERVERS in the environment")


def setting(prefix: str, key: str, default: str = "") -> str:
    """One of this service's variables."""
    return os.environ.get(prefix + key, default)


def migrate(prefix: str) -> int:
    """Record that a migration ran, or fail on request."""
    failure = setting(prefix, "FAKE_MIGRATE_EXIT")
    if failure:
        sys.stderr.write("migration failed on purpose\n")
        return int(failure)
    data_dir = Path(setting(prefix, "DATA_DIR"))
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / f"{prefix}migrated").write_text(setting(prefix, "DB__URL"))
    return 0


def serve(prefix: str, role: str, port: int) -> int:
    """Answer /health/ready on `port` until SIGTERM; write the received settings to DATA_DIR.

    The settings go to `<prefix><role>.env.json`, with the role and the port as `_ROLE` and
    `_LISTENING`.
    """
    only_role = setting(prefix, "FAKE_ROLE")
    mode = setting(prefix, "FAKE_MODE") if only_role in ("", role) else ""
    ready = mode != "never_ready"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            checks = {"database": "ok", "broker": "ok" if ready else "unreachable"}
            body = json.dumps({"status": "ready" if ready else "not_ready", "checks": checks})
            self.send_response(200 if ready else 503)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((setting(prefix, "HOST"), port), Handler)
    data_dir = Path(setting(prefix, "DATA_DIR"))
    data_dir.mkdir(parents=True, exist_ok=True)
    received = {k[len(prefix) :]: v for k, v in os.environ.items() if k.startswith(prefix)}
    received.update({"_ROLE": role, "_LISTENING": str(port)})
    (data_dir / f"{prefix}{role}.env.json").write_text(json.dumps(received))

    def on_term(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown).start()

    if mode == "ignore_term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, on_term)
    if mode == "exit":
        threading.Timer(1.0, os._exit, args=(7,)).start()
    sys.stdout.write("fake service listening\n")
    server.serve_forever()
    server.server_close()
    return 0


def main(argv: list[str]) -> int:
    """`migrate`, or serve as `serve`, `api` or `worker --port N`."""
    prefix = env_prefix()
    if argv == ["migrate"]:
        return migrate(prefix)
    role = argv[0] if argv else "serve"
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else int(setting(prefix, "PORT"))
    return serve(prefix, role, port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
