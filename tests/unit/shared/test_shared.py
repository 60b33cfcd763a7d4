"""Pure parts of `shared`: envelope and registry, strict input, ETags, cursors, auth."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import jwt
import pytest
from pydantic import BaseModel, BeforeValidator, ValidationError

from services.issuer import DevIssuer
from shared.auth import TokenVerifier
from shared.etag import check_if_match, etag_for, not_modified
from shared.events.envelope import make_event
from shared.events.facts import EligibilityFactsV1
from shared.events.registry import EVENT_MODELS, UnknownEventType, all_topics, decode, dlq_topic
from shared.events.transition import TransitionUpcomingV1
from shared.pagination import decode_cursor, encode_cursor, position_cursor, read_position
from shared.problems import InvalidCursor, PreconditionFailed, PreconditionRequired, Unauthorized
from shared.settings import AuthSettings
from shared.strict import forbid_unknown


class TestEnvelope:
    """CloudEvents structured mode round-trips into typed payloads."""

    def test_round_trip(self) -> None:
        event = make_event(
            TransitionUpcomingV1(
                case_id=uuid.uuid4(),
                owner_org="agentur-hagen",
                alg1_end_date=date(2026, 4, 30),
                invitation_date=date(2026, 1, 30),
                scheduled_at=datetime.now(UTC),
            ),
            source="/eligibility_api",
            subject="case-1",
        )
        decoded = decode(event.model_dump_json().encode())
        assert decoded == event
        assert decoded.type == "de.handover.transition.upcoming.v1"
        assert decoded.topic == "transition.upcoming"

    def test_added_fields_are_tolerated(self) -> None:
        event = make_event(
            TransitionUpcomingV1(
                case_id=uuid.uuid4(),
                owner_org="o",
                alg1_end_date=date(2026, 4, 30),
                invitation_date=date(2026, 1, 30),
                scheduled_at=datetime.now(UTC),
            ),
            source="/x",
            subject="s",
        )
        raw = event.model_dump(mode="json")
        raw["data"]["new_optional_field"] = 1
        raw["extension"] = "x"
        import json

        assert decode(json.dumps(raw).encode()).id == event.id

    def test_unknown_type_is_refused(self) -> None:
        body = (
            b'{"specversion":"1.0","id":"%s","source":"/x","type":"de.other.v1",'
            b'"time":"2026-01-01T00:00:00Z","subject":"s","data":{}}' % str(uuid.uuid4()).encode()
        )
        with pytest.raises(UnknownEventType):
            decode(body)

    def test_every_type_has_a_versioned_name_and_a_dlq(self) -> None:
        for model in EVENT_MODELS:
            assert model.TYPE.startswith("de.handover.")
            assert model.TYPE.endswith(".v1")
            assert dlq_topic(model.TOPIC) in all_topics()


class TestStrictInput:
    """Requests reject unknown keys at any depth; events do not."""

    class Body(BaseModel):
        facts: Annotated[EligibilityFactsV1, BeforeValidator(forbid_unknown(EligibilityFactsV1))]

    def test_nested_unknown_key(self) -> None:
        with pytest.raises(ValidationError, match=r"alg1\.sperrzeiten\[0\]\.oops"):
            self.Body.model_validate(
                {
                    "facts": {
                        "alg1": {
                            "sperrzeiten": [
                                {
                                    "kind": "QUIT_JOB",
                                    "start_date": "2025-01-01",
                                    "days": 84,
                                    "oops": 1,
                                }
                            ]
                        }
                    }
                }
            )

    def test_known_keys_pass(self) -> None:
        body = self.Body.model_validate({"facts": {"birth_date": "1970-01-01"}})
        assert body.facts.birth_date == date(1970, 1, 1)


class TestEtagsAndCursors:
    def test_if_match(self) -> None:
        check_if_match(etag_for(3), 3)
        check_if_match('"2", "3"', 3)
        check_if_match("*", 3)
        with pytest.raises(PreconditionFailed):
            check_if_match(etag_for(2), 3)
        with pytest.raises(PreconditionRequired):
            check_if_match(None, 3)

    def test_if_match_compares_strongly(self) -> None:
        """RFC 9110 §13.1.1: a weak entity tag never matches in If-Match."""
        with pytest.raises(PreconditionFailed, match="strong"):
            check_if_match('W/"3"', 3)
        with pytest.raises(PreconditionFailed):
            check_if_match('W/"3", "2"', 3)

    def test_if_none_match_compares_weakly(self) -> None:
        """RFC 9110 §13.1.2: If-None-Match uses the weak comparison."""
        assert not_modified(etag_for(3), 3)
        assert not_modified('W/"3"', 3)
        assert not_modified('"1", W/"3"', 3)
        assert not_modified("*", 3)
        assert not not_modified(etag_for(2), 3)
        assert not not_modified(None, 3)

    def test_cursor_round_trip_and_garbage(self) -> None:
        assert decode_cursor(encode_cursor({"id": "x"})) == {"id": "x"}
        assert decode_cursor(None) is None
        with pytest.raises(InvalidCursor):
            decode_cursor("!!not-base64!!")

    def test_position_cursor_round_trip(self) -> None:
        at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        row_id = uuid.uuid4()
        assert read_position(position_cursor(at, row_id)) == (at, row_id)
        assert read_position(None) is None

    @pytest.mark.parametrize(
        "position",
        [
            {"id": "00000000-0000-0000-0000-000000000001"},
            {"at": "2026-03-01T09:30:00+00:00"},
            {"at": "2026-03-01T09:30:00", "id": "00000000-0000-0000-0000-000000000001"},
            {"at": "9999-01-01T00:00:00+00:00", "id": "00000000-0000-0000-0000-000000000001"},
            {"at": "yesterday", "id": "00000000-0000-0000-0000-000000000001"},
            {"at": "2026-03-01T09:30:00+00:00", "id": "not-a-uuid"},
        ],
    )
    def test_a_tampered_position_cursor_is_invalid(self, position: dict[str, str]) -> None:
        with pytest.raises(InvalidCursor):
            read_position(encode_cursor(position))


class TestTokenVerifier:
    """Pinned algorithms, issuer, audience, expiry, org and scope claims."""

    @pytest.fixture
    def dev(self, tmp_path: Path) -> DevIssuer:
        return DevIssuer(tmp_path)

    def verifier(self, dev: DevIssuer) -> TokenVerifier:
        dev.ensure_keys()
        return TokenVerifier(AuthSettings(JWKS_URL=str(dev.jwks_path), ISSUER=dev.issuer))

    def test_valid_token(self, dev: DevIssuer) -> None:
        principal = self.verifier(dev).verify(dev.token("agentur-hagen", ["cases:read"]))
        assert principal.org == "agentur-hagen"
        assert principal.scopes == frozenset({"cases:read"})

    def test_missing_org_claim(self, dev: DevIssuer) -> None:
        verifier = self.verifier(dev)
        with pytest.raises(Unauthorized, match="org"):
            verifier.verify(dev.token("", ["cases:read"]))

    def test_algorithm_outside_the_pinned_list(self, dev: DevIssuer) -> None:
        verifier = self.verifier(dev)
        token = jwt.encode(
            {"iss": dev.issuer, "aud": dev.audience, "sub": "x", "org": "o", "exp": 2**40},
            "a-shared-secret-of-enough-length-for-hs256",
            algorithm="HS256",
            headers={"kid": "k"},
        )
        with pytest.raises(Unauthorized, match="algorithm"):
            verifier.verify(token)

    def test_wrong_issuer(self, dev: DevIssuer) -> None:
        verifier = self.verifier(dev)
        other = DevIssuer(dev.directory, issuer="https://evil.example")
        with pytest.raises(Unauthorized):
            verifier.verify(other.token("o"))


class TestSettings:
    """Production refuses development defaults."""

    def test_prod_refuses_the_dev_issuer(self) -> None:
        from handover_api.settings import HandoverSettings

        with pytest.raises(ValidationError, match="dev issuer"):
            HandoverSettings(ENVIRONMENT="prod")
        settings = HandoverSettings(
            ENVIRONMENT="prod", AUTH=AuthSettings(ISSUER="https://login.example.org/realms/x")
        )
        assert settings.AUTH.ISSUER.startswith("https://")

    def test_nested_settings_come_from_the_prefixed_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from handover_api.settings import HandoverSettings

        monkeypatch.setenv("HANDOVER_DB__URL", "postgresql+psycopg://u@h/handover")
        monkeypatch.setenv("HANDOVER_KAFKA__ENABLE_IDEMPOTENCE", "true")
        monkeypatch.setenv("ELIGIBILITY_PORT", "9999")
        settings = HandoverSettings()
        assert settings.DB.URL == "postgresql+psycopg://u@h/handover"
        assert settings.KAFKA.ENABLE_IDEMPOTENCE is True
        assert settings.PORT == 8001
