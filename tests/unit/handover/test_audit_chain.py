"""The audit chain's canonical form, links and checks, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from handover_api.adapters.signing import ManifestSigner
from handover_api.domain.audit import (
    GENESIS_HASH,
    AuditFact,
    Break,
    ChainWalk,
    Checkpoint,
    canonical,
    check_checkpoint,
    checkpoint_claims,
    checkpoints_due,
    extend,
    purpose_of,
)

AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
CASE = uuid.UUID("0b6f3f7e-2c1a-4d5e-8f90-1a2b3c4d5e6f")


def fact(action: str = "case.read", **details: str) -> AuditFact:
    return AuditFact(CASE, "agentur-hagen", "client-1", action, "Zweck", "req-1", AT, details)


class TestCanonicalForm:
    def test_sorted_keys_utc_time_and_the_previous_hash(self) -> None:
        content = canonical(1, fact(b="2", a="1"), GENESIS_HASH)
        assert content.startswith(b'{"action":"case.read","actor_org":"agentur-hagen"')
        assert b'"details":{"a":"1","b":"2"}' in content
        assert b'"at":"2026-04-02T09:30:00.000000+00:00"' in content
        assert f'"prev_hash":"{GENESIS_HASH}"'.encode() in content

    def test_the_same_instant_in_another_zone_hashes_alike(self) -> None:
        cest = AT.astimezone(timezone(timedelta(hours=2)))
        other = AuditFact(
            CASE, "agentur-hagen", "client-1", "case.read", "Zweck", "req-1", cest, {}
        )
        assert canonical(1, other, GENESIS_HASH) == canonical(1, fact(), GENESIS_HASH)


class TestWalk:
    def chain(self) -> list[tuple[int, AuditFact, str, str]]:
        return [(c.seq, c.fact, c.prev_hash, c.hash) for c in extend(0, GENESIS_HASH, [fact()] * 5)]

    def test_an_intact_chain_walks_to_the_end(self) -> None:
        walk = ChainWalk()
        assert all(walk.check(*r) for r in self.chain())
        walk.finish(5)
        assert walk.broken is None
        assert walk.records_checked == 5

    def test_altered_missing_and_relinked_records_are_named(self) -> None:
        rows = self.chain()
        altered = ChainWalk()
        seq, _, prev, stored = rows[2]
        for r in [*rows[:2], (seq, fact("case.updated"), prev, stored)]:
            altered.check(*r)
        assert altered.broken is not None
        assert (altered.broken.seq, altered.broken.problem) == (3, Break.CONTENT_ALTERED)

        missing = ChainWalk()
        for r in [*rows[:2], *rows[3:]]:
            missing.check(*r)
        assert missing.broken is not None
        assert (missing.broken.seq, missing.broken.problem) == (3, Break.RECORD_MISSING)

        tail = ChainWalk()
        for r in rows[:4]:
            tail.check(*r)
        tail.finish(5)
        assert tail.broken is not None
        assert (tail.broken.seq, tail.broken.problem) == (5, Break.RECORD_MISSING)


class TestCheckpoints:
    def test_due_every_n_records(self) -> None:
        assert checkpoints_due(1, 999, 1000) == []
        assert checkpoints_due(998, 1001, 1000) == [1000]
        assert checkpoints_due(1000, 3000, 1000) == [1000, 2000, 3000]

    def test_a_signature_verifies_only_for_its_own_claims(self, tmp_path: Path) -> None:
        signer = ManifestSigner(tmp_path / "key.pem")
        token = signer.sign_claims(checkpoint_claims(1000, "a" * 64, AT))
        assert check_checkpoint(Checkpoint(1000, "a" * 64, AT, token), signer.verify)
        assert not check_checkpoint(Checkpoint(1000, "b" * 64, AT, token), signer.verify)
        other = ManifestSigner(tmp_path / "other.pem")
        assert not check_checkpoint(Checkpoint(1000, "a" * 64, AT, token), other.verify)


class TestPurpose:
    def test_a_named_legal_basis_or_consent_wins_over_the_action_default(self) -> None:
        basis = "§ 69 Abs. 1 Nr. 1 SGB X i. V. m. § 76 Abs. 2 Nr. 1 SGB X"
        assert purpose_of("document.released", {"legal_basis": basis}) == basis
        consent = purpose_of("document.released", {"consent_given_by": "PERSON"})
        assert consent.startswith("Einwilligung")
        assert purpose_of("handover.transferred").startswith("Übermittlung (§ 69")
        assert purpose_of("case.read") == "Aufgabenerfüllung (§ 67c Abs. 1 SGB X)"
