"""The manifest key ring: a roll retires the key, keeps its public half and reaches every signer."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from handover_api.adapters.signing import KeyRing, ManifestSigner, retired_dir, rotate_key

ROLLED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "manifest.pem"


class TestRing:
    def test_a_roll_publishes_the_new_key_first_and_keeps_the_old_one(self, key_path: Path) -> None:
        signer = ManifestSigner(key_path)
        old = signer.kid
        rotation = rotate_key(key_path, ROLLED_AT)
        assert rotation.retired_kid == old
        keys = signer.jwks()["keys"]
        assert [k["kid"] for k in keys] == [rotation.kid, old]
        assert "retired_at" not in keys[0]
        assert keys[1]["retired_at"] == "2026-03-02T09:30:00+00:00"
        assert all(k["alg"] == "EdDSA" and k["use"] == "sig" and "d" not in k for k in keys)

    def test_retired_keys_are_listed_newest_first(self, key_path: Path) -> None:
        first = ManifestSigner(key_path).kid
        second = rotate_key(key_path, ROLLED_AT).kid
        third = rotate_key(key_path, datetime(2026, 9, 1, tzinfo=UTC)).kid
        kids = [k["kid"] for k in ManifestSigner(key_path).jwks()["keys"]]
        assert kids == [third, second, first]

    def test_only_public_halves_are_kept_for_retired_keys(self, key_path: Path) -> None:
        ManifestSigner(key_path)
        rotation = rotate_key(key_path, ROLLED_AT)
        stored = json.loads((retired_dir(key_path) / f"{rotation.retired_kid}.json").read_text())
        assert set(stored) == {"kty", "crv", "x", "kid", "use", "alg", "retired_at"}
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600

    def test_a_retired_file_that_is_not_its_key_is_refused(self, key_path: Path) -> None:
        ManifestSigner(key_path)
        rotation = rotate_key(key_path, ROLLED_AT)
        path = retired_dir(key_path) / f"{rotation.retired_kid}.json"
        forged = json.loads(path.read_text())
        forged["kid"] = rotation.kid[:-1] + ("A" if rotation.kid[-1] != "A" else "B")
        (retired_dir(key_path) / "forged.json").write_text(json.dumps(forged))
        with pytest.raises(ValueError, match="is not its Ed25519 key"):
            KeyRing.load(key_path)


class TestKidSelection:
    def test_signatures_of_every_ring_key_verify_by_their_kid(self, key_path: Path) -> None:
        signer = ManifestSigner(key_path)
        before = signer.sign_claims({"audit_seq": 1})
        rotate_key(key_path, ROLLED_AT)
        after = signer.sign_claims({"audit_seq": 2})
        assert kid_of(before) != kid_of(after)
        assert signer.verify(before) == {"audit_seq": 1}
        assert signer.verify(after) == {"audit_seq": 2}

    def test_a_signature_naming_a_ring_key_but_made_by_another_fails(self, key_path: Path) -> None:
        signer = ManifestSigner(key_path)
        old = signer.kid
        rotate_key(key_path, ROLLED_AT)
        forged = jwt.encode(
            {"audit_seq": 1}, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": old}
        )
        assert signer.verify(forged) is None

    def test_an_unknown_or_missing_kid_fails(self, key_path: Path, tmp_path: Path) -> None:
        signer = ManifestSigner(key_path)
        stranger = ManifestSigner(tmp_path / "stranger.pem").sign_claims({"audit_seq": 1})
        assert signer.verify(stranger) is None
        no_kid = jwt.encode({"audit_seq": 1}, Ed25519PrivateKey.generate(), algorithm="EdDSA")
        assert signer.verify(no_kid) is None
        assert signer.verify("not a token") is None

    def test_removing_a_retired_key_revokes_what_it_signed(self, key_path: Path) -> None:
        signer = ManifestSigner(key_path)
        before = signer.sign_claims({"audit_seq": 1})
        rotation = rotate_key(key_path, ROLLED_AT)
        (retired_dir(key_path) / f"{rotation.retired_kid}.json").unlink()
        assert signer.verify(before) is None
        assert [k["kid"] for k in signer.jwks()["keys"]] == [rotation.kid]


class TestRunningProcesses:
    def test_api_and_worker_sign_with_the_new_key_right_after_a_roll(self, key_path: Path) -> None:
        api, worker = ManifestSigner(key_path), ManifestSigner(key_path)
        assert kid_of(api.sign("a" * 64, "h1")) == kid_of(worker.sign("a" * 64, "h1"))
        rotation = rotate_key(key_path, ROLLED_AT)
        assert kid_of(api.sign("a" * 64, "h2")) == rotation.kid
        assert kid_of(worker.sign_claims({"audit_seq": 7})) == rotation.kid
        assert api.jwks_etag() == worker.jwks_etag()

    def test_the_published_etag_changes_with_a_roll(self, key_path: Path) -> None:
        signer = ManifestSigner(key_path)
        before = signer.jwks_etag()
        assert signer.jwks_etag() == before
        rotate_key(key_path, ROLLED_AT)
        assert signer.jwks_etag() != before


class TestRollAtomicity:
    def test_readers_never_see_a_partial_ring_while_keys_roll(self, key_path: Path) -> None:
        """Every ring read while rolls run loads, and holds every key current before it."""
        ManifestSigner(key_path)
        rolls = 30
        done = threading.Event()
        errors: list[BaseException] = []
        seen_current: list[str] = []

        def read() -> None:
            while not done.is_set():
                try:
                    ring = KeyRing.load(key_path)
                except BaseException as exc:
                    errors.append(exc)
                    return
                # A key that was current in an earlier read is still in the ring.
                missing = [k for k in seen_current if k not in ring.public]
                if missing:
                    errors.append(AssertionError(f"ring lost {missing}"))
                    return
                if not seen_current or seen_current[-1] != ring.kid:
                    seen_current.append(ring.kid)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for _ in range(rolls):
                rotate_key(key_path, ROLLED_AT)
        finally:
            done.set()
            reader.join(timeout=30)
        assert not reader.is_alive()
        assert errors == []
        assert len(KeyRing.load(key_path).public) == rolls + 1

    def test_concurrent_rolls_retire_every_key_they_replace(self, key_path: Path) -> None:
        """Rolls run one at a time: no key is replaced without being retired first."""
        ManifestSigner(key_path)
        start = threading.Barrier(6)
        errors: list[BaseException] = []

        def roll() -> None:
            start.wait()
            try:
                rotate_key(key_path, ROLLED_AT)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=roll) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        ring = KeyRing.load(key_path)
        assert len(ring.public) == 7
        assert len(ring.jwks["keys"]) == 7
        names = sorted(p.name for p in retired_dir(key_path).iterdir())
        assert len([n for n in names if n.endswith(".json")]) == 6
        assert [n for n in names if not n.endswith(".json")] == [".rotate.lock"]
        assert sorted(p.name for p in key_path.parent.iterdir()) == [
            "manifest.pem",
            "manifest.retired",
        ], "no temporary file left"

    def test_a_roll_without_a_key_creates_one(self, key_path: Path) -> None:
        rotation = rotate_key(key_path, ROLLED_AT)
        assert rotation.retired_kid is None
        assert ManifestSigner(key_path).kid == rotation.kid
