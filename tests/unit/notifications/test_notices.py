"""Notice rules and the German templates: what each letter says, dated and in the PDF."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notifications_api.adapters.tables import Notice
from notifications_api.domain.notices import (
    TEMPLATES,
    Contact,
    NoticeChannel,
    NoticeKind,
    NoticeRetryPolicy,
    channel_for,
    pdf_filename,
)
from notifications_api.use_cases.notices import letter_context
from shared.letters import LetterRenderer
from tests.pdf import page_text

CREATED = datetime(2026, 4, 30, 22, 10, tzinfo=UTC)  # 1 May 2026 in Berlin
PERSON = Contact(
    given_name="Erika",
    family_name="Müßig",
    email=None,
    street="Ruhrstraße 1",
    postal_code="58452",
    town="Witten",
)
TRANSFER = {
    "from_org": "agentur-hagen",
    "to_org": "jobcenter-ennepe-ruhr",
    "responsible_from": "2026-05-01",
    "transferred_date": "2026-05-01",
    "documents": ["ALG1_BESCHEID", "LEBENSLAUF"],
    "documents_count": 2,
    "plan_continues": True,
    "measures_count": 1,
    "legal_basis": "§ 69 Abs. 1 Nr. 1 SGB X in Verbindung mit § 50 SGB II",
}
FACTS: dict[NoticeKind, dict[str, Any]] = {
    NoticeKind.INVITATION: {
        "session_starts_at": "2026-02-10T08:30:00+00:00",
        "place": "Jobcenter EN, Standort Witten, Saal 1",
        "agentur_org": "agentur-hagen",
        "jobcenter_org": "jobcenter-ennepe-ruhr",
        "consultation_due_date": "2026-03-10",
    },
    NoticeKind.APPOINTMENT_CONFIRMATION: {
        "starts_at": "2026-07-07T07:00:00+00:00",
        "ends_at": "2026-07-07T07:45:00+00:00",
        "channel": "video",
        "place": None,
        "agentur_org": "agentur-ahlen-muenster",
        "jobcenter_org": "jobcenter-muenster",
    },
    NoticeKind.CHANGE_OF_RESPONSIBILITY: TRANSFER,
    NoticeKind.DISCLOSURE_INFORMATION: TRANSFER,
}
EXPECTED: dict[NoticeKind, list[str]] = {
    # 08:30 UTC in February is 09:30 in Witten; R2: consultation by 10.03.2026.
    NoticeKind.INVITATION: [
        "10.02.2026",
        "09:30 Uhr",
        "Saal 1",
        "Lebenslauf",
        "10.03.2026",
        "Agentur für Arbeit Hagen",
    ],
    # 07:00 UTC in July is 09:00 in Münster (summer time).
    NoticeKind.APPOINTMENT_CONFIRMATION: [
        "07.07.2026",
        "09:00 bis 09:45 Uhr",
        "Videogespräch",
        "Jobcenter Münster",
        "Agentur für Arbeit Ahlen-Münster",
    ],
    NoticeKind.CHANGE_OF_RESPONSIBILITY: [
        "ab dem 01.05.2026",
        "Jobcenter EN (Ennepe-Ruhr-Kreis)",
        "Agentur für Arbeit Hagen",
        "(2 Dokumente)",
        "wird fortgesetzt",
    ],
    NoticeKind.DISCLOSURE_INFORMATION: [
        "§ 69 Abs. 1 Nr. 1 SGB X",
        "ALG1_BESCHEID, LEBENSLAUF",
        "Eingliederungsplan",
        "vollständige Aufstellung",
    ],
}


def notice_of(kind: NoticeKind, org: str = "jobcenter-ennepe-ruhr") -> Notice:
    template = TEMPLATES[kind]
    return Notice(
        id=uuid.UUID("5d0c9b1e-8a55-4f0b-9a3e-2f1c7d6b4a21"),
        case_id=uuid.uuid4(),
        org=org,
        kind=kind.value,
        facts=FACTS[kind],
        title=template.title,
        template_version=template.version,
        created_at=CREATED,
    )


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    return LetterRenderer("notifications_api")


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_each_letter_says_what_it_must_in_german(
    kind: NoticeKind, renderer: LetterRenderer
) -> None:
    notice = notice_of(kind)
    letter = renderer.render(
        TEMPLATES[kind].file,
        letter_context(notice, PERSON),
        title=notice.title,
        created_at=CREATED,
    )
    assert "Guten Tag Erika Müßig" in letter.html
    assert "Ruhrstraße 1" in letter.html
    assert "58452 Witten" in letter.html
    assert "Datum: 01.05.2026" in letter.html
    assert "5D0C9B1E" in letter.html
    for phrase in EXPECTED[kind]:
        assert phrase in letter.html, phrase
    text = page_text(letter.pdf)
    assert letter.pdf.startswith(b"%PDF-")
    assert "Müßig".encode("latin-1") in text
    assert EXPECTED[kind][0].encode("latin-1") in text


def test_same_notice_same_pdf(renderer: LetterRenderer) -> None:
    notice = notice_of(NoticeKind.CHANGE_OF_RESPONSIBILITY)
    context = letter_context(notice, PERSON)
    one = renderer.render(
        TEMPLATES[NoticeKind(notice.kind)].file, context, title="x", created_at=CREATED
    )
    two = renderer.render(
        TEMPLATES[NoticeKind(notice.kind)].file, context, title="x", created_at=CREATED
    )
    assert one.pdf == two.pdf


def test_e_mail_only_with_an_address() -> None:
    assert channel_for(PERSON) is NoticeChannel.LETTER
    with_mail = Contact(given_name="A", family_name="B", email="a@example.org")
    assert channel_for(with_mail) is NoticeChannel.EMAIL


def test_retries_follow_the_schedule_and_are_bounded() -> None:
    policy = NoticeRetryPolicy(max_attempts=4, backoff_seconds=(30.0, 120.0))
    assert policy.next_attempt_at(1, CREATED) == CREATED + timedelta(seconds=30)
    assert policy.next_attempt_at(2, CREATED) == CREATED + timedelta(seconds=120)
    assert policy.next_attempt_at(3, CREATED) == CREATED + timedelta(seconds=120)
    assert policy.next_attempt_at(4, CREATED) is None


def test_attachment_name_carries_no_personal_data() -> None:
    name = pdf_filename(NoticeKind.DISCLOSURE_INFORMATION, "5d0c9b1e-8a55")
    assert name == "disclosure-information-5d0c9b1e.pdf"


def test_every_kind_has_a_versioned_template() -> None:
    assert set(TEMPLATES) == set(NoticeKind)
    assert all(t.version.startswith(k.value + "/") for k, t in TEMPLATES.items())
