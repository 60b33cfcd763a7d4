"""The local Apache Kafka cluster's id never reads as a command-line option."""

from __future__ import annotations

import uuid

import pytest

from services.kafka_cluster import new_cluster_id


def test_an_id_that_would_begin_with_a_dash_is_drawn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 0xF8 as the first byte gives "-" as the first URL-safe base64 character.
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" * 16)])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))
    assert new_cluster_id() == "AQEBAQEBAQEBAQEBAQEBAQ"


def test_ids_are_22_url_safe_characters() -> None:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    for _ in range(500):
        cluster_id = new_cluster_id()
        assert len(cluster_id) == 22
        assert set(cluster_id) <= alphabet
        assert not cluster_id.startswith("-")
