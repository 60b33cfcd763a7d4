"""A token's signature is verified once while it is valid; expiry and key rotation still refuse."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from services.issuer import DevIssuer
from shared.auth import Principal, TokenVerifier
from shared.problems import Unauthorized
from shared.settings import AuthSettings


class CountingVerifier(TokenVerifier):
    """Counts the full verifications (signature and claims)."""

    def __init__(self, settings: AuthSettings, max_cached_tokens: int = 10_000) -> None:
        super().__init__(settings, max_cached_tokens)
        self.full_verifications = 0

    def _verify_signature(self, token: str) -> tuple[Principal, float, str, Any]:
        self.full_verifications += 1
        return super()._verify_signature(token)


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    issuer = DevIssuer(tmp_path / "issuer")
    issuer.ensure_keys()
    return issuer


def verifier_for(
    issuer: DevIssuer, jwks: Path | None = None, *, leeway: int = 30, max_cached: int = 10_000
) -> CountingVerifier:
    settings = AuthSettings(
        JWKS_URL=str(jwks or issuer.jwks_path), ISSUER=issuer.issuer, LEEWAY_SECONDS=leeway
    )
    return CountingVerifier(settings, max_cached)


class TestOncePerToken:
    async def test_a_valid_token_is_verified_in_full_once(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer)
        token = issuer.token("agentur-hagen", ["cases:read"])
        first = await verifier.verify_async(token)
        for _ in range(5):
            assert await verifier.verify_async(token) == first
        assert verifier.verify(token) == first
        assert first.org == "agentur-hagen"
        assert first.scopes == frozenset({"cases:read"})
        assert verifier.full_verifications == 1

    async def test_each_token_has_its_own_entry(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer)
        hagen = await verifier.verify_async(issuer.token("agentur-hagen", ["cases:read"]))
        muenster = await verifier.verify_async(issuer.token("jobcenter-muenster", []))
        assert (hagen.org, muenster.org) == ("agentur-hagen", "jobcenter-muenster")
        assert muenster.scopes == frozenset()
        assert verifier.full_verifications == 2

    async def test_the_cache_is_bounded(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer, max_cached=2)
        tokens = [issuer.token(f"org-{i}") for i in range(3)]
        for token in tokens:
            await verifier.verify_async(token)
        assert verifier.cached_tokens == 2
        # The least recently used (the first) was evicted: it is verified in full again.
        await verifier.verify_async(tokens[2])
        assert verifier.full_verifications == 3
        await verifier.verify_async(tokens[0])
        assert verifier.full_verifications == 4


class TestFailuresAreNotCached:
    async def test_a_refused_token_is_verified_every_time(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer)
        token = issuer.token("agentur-hagen", audience="someone-else")
        for _ in range(2):
            with pytest.raises(Unauthorized):
                await verifier.verify_async(token)
        assert verifier.full_verifications == 2
        assert verifier.cached_tokens == 0

    async def test_a_token_without_org_is_not_remembered(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer)
        token = issuer.token("", [])
        with pytest.raises(Unauthorized):
            await verifier.verify_async(token)
        assert verifier.cached_tokens == 0

    async def test_a_tampered_copy_of_a_cached_token_is_refused(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer)
        token = issuer.token("agentur-hagen")
        await verifier.verify_async(token)
        header, claims, signature = token.split(".")
        tampered = f"{header}.{claims}.{signature[:-4]}AAAA"
        with pytest.raises(Unauthorized):
            await verifier.verify_async(tampered)


class TestExpiry:
    async def test_an_expired_token_is_refused_although_it_was_cached(
        self, issuer: DevIssuer
    ) -> None:
        verifier = verifier_for(issuer, leeway=0)
        # `exp` is whole seconds after a truncated `iat`: with a 1 s lifetime a token made
        # late in a second could already be expired at its first check.
        token = issuer.token("agentur-hagen", ttl_seconds=2)
        assert (await verifier.verify_async(token)).org == "agentur-hagen"
        assert verifier.cached_tokens == 1
        time.sleep(3.1)  # past `exp`
        with pytest.raises(Unauthorized):
            await verifier.verify_async(token)
        assert verifier.cached_tokens == 0

    async def test_the_leeway_still_applies_after_exp(self, issuer: DevIssuer) -> None:
        verifier = verifier_for(issuer, leeway=30)
        token = issuer.token("agentur-hagen", ttl_seconds=1)
        await verifier.verify_async(token)
        time.sleep(2.1)
        # Past `exp` the cache no longer answers; the full check accepts it within the leeway.
        assert (await verifier.verify_async(token)).org == "agentur-hagen"
        assert verifier.full_verifications == 2


class TestKeyRotation:
    async def test_a_cached_token_is_refused_once_its_key_left_the_jwks(
        self, issuer: DevIssuer, tmp_path: Path
    ) -> None:
        other = DevIssuer(tmp_path / "other")
        other.ensure_keys()
        jwks = tmp_path / "jwks.json"
        jwks.write_text(issuer.jwks_path.read_text())
        verifier = verifier_for(issuer, jwks)
        token = issuer.token("agentur-hagen")
        assert (await verifier.verify_async(token)).org == "agentur-hagen"

        jwks.write_text(other.jwks_path.read_text())  # the old key is revoked
        os.utime(jwks, (time.time() + 5, time.time() + 5))
        time.sleep(1.05)  # the file is checked once a second

        with pytest.raises(Unauthorized):
            await verifier.verify_async(token)

    async def test_a_key_replaced_under_the_same_kid_refuses_the_tokens_of_the_old(
        self, issuer: DevIssuer, tmp_path: Path
    ) -> None:
        other = DevIssuer(tmp_path / "other")
        other.ensure_keys()
        jwks = tmp_path / "jwks.json"
        jwks.write_text(issuer.jwks_path.read_text())
        verifier = verifier_for(issuer, jwks)
        token = issuer.token("agentur-hagen")
        await verifier.verify_async(token)

        replacement = json.loads(other.jwks_path.read_text())
        replacement["keys"][0]["kid"] = json.loads(issuer.jwks_path.read_text())["keys"][0]["kid"]
        jwks.write_text(json.dumps(replacement))
        os.utime(jwks, (time.time() + 5, time.time() + 5))
        time.sleep(1.05)

        with pytest.raises(Unauthorized):
            await verifier.verify_async(token)
