"""handover_api over HTTP on a real database: lifecycle, isolation, auth, HTTP conventions."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

import httpx
import jwt
import pytest

from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.consumers import consumer_groups
from handover_api.domain.documents import REQUIRED_DOCUMENTS, HandoverReason
from handover_api.domain.manifest import manifest_digest
from handover_api.state import HandoverState
from shared.events.eligibility import EligibilityDeterminedV1, KeyDatesV1
from shared.events.envelope import Envelope, make_event
from shared.events.handover import CaseTransferredV1
from shared.events.registry import decode
from tests.integration.handover.conftest import AGENCY, JOBCENTER, OTHER, HandoverHarness

PDF = b"%PDF-1.7\n" + b"x" * 100


async def create_case(h: HandoverHarness, body: dict[str, Any] | None = None) -> str:
    response = await h.client.post("/v1/cases", json=body or CASE_EXAMPLE, headers=h.auth(AGENCY))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


async def upload(
    h: HandoverHarness, case_id: str, doc_type: str, content: bytes = PDF
) -> httpx.Response:
    return await h.client.post(
        f"/v1/cases/{case_id}/documents",
        files={"file": (f"{doc_type.lower()}.pdf", content, "application/pdf")},
        data={"type": doc_type},
        headers=h.auth(AGENCY),
    )


async def upload_required(h: HandoverHarness, case_id: str, skip: Collection[str] = ()) -> None:
    for doc_type in sorted(REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED]):
        if doc_type.value in skip:
            continue
        response = await upload(h, case_id, doc_type.value, PDF + doc_type.value.encode())
        assert response.status_code == 201, response.text


async def start(h: HandoverHarness, case_id: str, trigger: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER}
    if trigger:
        body["trigger"] = {"type": "SGB2_APPLICATION_FILED", "occurred_on": "2026-04-02"}
    response = await h.client.post(
        f"/v1/cases/{case_id}/handovers", json=body, headers=h.auth(AGENCY)
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def deliver_eligibility(
    h: HandoverHarness, handover: dict[str, Any], legal_domain: str = "SGB_II"
) -> None:
    """Apply an `eligibility.determined` through the service's own consumer handler."""
    event = make_event(
        EligibilityDeterminedV1(
            case_id=uuid.UUID(handover["case_id"]),
            handover_id=uuid.UUID(handover["id"]),
            check_id=uuid.uuid4(),
            as_of=date(2026, 5, 1),
            legal_domain=legal_domain,
            responsible_org_type="JOBCENTER",
            key_dates=KeyDatesV1(alg1_end_date=date(2026, 4, 30)),
            rules_version="test",
            determined_at=datetime.now(UTC),
        ),
        source="/eligibility_api",
        subject=handover["case_id"],
    )
    state: HandoverState = h.app.state.service
    handler = consumer_groups(state.transfer)["handover_api"]["eligibility.determined"]
    uow = state.make_uow()
    async with uow:
        await handler(event, uow)
        await uow.commit()


async def transferred_handover(h: HandoverHarness) -> dict[str, Any]:
    """A handover that went all the way to `transferred`."""
    case_id = await create_case(h)
    await upload_required(h, case_id)
    handover = await start(h, case_id)
    await deliver_eligibility(h, handover)
    return handover


async def handover_of(h: HandoverHarness, handover_id: str, org: str) -> httpx.Response:
    return await h.client.get(f"/v1/handovers/{handover_id}", headers=h.auth(org))


class TestAutomaticTransfer:
    """The handover transfers by itself once trigger, eligibility and documents hold."""

    async def test_last_condition_transfers_and_publishes_a_verifiable_manifest(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        await upload_required(h, case_id)
        handover = await start(h, case_id)
        assert handover["status"] == "preparing" or handover["status"] == "awaiting_documents"
        assert handover["blocking"] == ["eligibility-pending"]

        await deliver_eligibility(h, handover)

        read = (await handover_of(h, handover["id"], AGENCY)).json()
        assert read["status"] == "transferred"
        assert read["fhir_status"] == "requested"
        await h.drain_outbox()
        transferred = [decode(r.value) for r in h.publisher.on_topic("case.transferred")]
        assert len(transferred) == 1
        event: Envelope[CaseTransferredV1] = transferred[0]
        data = event.data
        assert event.subject == case_id
        assert (data.from_org, data.to_org) == (AGENCY, JOBCENTER)
        assert (data.legal_domain_from, data.legal_domain_to) == ("SGB_III", "SGB_II")
        assert {d.type for d in data.documents} == {
            t.value for t in REQUIRED_DOCUMENTS[HandoverReason.ALG1_EXHAUSTED]
        }
        assert data.integration_plan is not None
        assert data.integration_plan.measures[0].type == "BILDUNGSGUTSCHEIN"

        keys = (await h.client.get("/v1/manifest-keys")).json()
        key = jwt.PyJWKSet.from_dict(keys).keys[0].key
        claims = jwt.decode(data.manifest_signature, key, algorithms=["EdDSA"])
        expected = manifest_digest(
            handover_id=str(data.handover_id),
            case_id=str(data.case_id),
            from_org=data.from_org,
            to_org=data.to_org,
            documents=[d.model_dump(mode="json") for d in data.documents],
            integration_plan=data.integration_plan.model_dump(mode="json"),
        )
        assert claims["manifest_sha256"] == expected

        # The receiver reads the case and downloads every document with its own token.
        case = await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(JOBCENTER))
        assert case.status_code == 200
        assert case.json()["owner_org"] == JOBCENTER
        for doc in data.documents:
            url = doc.url.split("//", 1)[1].split("/", 1)[1]
            content = await h.client.get("/" + url, headers=h.auth(JOBCENTER))
            assert content.status_code == 200
            assert hashlib.sha256(content.content).hexdigest() == doc.sha256

        # The source keeps read access to the handover, not to the case.
        assert (
            await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))
        ).status_code == 404
        assert (await handover_of(h, handover["id"], AGENCY)).status_code == 200
        # A third organisation sees nothing.
        for path in (
            f"/v1/cases/{case_id}",
            f"/v1/cases/{case_id}/documents",
            f"/v1/handovers/{handover['id']}",
            f"/v1/documents/{data.documents[0].document_id}/content",
            f"/v1/cases/{case_id}/audit",
        ):
            response = await h.client.get(path, headers=h.auth(OTHER))
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"

    async def test_last_document_upload_completes_the_transfer(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        await upload_required(h, case_id, skip={"CV_CERTIFICATES"})
        handover = await start(h, case_id)
        await deliver_eligibility(h, handover)
        waiting = (await handover_of(h, handover["id"], AGENCY)).json()
        assert waiting["status"] == "awaiting_documents"
        assert waiting["fhir_status"] == "on-hold"
        assert waiting["missing_documents"] == ["CV_CERTIFICATES"]
        assert (await handover_of(h, handover["id"], JOBCENTER)).status_code == 404, (
            "nothing is released to the receiver before the transfer"
        )

        assert (await upload(h, case_id, "CV_CERTIFICATES")).status_code == 201

        assert (await handover_of(h, handover["id"], JOBCENTER)).json()["status"] == "transferred"

    async def test_waiver_counts_as_present(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        await upload_required(h, case_id, skip={"INFO_SESSION_ATTENDANCE"})
        handover = await start(h, case_id)
        await deliver_eligibility(h, handover)
        response = await h.client.post(
            f"/v1/handovers/{handover['id']}/waivers",
            json={"document_type": "INFO_SESSION_ATTENDANCE", "reason": "did not attend"},
            headers=h.auth(AGENCY),
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "transferred"

    async def test_trigger_is_needed_before_release(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        await upload_required(h, case_id)
        handover = await start(h, case_id, trigger=False)
        await deliver_eligibility(h, handover)
        read = (await handover_of(h, handover["id"], AGENCY)).json()
        assert read["status"] == "preparing"
        assert read["blocking"] == ["trigger-missing"]
        response = await h.client.post(
            f"/v1/handovers/{handover['id']}/trigger",
            json={"type": "ALG1_ENDED", "occurred_on": "2026-04-30"},
            headers=h.auth(AGENCY),
        )
        assert response.json()["status"] == "transferred"

    async def test_eligibility_denial_makes_the_handover_ineligible(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        handover = await start(h, case_id)
        await deliver_eligibility(h, handover, legal_domain="SGB_III")
        read = (await handover_of(h, handover["id"], AGENCY)).json()
        assert read["status"] == "ineligible"
        # An ineligible handover no longer blocks a new one.
        await start(h, case_id)


class TestReceiverDecisions:
    """Accept, complete, reject and cancel follow the transition table."""

    async def test_accept_then_complete_ends_source_access(self, harness: HandoverHarness) -> None:
        h = harness
        handover = await transferred_handover(h)
        path = f"/v1/handovers/{handover['id']}"
        assert (await h.client.post(path + "/accept", headers=h.auth(AGENCY))).status_code == 409
        accepted = await h.client.post(path + "/accept", headers=h.auth(JOBCENTER))
        assert accepted.json()["status"] == "accepted"
        done = await h.client.post(path + "/complete", headers=h.auth(JOBCENTER))
        assert done.json()["status"] == "completed"
        assert (await handover_of(h, handover["id"], AGENCY)).status_code == 404
        await h.drain_outbox()
        assert len(h.publisher.on_topic("handover.accepted")) == 1

    async def test_reject_returns_the_case_to_the_source(self, harness: HandoverHarness) -> None:
        h = harness
        handover = await transferred_handover(h)
        response = await h.client.post(
            f"/v1/handovers/{handover['id']}/reject",
            json={"reason_code": "WRONG_LOCAL_JOBCENTER"},
            headers=h.auth(JOBCENTER),
        )
        assert response.json()["status"] == "rejected"
        case = await h.client.get(f"/v1/cases/{handover['case_id']}", headers=h.auth(AGENCY))
        assert case.json()["owner_org"] == AGENCY
        await h.drain_outbox()
        [event] = [decode(r.value) for r in h.publisher.on_topic("handover.rejected")]
        assert event.data.reason_code == "WRONG_LOCAL_JOBCENTER"

    async def test_cancel_before_transfer_and_not_after(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        handover = await start(h, case_id)
        cancelled = await h.client.post(
            f"/v1/handovers/{handover['id']}/cancel",
            json={"reason_code": "JOB_FOUND"},
            headers=h.auth(AGENCY),
        )
        assert cancelled.json()["status"] == "cancelled"
        transferred = await transferred_handover(h)
        late = await h.client.post(
            f"/v1/handovers/{transferred['id']}/cancel",
            json={"reason_code": "JOB_FOUND"},
            headers=h.auth(AGENCY),
        )
        assert late.status_code == 409
        assert late.json()["type"].endswith("handover-already-transferred")

    async def test_one_active_handover_per_case(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        await start(h, case_id)
        again = await h.client.post(
            f"/v1/cases/{case_id}/handovers",
            json={"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER},
            headers=h.auth(AGENCY),
        )
        assert again.status_code == 409
        assert again.json()["type"].endswith("active-handover-exists")

    async def test_list_shows_what_blocks_each_handover(self, harness: HandoverHarness) -> None:
        h = harness
        complete_case = await create_case(h)
        await upload_required(h, complete_case)
        sparse_case = await create_case(h)
        await upload_required(h, sparse_case, skip={"CV_CERTIFICATES", "FOERDERPLAN"})
        first = await start(h, complete_case)
        second = await start(h, sparse_case)
        listed = await h.client.get(
            "/v1/handovers", params={"direction": "outgoing"}, headers=h.auth(AGENCY)
        )
        by_id = {x["id"]: x for x in listed.json()["items"]}
        assert by_id[first["id"]]["missing_documents"] == []
        assert by_id[first["id"]]["blocking"] == ["eligibility-pending"]
        assert by_id[second["id"]]["missing_documents"] == ["CV_CERTIFICATES", "FOERDERPLAN"]
        assert by_id[second["id"]]["blocking"] == ["eligibility-pending", "documents-missing"]

    async def test_incoming_and_outgoing_lists(self, harness: HandoverHarness) -> None:
        h = harness
        handover = await transferred_handover(h)
        incoming = await h.client.get(
            "/v1/handovers", params={"direction": "incoming"}, headers=h.auth(JOBCENTER)
        )
        assert [x["id"] for x in incoming.json()["items"]] == [handover["id"]]
        outgoing = await h.client.get(
            "/v1/handovers",
            params={"direction": "outgoing", "status": "transferred"},
            headers=h.auth(AGENCY),
        )
        assert [x["id"] for x in outgoing.json()["items"]] == [handover["id"]]
        assert (await h.client.get("/v1/handovers", headers=h.auth(OTHER))).json()["items"] == []


class TestAuthentication:
    """Tokens that are not exactly right answer 401; a missing scope answers 403."""

    def _token(self, h: HandoverHarness, **overrides: Any) -> str:
        return h.issuer.token(AGENCY, **overrides)

    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(lambda h: None, id="no-token"),
            pytest.param(
                lambda h: h.issuer.token(AGENCY, audience="someone-else"), id="wrong-audience"
            ),
            pytest.param(lambda h: h.issuer.token(AGENCY, ttl_seconds=-120), id="expired"),
            pytest.param(
                lambda h: jwt.encode(
                    {
                        "iss": h.issuer.issuer,
                        "aud": h.issuer.audience,
                        "sub": "x",
                        "org": AGENCY,
                        "scope": "cases:read",
                        "exp": int(time.time()) + 60,
                    },
                    key="",
                    algorithm="none",
                    headers={"kid": "whatever"},
                ),
                id="alg-none",
            ),
            pytest.param(lambda h: _foreign_token(), id="unknown-key"),
            pytest.param(lambda h: "not-a-jwt", id="garbage"),
        ],
    )
    async def test_bad_tokens_answer_401(self, harness: HandoverHarness, make: Any) -> None:
        token = make(harness)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await harness.client.get(f"/v1/cases/{uuid.uuid4()}", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_missing_scope_answers_403(self, harness: HandoverHarness) -> None:
        response = await harness.client.post(
            "/v1/cases", json=CASE_EXAMPLE, headers=harness.auth(AGENCY, ["cases:read"])
        )
        assert response.status_code == 403


def _foreign_token() -> str:
    import tempfile
    from pathlib import Path

    from services.issuer import DevIssuer

    with tempfile.TemporaryDirectory() as tmp:
        return DevIssuer(Path(tmp)).token(AGENCY)


class TestHttpConventions:
    """Idempotency keys, ETags, problem details, size and media-type limits, audit."""

    async def test_idempotency_key_replays_and_refuses_other_bodies(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        headers = {**h.auth(AGENCY), "Idempotency-Key": "create-1"}
        first = await h.client.post("/v1/cases", json=CASE_EXAMPLE, headers=headers)
        second = await h.client.post("/v1/cases", json=CASE_EXAMPLE, headers=headers)
        assert first.status_code == second.status_code == 201
        assert first.json()["id"] == second.json()["id"]
        assert second.headers["idempotent-replayed"] == "true"
        other = await h.client.post(
            "/v1/cases", json={**CASE_EXAMPLE, "municipality": "Gevelsberg"}, headers=headers
        )
        assert other.status_code == 422
        assert other.json()["type"].endswith("idempotency-key-reused")
        await h.drain_outbox()
        assert len(h.publisher.on_topic("case.registered")) == 1

    async def test_upload_with_idempotency_key_stores_one_document(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        headers = {**h.auth(AGENCY), "Idempotency-Key": "upload-1"}

        async def send(content: bytes) -> httpx.Response:
            return await h.client.post(
                f"/v1/cases/{case_id}/documents",
                files={"file": ("cv.pdf", content, "application/pdf")},
                data={"type": "CV_CERTIFICATES"},
                headers=headers,
            )

        first, again = await send(PDF), await send(PDF)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert (await send(PDF + b"other")).status_code == 422
        listed = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(AGENCY))
        assert len(listed.json()["items"]) == 1

    async def test_patch_needs_a_current_etag(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        path = f"/v1/cases/{case_id}"
        change = {"facts": {"birth_date": "1971-01-15", "erwerbsfaehig": False}}
        assert (await h.client.patch(path, json=change, headers=h.auth(AGENCY))).status_code == 428
        stale = {**h.auth(AGENCY), "If-Match": '"99"'}
        assert (await h.client.patch(path, json=change, headers=stale)).status_code == 412
        etag = (await h.client.get(path, headers=h.auth(AGENCY))).headers["etag"]
        ok = await h.client.patch(path, json=change, headers={**h.auth(AGENCY), "If-Match": etag})
        assert ok.status_code == 200
        assert ok.headers["etag"] != etag
        await h.drain_outbox()
        [updated] = [decode(r.value) for r in h.publisher.on_topic("case.updated")]
        assert updated.data.facts.erwerbsfaehig is False
        assert "Erika" not in updated.model_dump_json(), "no personal data in events"

    async def test_reads_answer_304_while_if_none_match_is_current(
        self, harness: HandoverHarness
    ) -> None:
        """RFC 9110 §13.1.2: If-None-Match compares weakly; a change makes the read 200."""
        h = harness
        case_id = await create_case(h)
        handover = await start(h, case_id)
        for path in (f"/v1/cases/{case_id}", f"/v1/handovers/{handover['id']}"):
            first = await h.client.get(path, headers=h.auth(AGENCY))
            etag = first.headers["etag"]
            for held in (etag, f"W/{etag}", f'"0", {etag}'):
                again = await h.client.get(path, headers={**h.auth(AGENCY), "If-None-Match": held})
                assert (again.status_code, again.headers["etag"]) == (304, etag), (path, held)
                assert again.content == b""
            stale = await h.client.get(path, headers={**h.auth(AGENCY), "If-None-Match": '"0"'})
            assert stale.status_code == 200
            assert stale.json() == first.json()
        # After a change the held ETag is stale: the read answers the new version.
        path = f"/v1/cases/{case_id}"
        etag = (await h.client.get(path, headers=h.auth(AGENCY))).headers["etag"]
        changed = await h.client.patch(
            path, json={"municipality": "Gevelsberg"}, headers={**h.auth(AGENCY), "If-Match": etag}
        )
        assert changed.status_code == 200
        fresh = await h.client.get(path, headers={**h.auth(AGENCY), "If-None-Match": etag})
        assert fresh.status_code == 200
        assert fresh.json()["municipality"] == "Gevelsberg"
        # Another organisation learns nothing from a 304: it gets 404 as always.
        other = await h.client.get(path, headers={**h.auth(JOBCENTER), "If-None-Match": etag})
        assert other.status_code == 404

    async def test_unknown_fields_are_validation_problems(self, harness: HandoverHarness) -> None:
        body = {**CASE_EXAMPLE, "facts": {"alg1": {"claim_start_date": "2025-01-01", "x": 1}}}
        response = await harness.client.post("/v1/cases", json=body, headers=harness.auth(AGENCY))
        assert response.status_code == 422
        problem = response.json()
        assert problem["type"].endswith("validation-error")
        assert "alg1.x" in problem["errors"][0]["msg"]
        typo = {**CASE_EXAMPLE, "facts": {"residence_status": "AUFENTHALTSGESTATUNG"}}
        response = await harness.client.post("/v1/cases", json=typo, headers=harness.auth(AGENCY))
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][-1] == "residence_status"

    async def test_upload_limits(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        too_big = await upload(h, case_id, "CV_CERTIFICATES", PDF + b"x" * (70 * 1024))
        assert too_big.status_code == 413
        binary = await upload(h, case_id, "CV_CERTIFICATES", bytes(range(256)) * 4)
        assert binary.status_code == 415
        empty = await upload(h, case_id, "CV_CERTIFICATES", b"")
        assert empty.status_code == 422
        unknown = await upload(h, case_id, "PASSPORT_SCAN")
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["loc"] == ["body", "type"]
        listed = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(AGENCY))
        assert listed.json()["items"] == [], "nothing half-written on failure"

    async def test_reads_of_personal_data_are_audited(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        doc = (await upload(h, case_id, "CV_CERTIFICATES")).json()
        await h.client.get(f"/v1/cases/{case_id}", headers=h.auth(AGENCY))
        await h.client.get(f"/v1/documents/{doc['id']}/content", headers=h.auth(AGENCY))
        trail = (await h.client.get(f"/v1/cases/{case_id}/audit", headers=h.auth(AGENCY))).json()
        actions = [e["action"] for e in trail["items"]]
        # The trail's own read is recorded too (before it is listed).
        assert actions == [
            "case.created",
            "document.uploaded",
            "case.read",
            "document.downloaded",
            "audit.listed",
        ]

    async def test_pagination_walks_every_document_once(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        for n in range(5):
            await upload(h, case_id, "OTHER", PDF + str(n).encode())
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (
                await h.client.get(
                    f"/v1/cases/{case_id}/documents", params=params, headers=h.auth(AGENCY)
                )
            ).json()
            seen += [d["id"] for d in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 5

    async def test_tampered_cursors_are_client_errors(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        from shared.pagination import encode_cursor

        for path in (
            f"/v1/cases/{case_id}/documents",
            "/v1/handovers",
            f"/v1/cases/{case_id}/audit",
        ):
            for cursor in ("!!", encode_cursor({"id": "not-an-id"}), encode_cursor({"x": 1})):
                response = await h.client.get(
                    path, params={"cursor": cursor}, headers=h.auth(AGENCY)
                )
                assert response.status_code == 400, (path, cursor, response.text)
                assert response.json()["type"].endswith("invalid-cursor")

    async def test_organisations_are_seeded(self, harness: HandoverHarness) -> None:
        orgs = (await harness.client.get("/v1/organisations", headers=harness.auth(AGENCY))).json()
        by_id = {o["id"]: o for o in orgs}
        assert set(by_id) == {AGENCY, JOBCENTER, "agentur-ahlen-muenster", OTHER}
        assert "Witten" in by_id[JOBCENTER]["municipalities"]
        assert by_id[JOBCENTER]["legal_domain"] == "SGB_II"


class TestOverdue:
    """A transferred handover not accepted by its deadline escalates once."""

    async def test_overdue_is_raised_once_and_not_for_accepted_handovers(
        self, harness: HandoverHarness
    ) -> None:
        from datetime import timedelta

        from handover_api.use_cases.handovers import escalate_overdue

        h = harness
        late = await transferred_handover(h)
        accepted = await transferred_handover(h)
        await h.client.post(f"/v1/handovers/{accepted['id']}/accept", headers=h.auth(JOBCENTER))
        runtime = h.app.state.runtime
        after_deadline = datetime.now(UTC) + timedelta(days=h.settings.ACCEPT_DEADLINE_DAYS + 1)

        counts = []
        for _ in range(2):
            uow = runtime.make_uow()
            async with uow:
                counts.append(await escalate_overdue(uow, after_deadline))
                await uow.commit()

        assert counts == [1, 0]
        await h.drain_outbox()
        [event] = [decode(r.value) for r in h.publisher.on_topic("handover.overdue")]
        assert str(event.data.handover_id) == late["id"]
        assert event.data.to_org == JOBCENTER

    async def test_the_app_escalates_in_its_locked_overdue_job(
        self, harness: HandoverHarness
    ) -> None:
        from datetime import timedelta

        from sqlalchemy import update

        from handover_api.adapters.tables import Handover
        from shared.db.advisory import AdvisoryLock
        from shared.jobs import PeriodicJob

        h = harness
        late = await transferred_handover(h)
        runtime = h.app.state.runtime
        job = runtime.jobs["handover-overdue"]
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                update(Handover)
                .where(Handover.id == uuid.UUID(late["id"]))
                .values(due_at=datetime.now(UTC) - timedelta(minutes=1))
            )

        # Another replica's copy of the job stands by while this app holds the lock.
        async def never() -> int:
            raise AssertionError("ran without the lock")

        standby = PeriodicJob(
            "handover-overdue",
            never,
            interval_seconds=60,
            lock=AdvisoryLock(runtime.engine, "handover-overdue"),
        )
        assert await job.run_once() == 1
        assert await standby.run_once() is None
        assert await job.run_once() == 0

        await h.drain_outbox()
        [event] = [decode(r.value) for r in h.publisher.on_topic("handover.overdue")]
        assert str(event.data.handover_id) == late["id"]
