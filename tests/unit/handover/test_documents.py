"""Media-type sniffing and the manifest digest."""

from __future__ import annotations

import pytest

from handover_api.domain.manifest import canonical_json, manifest_digest
from handover_api.domain.media import sniff_media_type


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"II*\x00....", "image/tiff"),
        (b'<?xml version="1.0"?><a/>', "application/xml"),
        (b'{"a": 1}', "application/json"),
        ("Lebenslauf: Zeugnis über die Prüfung".encode(), "text/plain"),
        (b"\x00\x01\x02binary", None),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
    ],
)
def test_sniffing(head: bytes, expected: str | None) -> None:
    assert sniff_media_type(head) == expected


def test_sniffing_tolerates_a_cut_multibyte_character() -> None:
    head = ("ä" * 10).encode()[:-1]
    assert sniff_media_type(head) == "text/plain"


DOCS = [
    {
        "document_id": "b",
        "type": "CV_CERTIFICATES",
        "sha256": "2" * 64,
        "size": 2,
        "media_type": "application/pdf",
        "url": "http://a/b",
    },
    {
        "document_id": "a",
        "type": "ALG1_APPROVAL",
        "sha256": "1" * 64,
        "size": 1,
        "media_type": "application/pdf",
        "url": "http://a/a",
    },
]


def _digest(docs: list[dict[str, object]], plan: dict[str, object] | None = None) -> str:
    return manifest_digest(
        handover_id="h",
        case_id="c",
        from_org="f",
        to_org="t",
        documents=docs,
        integration_plan=plan,
    )


def test_digest_ignores_order_and_urls() -> None:
    moved = [{**d, "url": "https://elsewhere/" + str(d["document_id"])} for d in reversed(DOCS)]
    assert _digest(DOCS) == _digest(moved)


def test_digest_changes_with_any_hash_or_the_plan() -> None:
    altered = [{**DOCS[0], "sha256": "3" * 64}, DOCS[1]]
    assert _digest(DOCS) != _digest(altered)
    assert _digest(DOCS) != _digest(DOCS, {"plan_id": "p"})


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1, "a": "ü"}) == '{"a":"ü","b":1}'.encode()
