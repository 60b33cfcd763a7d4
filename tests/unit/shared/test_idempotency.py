"""The Idempotency-Key fingerprint rule and how a stored answer is replayed."""

from __future__ import annotations

from pydantic import BaseModel

from shared.idempotency import Answer, IdempotencyRequest
from shared.web import json_response


class Body(BaseModel):
    url: str
    event_types: list[str]


class TestFingerprint:
    """One rule for every creating endpoint: the operation and the parsed body."""

    def test_no_key_means_no_request(self) -> None:
        body = Body(url="https://a", event_types=["x"])
        assert IdempotencyRequest.for_body("org", None, "create", body) is None

    def test_the_same_body_parsed_from_other_spelling_has_one_fingerprint(self) -> None:
        first = Body.model_validate_json('{"url": "https://a", "event_types": ["x"]}')
        second = Body.model_validate_json('{ "event_types":["x"],\n "url":"https://a"}')
        a = IdempotencyRequest.for_body("org", "k", "create", first)
        b = IdempotencyRequest.for_body("org", "k", "create", second)
        assert a is not None
        assert a == b

    def test_another_body_or_operation_changes_the_fingerprint(self) -> None:
        body = Body(url="https://a", event_types=["x"])
        base = IdempotencyRequest.for_body("org", "k", "create", body)
        other_body = IdempotencyRequest.for_body(
            "org", "k", "create", Body(url="https://b", event_types=["x"])
        )
        other_operation = IdempotencyRequest.for_body("org", "k", "schedule", body)
        assert base is not None
        assert other_body is not None
        assert other_operation is not None
        assert len({base.request_hash, other_body.request_hash, other_operation.request_hash}) == 3


class TestReplay:
    """The stored answer goes out byte for byte; a replay says so in a header."""

    def test_first_answer_and_replay_carry_the_same_bytes(self) -> None:
        answer = Answer(201, '{"id":"a"}', {"Location": "/v1/x/a"})
        first = json_response(answer)
        replay = json_response(Answer(201, '{"id":"a"}', {"Location": "/v1/x/a"}, replayed=True))
        assert first.body == replay.body == b'{"id":"a"}'
        assert first.status_code == replay.status_code == 201
        assert first.headers["location"] == replay.headers["location"] == "/v1/x/a"
        assert "idempotent-replayed" not in first.headers
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.media_type == "application/json"
