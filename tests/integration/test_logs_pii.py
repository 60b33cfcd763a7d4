"""A database error on PostgreSQL carrying personal data leaves none of it in logs or answers.

PostgreSQL puts the refused row into its error (`DETAIL: Failing row contains (...)`), and
SQLAlchemy the statement's parameters; the 500 handler logs the exception. Neither the
parameters (hidden by the engine) nor the messages (left out of every logged exception) may
reach a log line, and the problem answer says nothing about the person.
"""

from __future__ import annotations

import asyncio
import copy
import io
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from handover_api.api.schemas import CASE_EXAMPLE
from handover_api.app import create_app
from services.issuer import DevIssuer
from shared.db import migrations
from shared.db.session import create_engine
from shared.logging import configure_logging
from shared.messaging.memory import InMemoryPublisher
from shared.settings import DatabaseSettings
from tests.conftest import DatabaseFactory
from tests.integration.handover.conftest import AGENCY, handover_settings

KUNDENNUMMER = "987Q654321"
FAMILY_NAME = "Kanarienvogel-Ljx7Qe"
GIVEN_NAME = "Zaunkoenigin-p3Rm"
CANARIES = (KUNDENNUMMER, FAMILY_NAME, GIVEN_NAME)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the process (structlog and stdlib), as the services write them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("handover_api", "DEBUG", json=True)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def leaked(output: str) -> list[str]:
    return [canary for canary in CANARIES if canary in output]


class TestEngine:
    async def test_a_failed_statement_names_no_parameter(
        self, postgres_database: DatabaseFactory
    ) -> None:
        engine = create_engine(DatabaseSettings(URL=postgres_database("hidden_parameters")))
        try:
            async with engine.connect() as conn:
                await conn.execute(text("CREATE TEMPORARY TABLE person (name varchar(5))"))
                with pytest.raises(DBAPIError) as failure:
                    await conn.execute(
                        text("INSERT INTO person (name) VALUES (:name)"), {"name": FAMILY_NAME}
                    )
        finally:
            await engine.dispose()
        message = str(failure.value)
        assert "value too long" in message  # the real PostgreSQL error
        assert "SQL parameters hidden" in message
        assert not leaked(message)


@pytest.fixture
async def handover_client(
    postgres_database: DatabaseFactory, issuer: DevIssuer, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """handover_api in-process on PostgreSQL, whose `cases` table refuses the canary row."""
    url = postgres_database("logs_pii")
    await asyncio.to_thread(migrations.upgrade, "handover_api", url)
    # A constraint the API does not know: the insert fails inside PostgreSQL, as a NUL
    # byte or a too long value did before the input checks caught them.
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(
            "ALTER TABLE cases ADD CONSTRAINT ck_cases_canary "
            f"CHECK (kundennummer IS DISTINCT FROM '{KUNDENNUMMER}')"
        )
    settings = handover_settings(url, issuer, tmp_path)
    app = create_app(settings, publisher=InMemoryPublisher())
    async with app.router.lifespan_context(app):
        # As uvicorn serves it: the exception after the 500 answer does not reach the client.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, issuer.token(AGENCY)


class TestFailedRequest:
    async def test_the_500_answer_and_every_log_line_carry_no_personal_data(
        self,
        handover_client: tuple[httpx.AsyncClient, str],
        captured_logs: io.StringIO,
    ) -> None:
        client, token = handover_client
        body = copy.deepcopy(CASE_EXAMPLE)
        body["kundennummer"] = KUNDENNUMMER
        body["person"] = {"given_name": GIVEN_NAME, "family_name": FAMILY_NAME}
        response = await client.post(
            "/v1/cases",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "pii-1"},
        )
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith(":internal-error")
        assert not leaked(response.text)

        output = captured_logs.getvalue()
        # The failure was logged, with what finds the fault: the error types and SQLSTATE.
        assert "http.unhandled_error" in output
        assert "IntegrityError" in output
        assert "SQLSTATE 23514" in output  # check_violation
        assert not leaked(output), output

    async def test_a_refused_request_logs_nothing_it_carried(
        self,
        handover_client: tuple[httpx.AsyncClient, str],
        captured_logs: io.StringIO,
    ) -> None:
        client, token = handover_client
        body = copy.deepcopy(CASE_EXAMPLE)
        body["person"] = {"given_name": GIVEN_NAME, "family_name": FAMILY_NAME + "\x00"}
        response = await client.post(
            "/v1/cases",
            json=body,
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": FAMILY_NAME + "/x"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "person", "family_name"]
        assert not leaked(response.text)
        assert FAMILY_NAME not in response.headers["x-request-id"]
        assert "http.request" in captured_logs.getvalue()
        assert not leaked(captured_logs.getvalue())
