"""Signing during a secret rotation, dated: both secrets until the old one expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications_api.domain.signing import generate_secret, signing_secrets, webhook_headers
from tests.guide import example

guide = example("receiver")

ROTATED_AT = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
EXPIRES_AT = ROTATED_AT + timedelta(hours=24)
BODY = b'{"type":"de.handover.case.transferred.v1"}'


def received(secrets_: tuple[str, ...], at: datetime) -> dict[str, str]:
    return webhook_headers(secrets_, "msg-1", int(at.timestamp()), BODY)


class TestSigningSecrets:
    def test_both_until_the_expiry_then_only_the_new_one(self) -> None:
        new, old = generate_secret(), generate_secret()
        assert signing_secrets(new, old, EXPIRES_AT, ROTATED_AT) == (new, old)
        assert signing_secrets(new, old, EXPIRES_AT, EXPIRES_AT - timedelta(seconds=1)) == (
            new,
            old,
        )
        assert signing_secrets(new, old, EXPIRES_AT, EXPIRES_AT) == (new,)
        assert signing_secrets(new, None, None, ROTATED_AT) == (new,)

    def test_a_space_separated_string_is_the_overlap(self) -> None:
        new, old = generate_secret(), generate_secret()
        at = int(ROTATED_AT.timestamp())
        assert webhook_headers(f"{new} {old}", "m", at, BODY) == webhook_headers(
            (new, old), "m", at, BODY
        )
        assert len(webhook_headers(new, "m", at, BODY)["webhook-signature"].split(" ")) == 1


class TestGuideReceiver:
    @pytest.mark.parametrize("hours", [0, 12, 23])
    def test_accepts_either_secret_during_the_overlap(self, hours: int) -> None:
        new, old = generate_secret(), generate_secret()
        at = ROTATED_AT + timedelta(hours=hours)
        headers = received(signing_secrets(new, old, EXPIRES_AT, at), at)
        assert headers["webhook-signature"].count("v1,") == 2
        for secret in (new, old):
            assert guide.verify_webhook(secret, headers, BODY, now=at.timestamp())

    def test_refuses_the_old_secret_after_the_expiry(self) -> None:
        new, old = generate_secret(), generate_secret()
        at = EXPIRES_AT + timedelta(minutes=1)
        headers = received(signing_secrets(new, old, EXPIRES_AT, at), at)
        assert guide.verify_webhook(new, headers, BODY, now=at.timestamp())
        with pytest.raises(guide.InvalidWebhook):
            guide.verify_webhook(old, headers, BODY, now=at.timestamp())

    def test_a_receiver_switching_over_accepts_a_list_of_secrets(self) -> None:
        new, old, unrelated = generate_secret(), generate_secret(), generate_secret()
        at = EXPIRES_AT + timedelta(minutes=1)
        headers = received(signing_secrets(new, old, EXPIRES_AT, at), at)
        assert guide.verify_webhook([old, new], headers, BODY, now=at.timestamp())
        with pytest.raises(guide.InvalidWebhook):
            guide.verify_webhook([old, unrelated], headers, BODY, now=at.timestamp())
