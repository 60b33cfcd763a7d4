"""The dev stack gives notifications_api handover_api's URL and a contact:read service token."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from notifications_api.settings import NotificationsSettings
from services.issuer import DevIssuer
from services.stack import NOTICE_SERVICE_ORG, SERVICES, StackConfig


def config(tmp_path: Path, issuer: DevIssuer) -> StackConfig:
    return StackConfig(
        bootstrap_servers="127.0.0.1:1",
        issuer=issuer,
        database_urls={
            s.name: f"postgresql+psycopg://app@db.invalid/{s.db_name}" for s in SERVICES
        },
        ports={"handover_api": 18001, "eligibility_api": 18002, "notifications_api": 18003},
        worker_ports={s.name: 0 for s in SERVICES},
        data_dir=tmp_path / "var",
        log_dir=tmp_path / "var" / "log",
        base_env={},
    )


def test_notifications_gets_the_contact_endpoint_and_a_narrow_token(
    tmp_path: Path, issuer: DevIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = config(tmp_path, issuer)
    by_name = {s.name: s for s in SERVICES}
    env = stack.service_env(by_name["notifications_api"])
    assert env["NOTIFICATIONS_NOTICES__CONTACTS__BASE_URL"] == "http://127.0.0.1:18001"
    token = env["NOTIFICATIONS_NOTICES__CONTACTS__TOKEN"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["org"] == NOTICE_SERVICE_ORG
    assert claims["scope"] == "contact:read"
    # The names are the ones notifications_api reads.
    for key in (
        "NOTIFICATIONS_NOTICES__CONTACTS__BASE_URL",
        "NOTIFICATIONS_NOTICES__CONTACTS__TOKEN",
    ):
        monkeypatch.setenv(key, env[key])
    contacts = NotificationsSettings().NOTICES.CONTACTS
    assert contacts.BASE_URL == "http://127.0.0.1:18001"
    assert contacts.TOKEN is not None
    assert contacts.TOKEN.get_secret_value() == token
    for other in ("handover_api", "eligibility_api"):
        assert not any("NOTICES__" in key for key in stack.service_env(by_name[other]))
