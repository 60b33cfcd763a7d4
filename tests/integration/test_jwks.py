"""Keys come from a JWKS served over HTTP (production) or from a file that may rotate."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.issuer import DevIssuer
from shared.auth import TokenVerifier
from shared.problems import Unauthorized
from shared.settings import AuthSettings


@pytest.fixture
def jwks_server(tmp_path: Path) -> Iterator[tuple[str, DevIssuer]]:
    """The issuer's directory served by a real HTTP server on loopback."""
    issuer = DevIssuer(tmp_path)
    issuer.ensure_keys()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", issuer
    finally:
        server.shutdown()
        server.server_close()


async def test_keys_from_a_jwks_url(jwks_server: tuple[str, DevIssuer]) -> None:
    url, issuer = jwks_server
    verifier = TokenVerifier(AuthSettings(JWKS_URL=url, ISSUER=issuer.issuer))

    principal = await verifier.verify_async(issuer.token("jobcenter-muenster", ["cases:read"]))

    assert principal.org == "jobcenter-muenster"
    stranger = DevIssuer(Path(str(issuer.directory) + "-other"))
    with pytest.raises(Unauthorized):
        await verifier.verify_async(stranger.token("jobcenter-muenster"))


async def test_a_rotated_jwks_file_is_picked_up(tmp_path: Path) -> None:
    first = DevIssuer(tmp_path / "a")
    second = DevIssuer(tmp_path / "b")
    first.ensure_keys()
    second.ensure_keys()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(first.jwks_path.read_text())
    verifier = TokenVerifier(AuthSettings(JWKS_URL=str(jwks), ISSUER=first.issuer))
    assert (await verifier.verify_async(first.token("o"))).org == "o"

    jwks.write_text(second.jwks_path.read_text())
    os.utime(jwks, (time.time() + 5, time.time() + 5))
    time.sleep(1.05)

    assert (await verifier.verify_async(second.token("o"))).org == "o"
    with pytest.raises(Unauthorized):
        await verifier.verify_async(first.token("o"))
