"""Standard Webhooks signatures, checked against an independent reading of the spec."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from notifications_api.domain.signing import (
    InvalidSecret,
    generate_secret,
    secret_key,
    sign,
    verify,
    webhook_headers,
)


def spec_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The spec's algorithm, written out independently of the code under test."""
    key = base64.b64decode(secret.split("_", 1)[1])
    to_sign = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, to_sign, hashlib.sha256).digest()).decode()


class TestSecrets:
    def test_secret_is_whsec_and_base64_of_32_random_bytes(self) -> None:
        secret = generate_secret()
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32

    def test_secrets_differ(self) -> None:
        assert len({generate_secret() for _ in range(20)}) == 20

    @pytest.mark.parametrize("bad", ["abc", "whsec_not base64!", "sk_" + "A" * 44])
    def test_malformed_secret_is_refused(self, bad: str) -> None:
        with pytest.raises(InvalidSecret):
            secret_key(bad)


class TestSignature:
    def test_matches_the_published_standard_webhooks_test_vector(self) -> None:
        # Test vector of the Standard Webhooks reference libraries.
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        body = b'{"test": 2432232314}'
        signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
        assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    def test_matches_an_independent_implementation(self) -> None:
        secret = generate_secret()
        body = b'{"specversion":"1.0","data":{"case_id":"x"}}'
        assert sign(secret, "d-1", 1700000000, body) == spec_signature(
            secret, "d-1", 1700000000, body
        )

    def test_verify_accepts_one_of_several_signatures(self) -> None:
        secret, other = generate_secret(), generate_secret()
        body = b"{}"
        header = f"{sign(other, 'm', 1, body)} {sign(secret, 'm', 1, body)}"
        assert verify(secret, "m", 1, body, header)

    @pytest.mark.parametrize(
        ("msg_id", "timestamp", "body"),
        [("other", 1, b"{}"), ("m", 2, b"{}"), ("m", 1, b"{ }")],
    )
    def test_verify_rejects_any_change(self, msg_id: str, timestamp: int, body: bytes) -> None:
        secret = generate_secret()
        assert not verify(secret, msg_id, timestamp, body, sign(secret, "m", 1, b"{}"))

    def test_headers_carry_id_timestamp_and_signature(self) -> None:
        secret = generate_secret()
        headers = webhook_headers(secret, "d-1", 1700000000, b"{}")
        assert headers["webhook-id"] == "d-1"
        assert headers["webhook-timestamp"] == "1700000000"
        assert headers["webhook-signature"] == spec_signature(secret, "d-1", 1700000000, b"{}")
