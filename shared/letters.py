"""Letters to a person: a Jinja2 template rendered to HTML, and the same HTML laid out as a PDF.

A service keeps its templates in `<package>/templates/` (`*.html.j2`). Templates are plain,
structural HTML (h1-h3, p, b, i, br, ul/ol/li, table, hr) so that the PDF layout of fpdf2's
HTML renderer matches what the HTML shows. The PDF uses the standard Helvetica font, whose
character set is Latin-1: German text (ä, ö, ü, ß, §) renders as written; typographic quotes
and dashes are mapped to their plain forms, and anything else outside Latin-1 becomes "?"
instead of failing the whole letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

PDF_MEDIA_TYPE = "application/pdf"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"

_PLAIN = str.maketrans(
    {
        "\u201e": '"',  # „
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201a": "'",  # ‚
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2026": "...",  # …
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u20ac": "EUR",  # €
    }
)


def latin1(text: str) -> str:
    """`text` in the PDF font's character set (see the module docstring)."""
    return text.translate(_PLAIN).encode("latin-1", errors="replace").decode("latin-1")


@dataclass(frozen=True)
class Letter:
    """One rendered letter: the HTML (for e-mail) and the PDF (to print or hand out)."""

    title: str
    html: str
    pdf: bytes


class LetterRenderer:
    """Renders the templates of one package; autoescaped, and undefined names are errors."""

    def __init__(self, package: str, directory: str = "templates") -> None:
        self._env = Environment(
            loader=PackageLoader(package, directory),
            autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["datum"] = _german_date

    def html(self, template: str, context: dict[str, Any]) -> str:
        """The template rendered with `context`."""
        return self._env.get_template(template).render(**context)

    def render(
        self, template: str, context: dict[str, Any], *, title: str, created_at: datetime
    ) -> Letter:
        """HTML and PDF of one letter; `created_at` makes the PDF bytes reproducible."""
        html = self.html(template, context)
        return Letter(title=title, html=html, pdf=html_to_pdf(html, title, created_at))


def html_to_pdf(html: str, title: str, created_at: datetime) -> bytes:
    """An A4 PDF of structural HTML, with title, language and creation date set."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_lang("de-DE")
    pdf.set_creator("handover broker")
    pdf.set_creation_date(created_at)
    pdf.set_margins(left=25, top=20, right=20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.write_html(latin1(html))
    return bytes(pdf.output())


def _german_date(value: Any) -> str:
    """`2026-11-25` as `25.11.2026` (dates and datetimes; anything else unchanged)."""
    strftime = getattr(value, "strftime", None)
    return str(strftime("%d.%m.%Y")) if strftime is not None else str(value)
