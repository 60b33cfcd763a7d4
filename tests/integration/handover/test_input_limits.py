"""Input a consumer or PostgreSQL could not process is a 4xx problem at the API, never a 500."""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from handover_api.api.schemas import CASE_EXAMPLE
from shared.pagination import encode_cursor
from tests.integration.handover.conftest import AGENCY, JOBCENTER, HandoverHarness
from tests.integration.handover.test_api import PDF, create_case, start, upload

NUL = "Eri\x00ka"


def case_with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(CASE_EXAMPLE)
    target: Any = body
    for step in path[:-1]:
        target = target.setdefault(step, {})
    target[path[-1]] = value
    return body


def assert_problem(response: httpx.Response, status: int, loc: Sequence[str | int] | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if loc is not None:
        assert [e["loc"] for e in problem["errors"]] == [list(loc)]


BAD_CASES = [
    pytest.param(("facts", "alg1", "claim_start_date"), "9999-12-31", id="claim-start-9999"),
    pytest.param(("facts", "birth_date"), "9999-12-31", id="birth-date-9999"),
    pytest.param(("facts", "birth_date"), "1899-12-31", id="birth-date-1899"),
    pytest.param(("facts", "entry_date"), "0001-01-01", id="entry-date-year-1"),
    pytest.param(("integration_plan", "next_review_date"), "2101-01-01", id="plan-review-2101"),
    pytest.param(("person", "given_name"), NUL, id="nul-in-name"),
    pytest.param(("person", "family_name"), "Muster\x1bmann", id="escape-in-name"),
    pytest.param(("person", "email"), "a\x00@b.de", id="nul-in-email"),
    pytest.param(("municipality",), "Witten\x00", id="nul-in-municipality"),
    pytest.param(("municipality",), "Witten\ud800", id="lone-surrogate"),
]


class TestCaseInput:
    """Bad dates and text in a new case are 422 and create nothing."""

    @pytest.mark.parametrize(("path", "value"), BAD_CASES)
    async def test_refused_with_the_field_named(
        self,
        harness: HandoverHarness,
        caplog: pytest.LogCaptureFixture,
        path: tuple[str, ...],
        value: str,
    ) -> None:
        h = harness
        # httpx refuses lone surrogates when encoding JSON itself; send the escape as JSON does.
        content = httpx.Request("POST", "/", json=case_with(path, "PLACEHOLDER")).content
        content = content.replace(b'"PLACEHOLDER"', _json_string(value))
        with caplog.at_level(logging.INFO):
            response = await h.client.post(
                "/v1/cases",
                content=content,
                headers={**h.auth(AGENCY), "Content-Type": "application/json"},
            )
        assert_problem(response, 422, ["body", *path])
        assert "Erika" not in caplog.text, "no personal data in the logs"
        await h.drain_outbox()
        assert h.publisher.on_topic("case.registered") == []

    async def test_the_edges_of_the_range_are_accepted(self, harness: HandoverHarness) -> None:
        h = harness
        body = case_with(("facts", "alg1", "claim_start_date"), "2100-12-31")
        body["facts"]["birth_date"] = "1900-01-01"
        response = await h.client.post("/v1/cases", json=body, headers=h.auth(AGENCY))
        assert response.status_code == 201, response.text

    async def test_a_facts_change_out_of_range_is_refused(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        path = f"/v1/cases/{case_id}"
        etag = (await h.client.get(path, headers=h.auth(AGENCY))).headers["etag"]
        response = await h.client.patch(
            path,
            json={"facts": {"birth_date": "9999-12-31"}},
            headers={**h.auth(AGENCY), "If-Match": etag},
        )
        assert_problem(response, 422, ["body", "facts", "birth_date"])


def _json_string(value: str) -> bytes:
    """`value` as a JSON string literal with every non-ASCII character escaped."""
    escaped = "".join(
        c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else f"\\u{ord(c):04x}" for c in value
    )
    return f'"{escaped}"'.encode()


class TestHandoverInput:
    """Dates and texts of handover requests are bounded like the case's."""

    async def test_out_of_range_dates_are_refused(self, harness: HandoverHarness) -> None:
        h = harness
        case_id = await create_case(h)
        for body, loc in (
            (
                {"reason": "ALG1_EXHAUSTED", "to_org": JOBCENTER, "transfer_date": "9999-12-31"},
                ["body", "transfer_date"],
            ),
            (
                {
                    "reason": "ALG1_EXHAUSTED",
                    "to_org": JOBCENTER,
                    "trigger": {"type": "ALG1_ENDED", "occurred_on": "1000-01-01"},
                },
                ["body", "trigger", "occurred_on"],
            ),
        ):
            response = await h.client.post(
                f"/v1/cases/{case_id}/handovers", json=body, headers=h.auth(AGENCY)
            )
            assert_problem(response, 422, loc)

        handover = await start(h, case_id, trigger=False)
        trigger = await h.client.post(
            f"/v1/handovers/{handover['id']}/trigger",
            json={"type": "ALG1_ENDED", "occurred_on": "9999-12-31"},
            headers=h.auth(AGENCY),
        )
        assert_problem(trigger, 422, ["body", "occurred_on"])
        waiver = await h.client.post(
            f"/v1/handovers/{handover['id']}/waivers",
            json={"document_type": "CV_CERTIFICATES", "reason": "not\x00available"},
            headers=h.auth(AGENCY),
        )
        assert_problem(waiver, 422, ["body", "reason"])

    async def test_control_characters_in_upload_fields_are_refused(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        case_id = await create_case(h)
        # httpx percent-encodes control characters in file names; write the part by hand.
        boundary = "part-boundary"
        content = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\n'
                f"CV_CERTIFICATES\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="file"; filename="cv\x1b[2J.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + PDF
            + f"\r\n--{boundary}--\r\n".encode()
        )
        named = await h.client.post(
            f"/v1/cases/{case_id}/documents",
            content=content,
            headers={
                **h.auth(AGENCY),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert_problem(named, 422, ["body", "file", "filename"])
        basis = await h.client.post(
            f"/v1/cases/{case_id}/documents",
            files={"file": ("cv.pdf", PDF, "application/pdf")},
            data={"type": "CV_CERTIFICATES", "legal_basis": "§ 50\x00 SGB II"},
            headers=h.auth(AGENCY),
        )
        assert_problem(basis, 422, ["body", "legal_basis"])
        listed = await h.client.get(f"/v1/cases/{case_id}/documents", headers=h.auth(AGENCY))
        assert listed.json()["items"] == []
        assert (await upload(h, case_id, "CV_CERTIFICATES")).status_code == 201

    async def test_an_idempotency_key_with_control_characters_is_refused(
        self, harness: HandoverHarness
    ) -> None:
        h = harness
        response = await h.client.post(
            "/v1/cases",
            json=CASE_EXAMPLE,
            headers={**h.auth(AGENCY), "Idempotency-Key": "key\x7f"},
        )
        assert_problem(response, 422, ["header", "Idempotency-Key"])


class TestCursors:
    """A cursor the API did not issue is a 400 on every list, whatever it holds."""

    @pytest.mark.parametrize(
        "position",
        [
            {"id": "9" * 40},
            {"id": str(2**63)},
            {"id": "-1"},
            {"id": "1" * 5000},
            {"id": str(uuid.uuid4()) + "\x00"},
        ],
        ids=["huge", "bigint-plus-one", "negative", "5000-digits", "nul"],
    )
    async def test_tampered_cursor_is_a_client_error(
        self, harness: HandoverHarness, position: dict[str, str]
    ) -> None:
        h = harness
        case_id = await create_case(h)
        for path in (
            f"/v1/cases/{case_id}/audit",
            f"/v1/cases/{case_id}/documents",
            "/v1/handovers",
        ):
            cursor = encode_cursor(position)
            response = await h.client.get(path, params={"cursor": cursor}, headers=h.auth(AGENCY))
            if len(cursor) > 500:  # longer than any cursor the API issues
                assert_problem(response, 422, ["query", "cursor"])
                continue
            assert_problem(response, 400, None)
            assert response.json()["type"].endswith("invalid-cursor"), (path, response.text)
