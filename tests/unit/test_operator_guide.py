"""The operator's guide names every setting, launcher variable and flag there is.

The settings table is generated from the settings classes (`python -m services settings`);
the guide must hold exactly that table, so a setting added to a class, or a default changed,
fails here until the guide is regenerated.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from services.cli import parser
from services.settings_doc import BEGIN, END, markdown_table, rows

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "operator-guide.md"


def guide() -> str:
    return GUIDE.read_text()


class TestSettingsTable:
    def test_the_guide_holds_the_generated_table(self) -> None:
        text = guide()
        start, end = text.index(BEGIN), text.index(END) + len(END)
        assert text[start:end] == markdown_table(), (
            "docs/operator-guide.md is out of date: paste `python -m services settings` "
            "between its settings-table markers"
        )

    def test_every_setting_has_a_row_and_a_text(self) -> None:
        text = guide()
        table = rows()
        assert len(table) > 50
        for row in table:
            assert f"| `{row.name}` |" in text
            assert row.text, f"{row.name} has no comment in its class and no text in TEXTS"

    def test_nested_groups_use_the_double_underscore(self) -> None:
        names = {r.name for r in rows()}
        assert "<PREFIX>DB__URL" in names
        assert "<PREFIX>RATE_LIMIT__BURST" in names
        assert "NOTIFICATIONS_NOTICES__SMTP__HOST" in names
        assert "HANDOVER_MANIFEST_KEY_PATH" in names


class TestLauncher:
    def test_every_variable_the_launcher_reads_is_in_the_guide(self) -> None:
        source = "\n".join(
            (ROOT / "services" / name).read_text() for name in ("cli.py", "stack.py")
        )
        read = set(re.findall(r"env(?:iron)?(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", source))
        read |= set(re.findall(r"env_prefix \+ \"([A-Z][A-Z0-9_]+)\"", source))
        read |= set(re.findall(r"_by_service\(env, \"([A-Z][A-Z0-9_]+)\"\)", source))
        read |= set(re.findall(r"_port\(env, \"([A-Z][A-Z0-9_]+)\"\)", source))
        # The interpreter's own variables are passed on to the children, not settings.
        read = {v for v in read if not v.startswith("PYTHON")}
        assert {"BROKER_PORT", "POSTGRES_PORT", "KAFKA_BOOTSTRAP_SERVERS", "WORKER_PORT"} <= read
        text = guide()
        missing = sorted(v for v in read if f"`{v}`" not in text and f"<PREFIX>{v}`" not in text)
        assert missing == []

    def test_every_command_and_flag_of_the_launcher_is_in_the_guide(self) -> None:
        text = guide()
        root = parser()
        [commands] = [a for a in root._actions if isinstance(a, argparse._SubParsersAction)]
        for name, sub in commands.choices.items():
            assert f"| `{name}` |" in text, name
            for action in sub._actions:
                for flag in action.option_strings:
                    if flag not in {"-h", "--help", "-m"}:
                        assert flag in text, f"{name} {flag}"

    def test_the_guide_is_linked_from_the_readme(self) -> None:
        assert "docs/operator-guide.md" in (ROOT / "README.md").read_text()
