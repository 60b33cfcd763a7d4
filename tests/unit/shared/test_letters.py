"""Letters render to HTML and to a PDF whose text matches, German characters included."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from jinja2 import UndefinedError

from shared.letters import LetterRenderer, latin1
from tests.pdf import page_text

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
CONTEXT = {
    "name": "Erika Müßig",
    "since": date(2026, 12, 1),
    "town": "Ennepe-Ruhr",
    "items": ["Lebenslauf", "<script>alert(1)</script>"],
}


@pytest.fixture
def renderer() -> LetterRenderer:
    return LetterRenderer("tests.unit.shared.letter_templates")


def test_html_is_autoescaped_and_dates_are_german(renderer: LetterRenderer) -> None:
    html = renderer.html("sample.html.j2", CONTEXT)
    assert "01.12.2026" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html


def test_pdf_carries_the_text_in_latin1(renderer: LetterRenderer) -> None:
    letter = renderer.render("sample.html.j2", CONTEXT, title="Mitteilung", created_at=AT)
    assert letter.pdf.startswith(b"%PDF-")
    text = page_text(letter.pdf)
    assert "Müßig".encode("latin-1") in text
    assert b"01.12.2026" in text
    assert b'"Jobcenter Ennepe-Ruhr"' in text  # typographic quotes mapped, not dropped


def test_same_input_same_bytes(renderer: LetterRenderer) -> None:
    one = renderer.render("sample.html.j2", CONTEXT, title="Mitteilung", created_at=AT)
    two = renderer.render("sample.html.j2", CONTEXT, title="Mitteilung", created_at=AT)
    assert one.pdf == two.pdf


def test_missing_context_is_an_error(renderer: LetterRenderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.html("sample.html.j2", {"name": "x"})


def test_latin1_maps_typography_and_replaces_the_rest() -> None:
    assert latin1("„a“ – b … 5 €") == '"a" - b ... 5 EUR'
    assert latin1("Straße 1, § 7") == "Straße 1, § 7"
    assert latin1("日本") == "??"
