"""The tamper-evident audit trail on PostgreSQL: chain, verify, checkpoints, source access."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import psycopg
import pytest
from sqlalchemy import func, select, text

from handover_api.adapters.tables import AuditCheckpoint, AuditEntry, AuditPending
from handover_api.adapters.uow import HandoverUnitOfWork
from handover_api.app import audit_sealer
from handover_api.domain.audit import GENESIS_HASH, AuditFact, ChainWalk
from handover_api.state import HandoverState
from handover_api.use_cases.audit import SYSTEM, record_read, seal
from shared.db import migrations
from tests.conftest import DatabaseFactory
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness
from tests.integration.handover.test_api import (
    create_case,
    deliver_eligibility,
    start,
    transferred_handover,
    upload_required,
)


def attacker(h: HandoverHarness) -> psycopg.Connection[Any]:
    """A superuser session with ordinary triggers off (`session_replication_role = replica`).

    It stands for someone with direct database access: the append-only trigger refuses
    UPDATE and DELETE on `audit_log` to every normal session, so only such a session can
    edit or remove records, and the chain check must notice.
    """
    url = h.settings.DB.URL.replace("postgresql+psycopg://", "postgresql://")
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SET session_replication_role = replica")
    return conn


async def records(h: HandoverHarness) -> list[AuditEntry]:
    """The chain, after sealing what waits."""
    await h.seal_audit()
    async with h.app.state.runtime.sessions() as session:
        return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all())


async def verify(h: HandoverHarness, org: str = OTHER, **params: str) -> dict[str, Any]:
    response = await h.client.get(
        "/v1/audit/verify", params=params, headers=h.auth(org, ["audit:read"])
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def some_history(h: HandoverHarness) -> str:
    """A case with reads, documents listed and a handover started: a dozen records."""
    case_id = await create_case(h)
    for _ in range(3):
        assert (await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))).is_success
    documents = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(AGENCY))
    assert documents.status_code == 200, documents.text
    await start(h, case_id, trigger=False)
    await h.seal_audit()
    return case_id


class TestChain:
    """Records are chained by SHA-256 with gap-free sequence numbers; verify walks them."""

    async def test_an_untouched_chain_verifies(self, harness: HandoverHarness) -> None:
        h = harness
        await some_history(h)
        chain = await records(h)
        assert [r.seq for r in chain] == list(range(1, len(chain) + 1))
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
        result = await verify(h)  # any organisation may verify; the answer is aggregate
        assert result["verified"] is True
        assert result["first_broken"] is None
        assert result["records_checked"] == len(chain)
        assert result["last_seq"] == chain[-1].seq
        assert result["keys_url"].endswith("/v1/manifest-keys")

    async def test_an_edited_record_is_named_by_its_sequence_number(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        await some_history(h)
        with attacker(h) as conn:
            conn.execute("UPDATE audit_log SET actor_org = 'jobcenter-muenster' WHERE seq = 3")
        result = await verify(h)
        assert result["verified"] is False
        assert result["first_broken"]["seq"] == 3
        assert result["first_broken"]["problem"] == "content_altered"
        assert result["last_seq"] == 2

    async def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        await some_history(h)
        with attacker(h) as conn:
            conn.execute("UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 2")
        result = await verify(h)
        # Its own content no longer matches the stored hash: named at 2 already.
        assert result["first_broken"] == {
            "seq": 2,
            "problem": "content_altered",
            "detail": "the record's content no longer matches its hash",
        }

    async def test_a_deleted_record_is_named_as_missing_and_an_earlier_edit_comes_first(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        await some_history(h)
        with attacker(h) as conn:
            conn.execute("DELETE FROM audit_log WHERE seq = 5")
        result = await verify(h)
        assert result["first_broken"]["seq"] == 5
        assert result["first_broken"]["problem"] == "record_missing"
        with attacker(h) as conn:
            conn.execute("UPDATE audit_log SET actor_subject = 'someone-else' WHERE seq = 4")
        result = await verify(h)
        assert result["first_broken"]["seq"] == 4
        assert result["first_broken"]["problem"] == "content_altered"

    async def test_the_last_record_deleted_is_missing_against_the_head(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        await some_history(h)
        last = (await records(h))[-1].seq
        with attacker(h) as conn:
            conn.execute("DELETE FROM audit_log WHERE seq = %s", (last,))
        result = await verify(h)
        assert result["first_broken"]["seq"] == last
        assert result["first_broken"]["problem"] == "record_missing"

    async def test_the_database_refuses_update_and_delete_in_normal_operation(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        await some_history(h)
        for statement in (
            "UPDATE audit_log SET action = 'x' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "TRUNCATE audit_log",
        ):
            async with h.app.state.runtime.sessions() as session:
                with pytest.raises(Exception, match="append-only"):
                    await session.execute(text(statement))
        # A record waiting to be sealed cannot change either, and only a sealing
        # transaction removes it from the waiting table.
        case_id = (await records(h))[0].case_id
        for _ in range(2):
            read = await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))
            assert read.status_code == 200
        for statement, refusal in (
            ("UPDATE audit_pending SET action = 'x'", "cannot change"),
            ("TRUNCATE audit_pending", "cannot change"),
            ("DELETE FROM audit_pending", "only by sealing"),
        ):
            async with h.app.state.runtime.sessions() as session:
                with pytest.raises(Exception, match=refusal):
                    await session.execute(text(statement))
        assert await h.seal_audit() == 2  # both reads waited, untouched
        assert (await verify(h))["verified"] is True

    async def test_concurrent_transactions_append_without_gaps(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        answers = await asyncio.gather(
            *[h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY)) for _ in range(24)]
        )
        assert all(a.status_code == 200 for a in answers)
        chain = await records(h)
        assert [r.seq for r in chain] == list(range(1, 26))
        assert len([r for r in chain if r.action == "case.read"]) == 24
        assert (await verify(h))["verified"] is True


class TestCheckpoints:
    """Signed checkpoints (Ed25519, the manifest key) anchor the chain."""

    async def test_a_checkpoint_signs_the_head_and_verify_can_start_there(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        await some_history(h)
        made = await h.client.post("/v1/audit/checkpoints", headers=h.auth(OTHER, ["audit:read"]))
        assert made.status_code == 201, made.text
        checkpoint = made.json()
        chain = await records(h)
        assert checkpoint["seq"] == chain[-1].seq
        assert checkpoint["sha256"] == chain[-1].hash
        # The signature is an EdDSA JWS by the key published at the manifest keys URL.
        keys = (await h.client.get("/v1/manifest-keys")).json()["keys"]
        claims = jwt.decode(
            checkpoint["signature"],
            jwt.PyJWK(keys[0]).key,
            algorithms=["EdDSA"],
            options={"verify_iat": False},
        )
        assert claims["audit_seq"] == checkpoint["seq"]
        assert claims["audit_sha256"] == checkpoint["sha256"]

        await h.client.get(f"/v1/cases/{chain[0].case_id}", headers=h.auth(AGENCY))
        result = await verify(h, **{"from": "checkpoint"})
        assert result["verified"] is True
        assert result["from_seq"] == checkpoint["seq"] + 1
        assert result["records_checked"] == 1
        assert result["latest_checkpoint_seq"] == checkpoint["seq"]

    async def test_every_nth_record_gets_a_checkpoint_when_it_is_sealed(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        state: HandoverState = h.app.state.service
        cases = [uuid.uuid4() for _ in range(12)]
        for batch in (cases[:4], cases[4:11], cases[11:]):  # 4, 7 and 1 records at once
            uow = HandoverUnitOfWork(
                h.app.state.runtime.sessions, audit_signer=state.signer, audit_checkpoint_every=5
            )
            async with uow:
                await record_read(uow, SYSTEM, batch, "case.read")
                # Sealed one batch at a time, by a sealer that checkpoints every 5th record.
                assert await seal(uow) == len(batch)
        chain = await records(h)
        async with h.app.state.runtime.sessions() as session:
            made = (await session.scalars(select(AuditCheckpoint))).all()
        assert [(c.seq, c.sha256) for c in made] == [(5, chain[4].hash), (10, chain[9].hash)]
        result = await verify(h, **{"from": "checkpoint"})
        assert result["verified"] is True
        assert result["from_seq"] == 11
        assert result["records_checked"] == 2
        whole = await verify(h)
        assert (whole["records_checked"], whole["checkpoints_checked"]) == (12, 2)

    async def test_a_forged_checkpoint_signature_is_named(self, harness: HandoverHarness) -> None:
        h = harness
        await some_history(h)
        made = await h.client.post("/v1/audit/checkpoints", headers=h.auth(OTHER, ["audit:read"]))
        seq = made.json()["seq"]
        with attacker(h) as conn:
            conn.execute("UPDATE audit_checkpoints SET sha256 = repeat('b', 64)")
        result = await verify(h)
        assert result["first_broken"]["seq"] == seq
        assert result["first_broken"]["problem"] == "checkpoint_signature_invalid"


class TestRecordedReads:
    """Reads and lists are recorded with actor, purpose and the request id."""

    async def test_handover_and_document_reads_and_lists_are_recorded(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        handover = await start(h, case_id, trigger=False)
        request_id = uuid.uuid4().hex
        headers = h.auth(AGENCY) | {"X-Request-ID": request_id}
        assert (await h.client.get(f"/v1/handovers/{handover['id']}", headers=headers)).is_success
        assert (await h.client.get("/v1/handovers", headers=h.auth(AGENCY))).is_success
        docs = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(AGENCY))
        assert docs.is_success
        trail = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(AGENCY))
        items = trail.json()["items"]
        actions = [i["action"] for i in items]
        for action in ("handover.read", "handovers.listed", "documents.listed", "audit.listed"):
            assert action in actions
        read = next(i for i in items if i["action"] == "handover.read")
        assert read["request_id"] == request_id
        assert read["actor_org"] == AGENCY
        assert read["details"] == {"handover_id": handover["id"]}
        started = next(i for i in items if i["action"] == "handover.requested")
        assert "§ 69" in started["purpose"]


class TestSourceAccess:
    """After the transfer the source still reads what it disclosed, and nothing later."""

    async def test_the_source_reads_records_up_to_the_transfer_and_its_own_reads(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        handover = await transferred_handover(h)
        case_id = handover["case_id"]
        # After the transfer: the receiver reads the case; the source reads the audit.
        assert (await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(JOBCENTER))).is_success
        assert (
            await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))
        ).status_code == 404

        source_view = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(AGENCY))
        assert source_view.status_code == 200, source_view.text
        actions = [i["action"] for i in source_view.json()["items"]]
        assert "handover.transferred" in actions
        assert actions[-1] == "audit.listed"  # its own read, after the transfer
        after_transfer = actions[actions.index("handover.transferred") + 1 :]
        assert "case.read" not in after_transfer  # the receiver's read stays hidden

        owner_view = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(JOBCENTER))
        owner_actions = [i["action"] for i in owner_view.json()["items"]]
        assert "case.read" in owner_actions[owner_actions.index("handover.transferred") :]

        other = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(OTHER))
        assert other.status_code == 404

    async def test_before_a_transfer_another_organisation_gets_404(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        await upload_required(h, case_id)
        handover = await start(h, case_id, trigger=False)
        await deliver_eligibility(h, handover)
        response = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(JOBCENTER))
        assert response.status_code == 404


class TestMigration:
    """Records written before the chain existed are chained in id order by revision 0008."""

    async def test_earlier_records_are_chained_and_verify(
        self, postgres_database: DatabaseFactory
    ) -> None:
        url = postgres_database("handover")
        await asyncio.to_thread(migrations.upgrade, "handover_api", url, "0003")
        sync_url = url.replace("postgresql+psycopg://", "postgresql://")
        case_id = uuid.UUID("0b6f3f7e-2c1a-4d5e-8f90-1a2b3c4d5e6f")
        with psycopg.connect(sync_url, autocommit=True) as conn:
            for n, action in enumerate(("case.created", "case.read", "document.downloaded")):
                conn.execute(
                    "INSERT INTO audit_log (case_id, actor_org, actor_subject, action, details, at)"
                    " VALUES (%s, 'agentur-hagen', 'client-1', %s, %s::jsonb, %s)",
                    (case_id, action, json.dumps({"n": n}), datetime(2026, 3, 1, 9, n, tzinfo=UTC)),
                )
        await asyncio.to_thread(migrations.upgrade, "handover_api", url, "0008")
        with psycopg.connect(sync_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT seq, action, purpose, prev_hash, hash FROM audit_log ORDER BY id"
            ).fetchall()
            head = conn.execute("SELECT seq, hash FROM audit_chain_head").fetchone()
        assert [r[0] for r in rows] == [1, 2, 3]
        assert rows[0][3] == GENESIS_HASH
        assert [r[3] for r in rows[1:]] == [r[4] for r in rows[:2]]
        assert head == (3, rows[2][4])
        walk = ChainWalk()
        for seq, action, purpose, prev_hash, stored in rows:
            fact = AuditFact(
                case_id,
                "agentur-hagen",
                "client-1",
                action,
                purpose,
                None,
                datetime(2026, 3, 1, 9, seq - 1, tzinfo=UTC),
                {"n": seq - 1},
            )
            assert walk.check(seq, fact, prev_hash, stored)

    async def test_a_downgrade_chains_the_records_still_waiting(
        self, postgres_database: DatabaseFactory
    ) -> None:
        url = postgres_database("handover")
        await asyncio.to_thread(migrations.upgrade, "handover_api", url, "0010")
        sync_url = url.replace("postgresql+psycopg://", "postgresql://")
        case_id = uuid.UUID("5f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b")
        with psycopg.connect(sync_url, autocommit=True) as conn:
            for n in range(3):
                conn.execute(
                    "INSERT INTO audit_pending (case_id, actor_org, actor_subject, action,"
                    " purpose, request_id, details, at)"
                    " VALUES (%s, 'agentur-hagen', 'client-1', 'case.read', 'Zweck', NULL,"
                    " %s::jsonb, %s)",
                    (case_id, json.dumps({"n": n}), datetime(2026, 3, 1, 9, n, tzinfo=UTC)),
                )
        await asyncio.to_thread(migrations.downgrade, "handover_api", url, "0009")
        with psycopg.connect(sync_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT seq, details, prev_hash, hash, at FROM audit_log ORDER BY seq"
            ).fetchall()
            head = conn.execute("SELECT seq, hash FROM audit_chain_head").fetchone()
            waiting = conn.execute("SELECT to_regclass('audit_pending')").fetchone()
        assert waiting == (None,)
        assert [(r[0], r[1]) for r in rows] == [(n + 1, {"n": n}) for n in range(3)]
        assert head == (3, rows[2][3])
        walk = ChainWalk()
        for seq, details, prev_hash, stored, at in rows:
            fact = AuditFact(
                case_id, "agentur-hagen", "client-1", "case.read", "Zweck", None, at, details
            )
            assert walk.check(seq, fact, prev_hash, stored)


class TestSealer:
    """Audited transactions write unchained and lock nothing; the sealer chains in id order."""

    async def test_records_wait_unchained_until_the_workers_sealer_runs(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        for _ in range(3):
            assert (await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))).is_success
        async with h.app.state.runtime.sessions() as session:
            waiting = (
                await session.scalars(select(AuditPending.action).order_by(AuditPending.id))
            ).all()
            chained = await session.scalar(select(func.count()).select_from(AuditEntry))
        assert (list(waiting), chained) == (["case.created"] + ["case.read"] * 3, 0)

        job = audit_sealer(h.settings)(h.app.state.runtime)
        assert job.lock is not None
        try:
            assert await job.run_once() == 4
            assert await job.run_once() == 0
        finally:
            await job.lock.release()
        chain = await records(h)
        assert [(r.seq, r.action) for r in chain] == [(1, "case.created")] + [
            (n, "case.read") for n in (2, 3, 4)
        ]
        assert (await verify(h))["verified"] is True

    async def test_a_reader_of_the_trail_sees_every_record_committed_before_it(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        assert (await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))).is_success
        trail = await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(AGENCY))
        assert [i["action"] for i in trail.json()["items"]] == [
            "case.created",
            "case.read",
            "audit.listed",
        ]
        assert [i["seq"] for i in trail.json()["items"]] == [1, 2, 3]

    async def test_concurrent_sealers_chain_each_record_once(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        state: HandoverState = h.app.state.service
        async with state.make_uow() as uow:
            await record_read(uow, SYSTEM, [uuid.uuid4() for _ in range(40)], "case.read")

        async def one_batch() -> int:
            async with state.make_uow() as uow:
                count = await uow.audit.seal(7)
                await uow.commit()
                return count

        counts = await asyncio.gather(*[one_batch() for _ in range(8)])
        assert sorted(counts) == [0, 0, 5, 7, 7, 7, 7, 7]
        chain = await records(h)
        assert [r.seq for r in chain] == list(range(1, 41))
        assert len({r.case_id for r in chain}) == 40
        assert (await verify(h))["verified"] is True
