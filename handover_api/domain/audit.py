"""The tamper-evident audit trail: canonical form, SHA-256 chain, checkpoints and their check.

Every audit record has a gap-free sequence number and a hash over its canonical content
(sorted-key JSON of its fields, the previous record's hash included), so changing, removing
or reordering a record breaks the chain at that record. A checkpoint is a signed statement
"the chain up to `seq` ends in `sha256`"; a verifier who trusts the broker's public key can
start from it instead of from the first record. Pure: no I/O, no framework.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64
CHECKPOINT_EVERY = 1000

# The purpose or legal basis of an action, when the caller names none (§ 67c, § 69 SGB X).
TASK = "Aufgabenerfüllung (§ 67c Abs. 1 SGB X)"
TRANSFER = "Übermittlung (§ 69 Abs. 1 Nr. 1 SGB X, § 50 SGB II)"
ACCESS = "Auskunft an die betroffene Person (Art. 15 DSGVO, § 83 SGB X)"
PURPOSES: Mapping[str, str] = {
    "handover.requested": "Ankündigung der Übergabe (§ 69 Abs. 1 Nr. 1 SGB X)",
    "handover.transferred": TRANSFER,
    "handover.document_waived": TRANSFER,
    "document.released": TRANSFER,
    "disclosures.listed": ACCESS,
    "disclosures.letter_rendered": ACCESS,
    "audit.listed": "Datenschutzkontrolle (§ 67c Abs. 3 SGB X)",
}


CONSENT = "Einwilligung der betroffenen Person (Art. 9 Abs. 2 lit. a DSGVO, § 67b SGB X)"


def purpose_of(action: str, details: Mapping[str, Any] | None = None) -> str:
    """The purpose or legal basis recorded with `action`.

    A legal basis or a consent the action names itself (a release) wins over the default.
    """
    details = details or {}
    named = details.get("legal_basis")
    if isinstance(named, str) and named:
        return named[:200]
    if "consent_given_by" in details:
        return CONSENT
    return PURPOSES.get(action, TASK)


@dataclass(frozen=True)
class AuditFact:
    """What happened, before it has a place in the chain."""

    case_id: uuid.UUID
    actor_org: str
    actor_subject: str
    action: str
    purpose: str
    request_id: str | None
    at: datetime
    details: Mapping[str, Any]


@dataclass(frozen=True)
class ChainedRecord:
    """An audit record with its place in the chain."""

    seq: int
    fact: AuditFact
    prev_hash: str
    hash: str


def canonical(seq: int, fact: AuditFact, prev_hash: str) -> bytes:
    """The bytes a record's hash covers: sorted-key JSON of every field, UTF-8."""
    content = {
        "seq": seq,
        "case_id": str(fact.case_id),
        "actor_org": fact.actor_org,
        "actor_subject": fact.actor_subject,
        "action": fact.action,
        "purpose": fact.purpose,
        "request_id": fact.request_id,
        "at": fact.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "details": dict(fact.details),
        "prev_hash": prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(seq: int, fact: AuditFact, prev_hash: str) -> str:
    """SHA-256 of the record's canonical content, hex."""
    return hashlib.sha256(canonical(seq, fact, prev_hash)).hexdigest()


def extend(last_seq: int, last_hash: str, facts: Iterable[AuditFact]) -> list[ChainedRecord]:
    """Chain `facts` after the record `last_seq` whose hash is `last_hash`."""
    chained: list[ChainedRecord] = []
    seq, prev = last_seq, last_hash
    for fact in facts:
        seq += 1
        digest = record_hash(seq, fact, prev)
        chained.append(ChainedRecord(seq, fact, prev, digest))
        prev = digest
    return chained


def checkpoints_due(first_seq: int, last_seq: int, every: int) -> list[int]:
    """The sequence numbers in `first_seq..last_seq` that end a block of `every` records."""
    if every <= 0:
        return []
    start = -(-first_seq // every) * every
    return list(range(start, last_seq + 1, every))


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain up to `seq` ends in `sha256`."""

    seq: int
    sha256: str
    created_at: datetime
    signature: str


def checkpoint_claims(seq: int, sha256: str, created_at: datetime) -> dict[str, Any]:
    """What a checkpoint signature covers."""
    return {"audit_seq": seq, "audit_sha256": sha256, "created_at": created_at.isoformat()}


class Break(StrEnum):
    """What is wrong at the first broken link."""

    CONTENT_ALTERED = "content_altered"
    RECORD_MISSING = "record_missing"
    LINK_BROKEN = "link_broken"
    CHECKPOINT_SIGNATURE_INVALID = "checkpoint_signature_invalid"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"


BREAK_TEXTS: Mapping[Break, str] = {
    Break.CONTENT_ALTERED: "the record's content no longer matches its hash",
    Break.RECORD_MISSING: "the record with this sequence number is missing",
    Break.LINK_BROKEN: "the record does not name the hash of the record before it",
    Break.CHECKPOINT_SIGNATURE_INVALID: "the checkpoint's signature does not verify",
    Break.CHECKPOINT_MISMATCH: "the signed checkpoint names another hash than the chain has",
}


@dataclass(frozen=True)
class BrokenLink:
    """The first place where the chain does not hold."""

    seq: int
    problem: Break

    @property
    def detail(self) -> str:
        """What the problem means, in words."""
        return BREAK_TEXTS[self.problem]


@dataclass
class ChainWalk:
    """Checks records in sequence order, one at a time; remembers the first broken link."""

    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    records_checked: int = 0
    broken: BrokenLink | None = None

    def check(self, seq: int, fact: AuditFact, prev_hash: str, stored_hash: str) -> bool:
        """Check the next stored record; False once the chain is broken."""
        if self.broken is not None:
            return False
        if seq != self.last_seq + 1:
            self.broken = BrokenLink(self.last_seq + 1, Break.RECORD_MISSING)
            return False
        if record_hash(seq, fact, prev_hash) != stored_hash:
            self.broken = BrokenLink(seq, Break.CONTENT_ALTERED)
            return False
        if prev_hash != self.last_hash:
            self.broken = BrokenLink(seq, Break.LINK_BROKEN)
            return False
        self.last_seq, self.last_hash = seq, stored_hash
        self.records_checked += 1
        return True

    def finish(self, head_seq: int) -> None:
        """The chain must reach the sequence number its head names."""
        if self.broken is None and head_seq > self.last_seq:
            self.broken = BrokenLink(self.last_seq + 1, Break.RECORD_MISSING)


def check_checkpoint(
    checkpoint: Checkpoint,
    verify_signature: Callable[[str], Mapping[str, Any] | None],
) -> bool:
    """Whether the signature verifies and covers exactly this checkpoint's claims."""
    claims = verify_signature(checkpoint.signature)
    if claims is None:
        return False
    expected = checkpoint_claims(checkpoint.seq, checkpoint.sha256, checkpoint.created_at)
    return all(claims.get(k) == v for k, v in expected.items())
