"""Rolling the manifest key on PostgreSQL while handover_api runs: nothing signed before breaks.

The roll is the operator's command (`python -m handover_api rotate-manifest-key`) in a
process of its own, as in production; the running app takes the new key without a restart.
Manifests are checked with the receiver's guide example against the published key set.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from handover_api.adapters.signing import ManifestSigner
from handover_api.adapters.tables import AuditCheckpoint
from services.issuer import DevIssuer
from shared.db import migrations
from shared.events.handover import CaseTransferredV1
from shared.events.registry import decode
from tests.conftest import DatabaseFactory
from tests.guide import example
from tests.integration.handover.conftest import OTHER, HandoverHarness, handover_settings, served
from tests.integration.handover.test_api import transferred_handover
from tests.integration.handover.test_audit_chain import attacker, verify

ROOT = Path(__file__).resolve().parents[3]
CHECKPOINT_EVERY = 4
receiver = example("receiver")


@pytest.fixture
async def rolling(
    postgres_database: DatabaseFactory, issuer: DevIssuer, tmp_path: Path
) -> AsyncIterator[HandoverHarness]:
    """handover_api with a checkpoint every few audit records (the interval setting)."""
    url = postgres_database("handover")
    await asyncio.to_thread(migrations.upgrade, "handover_api", url)
    settings = handover_settings(url, issuer, tmp_path).model_copy(
        update={"AUDIT_CHECKPOINT_EVERY": CHECKPOINT_EVERY}
    )
    async with served(settings, issuer) as h:
        yield h


async def roll_key(h: HandoverHarness) -> dict[str, Any]:
    """Run the operator's roll command against the app's key file; its JSON answer."""
    return await roll_key_file(h.settings.MANIFEST_KEY_PATH)


async def roll_key_file(key_path: Path) -> dict[str, Any]:
    """Run `python -m handover_api rotate-manifest-key` for `key_path`; its JSON answer."""
    env = {**os.environ, "HANDOVER_MANIFEST_KEY_PATH": str(key_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "handover_api",
        "rotate-manifest-key",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return answer


async def manifests(h: HandoverHarness) -> list[dict[str, Any]]:
    """The `case.transferred` data published so far, as a receiver gets it."""
    await h.drain_outbox()
    found: list[dict[str, Any]] = []
    for record in h.publisher.on_topic("case.transferred"):
        data = decode(record.value).data
        assert isinstance(data, CaseTransferredV1)
        found.append(data.model_dump(mode="json"))
    return found


async def jwks(h: HandoverHarness) -> dict[str, Any]:
    response = await h.client.get("/v1/manifest-keys")
    assert response.status_code == 200, response.text
    keys: dict[str, Any] = response.json()
    return keys


async def checkpoint_kids(h: HandoverHarness) -> dict[int, str]:
    """The kid of every checkpoint, once the waiting records are sealed (checkpoints too)."""
    await h.seal_audit()
    async with h.app.state.runtime.sessions() as session:
        rows = (await session.scalars(select(AuditCheckpoint))).all()
    return {r.seq: str(jwt.get_unverified_header(r.signature)["kid"]) for r in rows}


def kid_of(data: dict[str, Any]) -> str:
    return str(jwt.get_unverified_header(data["manifest_signature"])["kid"])


class TestRollWhileRunning:
    """Manifests and checkpoints signed before a roll keep verifying; new ones use the new key."""

    async def test_old_manifests_verify_with_the_published_keys_after_a_roll(
        self, rolling: HandoverHarness
    ) -> None:
        h = rolling
        await transferred_handover(h)
        [before] = await manifests(h)
        old_kid = (await jwks(h))["keys"][0]["kid"]
        assert kid_of(before) == old_kid

        rolled = await roll_key(h)
        assert rolled["retired_kid"] == old_kid
        keys = await jwks(h)
        assert [k["kid"] for k in keys["keys"]] == [rolled["kid"], old_kid]

        # The receiver's guide code, as written, with the key set published after the roll.
        receiver.verify_manifest(before, keys)
        await transferred_handover(h)
        _, after = await manifests(h)
        assert kid_of(after) == rolled["kid"]
        receiver.verify_manifest(after, keys)
        # Only the key set from before the roll does not know the new key: the receiver
        # fetches again on the unknown kid.
        with pytest.raises(receiver.InvalidWebhook, match="unknown key id"):
            receiver.verify_manifest(after, {"keys": keys["keys"][1:]})

    async def test_audit_verify_stays_valid_across_the_roll(self, rolling: HandoverHarness) -> None:
        h = rolling
        await transferred_handover(h)
        made = await h.client.post("/v1/audit/checkpoints", headers=h.auth(OTHER, ["audit:read"]))
        assert made.status_code == 201, made.text
        old = await checkpoint_kids(h)
        assert len(old) >= 2, "checkpoints every few records (the interval setting), and one made"
        assert all(seq % CHECKPOINT_EVERY == 0 for seq in list(old)[:-1])

        rolled = await roll_key(h)
        await transferred_handover(h)
        made = await h.client.post("/v1/audit/checkpoints", headers=h.auth(OTHER, ["audit:read"]))
        assert made.status_code == 201, made.text
        kids = await checkpoint_kids(h)
        assert set(kids.values()) == {rolled["retired_kid"], rolled["kid"]}
        assert kids[made.json()["seq"]] == rolled["kid"]

        result = await verify(h)
        assert result["verified"] is True, result
        assert result["checkpoints_checked"] == len(kids)
        from_checkpoint = await verify(h, **{"from": "checkpoint"})
        assert from_checkpoint["verified"] is True
        assert from_checkpoint["from_seq"] == made.json()["seq"] + 1

    async def test_a_tampered_checkpoint_still_fails_after_the_roll(
        self, rolling: HandoverHarness
    ) -> None:
        h = rolling
        await transferred_handover(h)
        old = await checkpoint_kids(h)
        rolled = await roll_key(h)
        await transferred_handover(h)
        seq = min(old)
        # Signed by another key under the retired key's kid: the ring's key does not verify it.
        async with h.app.state.runtime.sessions() as session:
            checkpoint = await session.get(AuditCheckpoint, seq)
            assert checkpoint is not None
            claims = jwt.decode(checkpoint.signature, options={"verify_signature": False})
        forged = jwt.encode(
            claims,
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": rolled["retired_kid"]},
        )
        with attacker(h) as conn:
            conn.execute(
                "UPDATE audit_checkpoints SET signature = %s WHERE seq = %s", (forged, seq)
            )
        result = await verify(h)
        assert result["verified"] is False
        assert result["first_broken"]["seq"] == seq
        assert result["first_broken"]["problem"] == "checkpoint_signature_invalid"


class TestPublishedKeys:
    """The key set is cacheable and revalidates by ETag; a roll changes it."""

    async def test_cache_headers_and_revalidation(self, rolling: HandoverHarness) -> None:
        h = rolling
        first = await h.client.get("/v1/manifest-keys")
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=300"
        etag = first.headers["etag"]
        again = await h.client.get("/v1/manifest-keys", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag

        await roll_key(h)
        after = await h.client.get("/v1/manifest-keys", headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert after.headers["etag"] != etag
        assert len(after.json()["keys"]) == 2


# A second process signing with the key file, as the worker does beside the API: it answers
# each line on stdin with a checkpoint signature.
SIGNING_PROCESS = """
import sys
from pathlib import Path
from handover_api.adapters.signing import ManifestSigner
signer = ManifestSigner(Path(sys.argv[1]))
for line in sys.stdin:
    sys.stdout.write(signer.sign_claims({"audit_seq": int(line)}) + "\\n")
    sys.stdout.flush()
"""


class TestTwoProcesses:
    """The API and the worker sign with the same key before and after a roll, unrestarted."""

    async def test_both_processes_take_the_new_key(self, tmp_path: Path) -> None:
        key_path = tmp_path / "manifest.pem"
        api = ManifestSigner(key_path)
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SIGNING_PROCESS,
            str(key_path),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert worker.stdin is not None
        assert worker.stdout is not None

        async def worker_signs(seq: int) -> str:
            assert worker.stdin is not None
            assert worker.stdout is not None
            worker.stdin.write(f"{seq}\n".encode())
            await worker.stdin.drain()
            line = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
            return line.decode().strip()

        try:
            before = await worker_signs(1)
            assert jwt.get_unverified_header(before)["kid"] == api.kid
            rolled = await roll_key_file(key_path)
            after = await worker_signs(2)
            assert jwt.get_unverified_header(after)["kid"] == rolled["kid"]
            assert api.kid == rolled["kid"]
            # The API verifies what the worker signed, before and after the roll.
            assert api.verify(before) == {"audit_seq": 1}
            assert api.verify(after) == {"audit_seq": 2}
        finally:
            worker.stdin.close()
            await asyncio.wait_for(worker.wait(), timeout=60)
        assert worker.returncode == 0
