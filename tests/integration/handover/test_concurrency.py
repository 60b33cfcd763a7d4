"""handover_api under concurrent requests on PostgreSQL: one effect per key, no stuck handover."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select, text

from handover_api.adapters.tables import AuditEntry, Case, Document, Handover
from handover_api.api.schemas import CASE_EXAMPLE, CaseCreate
from shared.db.tables import IDEMPOTENCY, OUTBOX
from shared.idempotency import IdempotencyRequest, claim, record
from tests.integration.handover.conftest import AGENCY, JOBCENTER, HandoverHarness
from tests.integration.handover.test_api import (
    PDF,
    create_case,
    deliver_eligibility,
    start,
    upload,
    upload_required,
)

REQUESTS = 100
CONCURRENCY = 10
ROUNDS = 30


async def send_concurrently(
    send: Callable[[], Awaitable[httpx.Response]], total: int = REQUESTS
) -> list[httpx.Response]:
    """`total` requests, `CONCURRENCY` at a time, each wave started together."""
    answers: list[httpx.Response] = []
    for _ in range(total // CONCURRENCY):
        answers += await asyncio.gather(*(send() for _ in range(CONCURRENCY)))
    return answers


def assert_one_answer(answers: list[httpx.Response]) -> dict[str, Any]:
    """Every answer is the first 201, replayed, or a 409 while it was in flight; never a 5xx."""
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = [a for a in answers if a.status_code == 201]
    first = [a for a in created if "idempotent-replayed" not in a.headers]
    assert len(first) == 1, statuses
    body: dict[str, Any] = first[0].json()
    for answer in created:
        assert answer.json() == body
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["type"].endswith("idempotency-key-in-progress")
    return body


async def count(h: HandoverHarness, stmt: Any) -> int:
    async with h.app.state.runtime.sessions() as session:
        value = await session.scalar(stmt)
    assert isinstance(value, int)
    return value


async def outbox_count(h: HandoverHarness, topic: str, key: str | None = None) -> int:
    stmt = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.topic == topic)
    if key is not None:
        stmt = stmt.where(OUTBOX.c.key == key)
    return await count(h, stmt)


class TestOneIdempotencyKeyManyConcurrentRequests:
    """100 requests with one key, 10 at a time: one effect, one answer."""

    async def test_case_creation_happens_once(self, harness: HandoverHarness) -> None:
        h = harness
        headers = {**h.auth(AGENCY), "Idempotency-Key": f"case-{uuid.uuid4()}"}

        answers = await send_concurrently(
            lambda: h.client.post("/v1/cases", json=CASE_EXAMPLE, headers=headers)
        )

        body = assert_one_answer(answers)
        assert await count(h, select(func.count()).select_from(Case)) == 1
        assert await outbox_count(h, "case.registered", body["id"]) == 1
        assert await outbox_count(h, "case.registered") == 1
        stored = await count(h, select(func.count()).select_from(IDEMPOTENCY))
        assert stored == 1

    async def test_document_upload_happens_once(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        headers = {**h.auth(AGENCY), "Idempotency-Key": "upload-under-load"}

        async def send() -> httpx.Response:
            return await h.client.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": ("cv.pdf", PDF, "application/pdf")},
                data={"type": "CV_CERTIFICATES"},
                headers=headers,
            )

        body = assert_one_answer(await send_concurrently(send))
        assert body["case_id"] == case_id
        assert await count(h, select(func.count()).select_from(Document)) == 1
        await h.seal_audit()
        uploads = select(func.count()).where(AuditEntry.action == "document.uploaded")
        assert await count(h, uploads) == 1

    async def test_handover_start_happens_once(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        headers = {**h.auth(AGENCY), "Idempotency-Key": "start-under-load"}
        request = {"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER}

        answers = await send_concurrently(
            lambda: h.client.post(f"/v1/cases/{case_id}/handovers", json=request, headers=headers),
            total=30,
        )

        body = assert_one_answer(answers)
        assert body["case_id"] == case_id
        assert await count(h, select(func.count()).select_from(Handover)) == 1
        assert await outbox_count(h, "handover.requested") == 1

    async def test_another_body_under_a_used_key_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        headers = {**h.auth(AGENCY), "Idempotency-Key": "reused"}
        other = {**CASE_EXAMPLE, "municipality": "Gevelsberg"}

        answers = await asyncio.gather(
            *(
                h.client.post("/v1/cases", json=CASE_EXAMPLE if n % 2 else other, headers=headers)
                for n in range(CONCURRENCY)
            )
        )

        statuses = Counter(a.status_code for a in answers)
        assert set(statuses) <= {201, 409, 422}, statuses
        assert statuses[422] >= 1, "the losing body is refused"
        assert await count(h, select(func.count()).select_from(Case)) == 1


class TestRequestStillInFlight:
    """A repeat waits briefly for the request holding its key, then answers from its outcome."""

    async def test_a_holder_that_outlasts_the_wait_gives_409_then_the_key_is_free(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        content, idem = self._request(h, "held-too-long")
        async with h.app.state.runtime.sessions() as holder:
            await claim(holder, idem)
            started = time.monotonic()
            busy = await self._post(h, content, "held-too-long")
            waited = time.monotonic() - started
            await holder.rollback()

        assert busy.status_code == 409, busy.text
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["type"].endswith("idempotency-key-in-progress")
        assert 1.5 < waited < 10, waited
        retried = await self._post(h, content, "held-too-long")
        assert retried.status_code == 201, retried.text
        assert "idempotent-replayed" not in retried.headers
        assert await count(h, select(func.count()).select_from(Case)) == 1

    async def test_a_repeat_waiting_on_the_holder_replays_its_response(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        content, idem = self._request(h, "held-briefly")
        async with h.app.state.runtime.sessions() as holder:
            await claim(holder, idem)
            waiting = asyncio.create_task(self._post(h, content, "held-briefly"))
            await self._until_a_backend_waits_for_a_lock(h)
            await record(holder, idem, 201, '{"id":"first"}', {"Location": "/v1/cases/first"})
            await holder.commit()
            repeat = await waiting

        assert repeat.status_code == 201, repeat.text
        assert repeat.json() == {"id": "first"}
        assert repeat.headers["idempotent-replayed"] == "true"
        assert repeat.headers["location"] == "/v1/cases/first"
        assert await count(h, select(func.count()).select_from(Case)) == 0

    @staticmethod
    def _request(h: HandoverHarness, key: str) -> tuple[bytes, IdempotencyRequest]:
        content = httpx.Request("POST", "/", json=CASE_EXAMPLE).content
        body = CaseCreate.model_validate_json(content)
        idem = IdempotencyRequest.for_body(AGENCY, key, "create_case", body)
        assert idem is not None
        return content, idem

    @staticmethod
    async def _post(h: HandoverHarness, content: bytes, key: str) -> httpx.Response:
        headers = {
            **h.auth(AGENCY),
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        return await h.client.post("/v1/cases", content=content, headers=headers)

    @staticmethod
    async def _until_a_backend_waits_for_a_lock(h: HandoverHarness) -> None:
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        deadline = time.monotonic() + 5
        async with h.app.state.runtime.sessions() as session:
            while time.monotonic() < deadline:
                if await session.scalar(waiting):
                    return
                await session.rollback()
                await asyncio.sleep(0.02)
        raise AssertionError("the repeat never waited for the key")


class TestHandoverNeverWaitsForNothing:
    """Inputs of a handover arriving together: whichever comes last transfers it, once."""

    async def test_upload_racing_the_eligibility_answer_transfers_once(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        last = "CV_CERTIFICATES"
        handovers: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            case_id = await create_case(h)
            await upload_required(h, case_id, skip={last})
            handover = await start(h, case_id)
            assert handover["blocking"] == ["eligibility-pending", "documents-missing"]

            uploaded, _ = await asyncio.gather(
                upload(h, case_id, last, PDF + b"last"), deliver_eligibility(h, handover)
            )

            assert uploaded.status_code == 201, uploaded.text
            handovers.append(handover)
        await assert_transferred_once(h, handovers)

    async def test_every_input_at_once_transfers_once(self, harness: HandoverHarness) -> None:
        h = harness
        last = "CV_CERTIFICATES"
        handovers: list[dict[str, Any]] = []
        for _ in range(ROUNDS):
            case_id = await create_case(h)
            await upload_required(h, case_id, skip={last})
            handover = await start(h, case_id, trigger=False)
            path = f"/v1/handovers/{handover['id']}"

            uploaded, _, triggered, waived = await asyncio.gather(
                upload(h, case_id, last, PDF + b"last"),
                deliver_eligibility(h, handover),
                h.client.post(
                    f"{path}/trigger",
                    json={"type": "ALG1_ENDED", "occurred_on": "2026-04-30"},
                    headers=h.auth(AGENCY),
                ),
                h.client.post(
                    f"{path}/waivers",
                    json={"document_type": "INFO_SESSION_ATTENDANCE", "reason": "not held"},
                    headers=h.auth(AGENCY),
                ),
            )

            assert uploaded.status_code == 201, uploaded.text
            assert triggered.status_code == 200, triggered.text
            # A waiver after the transfer is refused by the lifecycle, never by a deadlock.
            assert waived.status_code in (200, 409), waived.text
            if waived.status_code == 409:
                assert waived.json()["type"].endswith("transition-not-allowed")
            handovers.append(handover)
        await assert_transferred_once(h, handovers)


async def assert_transferred_once(h: HandoverHarness, handovers: list[dict[str, Any]]) -> None:
    """Each handover is transferred, nothing blocks it, and it announced that exactly once."""
    for handover in handovers:
        read = await h.client.get(f"/v1/handovers/{handover['id']}", headers=h.auth(AGENCY))
        state = read.json()
        assert (state["status"], state["blocking"]) == ("transferred", []), state
        assert await outbox_count(h, "case.transferred", handover["case_id"]) == 1
    assert await outbox_count(h, "case.transferred") == len(handovers)
