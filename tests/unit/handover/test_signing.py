"""The manifest signing key: created once, even when API and worker start together."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from handover_api.adapters.signing import ManifestSigner


def test_processes_starting_together_share_one_complete_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "manifest.pem"
    start = threading.Barrier(8)
    kids: list[str] = []
    errors: list[BaseException] = []

    def load() -> None:
        start.wait()
        try:
            kids.append(ManifestSigner(path).kid)
        except BaseException as exc:  # a half-written file would fail to load here
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(kids) == 8
    assert len(set(kids)) == 1, "every process signs with the key in the file"
    assert ManifestSigner(path).kid == kids[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["manifest.pem"], "no temporary left"
