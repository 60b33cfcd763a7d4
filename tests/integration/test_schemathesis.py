"""schemathesis over the three services: what the OpenAPI documents promise, the apps keep.

Each app runs in-process on its own migrated PostgreSQL database (relay and consumers
off) and is called through schemathesis' ASGI client with a bearer token of
organisation A (`agentur-hagen`, every scope). Generated requests, valid and invalid
(negative mode), must never get a 5xx, must be answered with a documented status code and
content type and a body that matches the documented schema, and invalid ones must be
refused. The run is bounded and deterministic: few examples per operation, a fixed
derandomised generation, no example database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from psycopg import sql
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from eligibility_api.app import create_app as create_eligibility
from handover_api.app import create_app as create_handover
from notifications_api.app import create_app as create_notifications
from services.issuer import DevIssuer
from shared.db import migrations
from shared.messaging.memory import InMemoryPublisher
from tests.conftest import PostgresServer
from tests.integration.eligibility.conftest import make_settings as eligibility_settings
from tests.integration.handover.conftest import AGENCY, handover_settings
from tests.integration.notifications.conftest import notifications_settings

pytestmark = [pytest.mark.postgres]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Per operation; three services, about 60 operations: the module takes about a minute.
MAX_EXAMPLES = 5
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # Unknown query parameters are ignored, as HTTP APIs conventionally do (a cache
            # buster must not fail a request); request bodies refuse unknown fields.
            "allow-extra-parameters": False,
            # The bearer token is the test's (organisation A); 401s are tested elsewhere.
            "with-security-parameters": False,
        },
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False}},
    }
)
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def databases(postgres_server: PostgresServer) -> Iterator[Callable[[str], str]]:
    """Fresh migrated databases for the module's apps; dropped afterwards."""
    created: list[str] = []

    def make(service: str) -> str:
        name = f"test_st_{service}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        url = postgres_server.async_url(name)
        migrations.upgrade(service, url)
        return url

    yield make
    with psycopg.connect(postgres_server.admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _serve(app: FastAPI) -> Iterator[asgi.ASGIClient]:
    """A client of `app`, whose lifespan runs in schemathesis' event loop meanwhile."""
    asgi_app: Any = app  # schemathesis types the ASGI callable more narrowly than Starlette
    with asgi.get_client(asgi_app) as client:
        try:
            yield client
        finally:
            asgi.shutdown_lifespans()


def _token(issuer: DevIssuer) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(AGENCY)}"}


@pytest.fixture(scope="module")
def handover_client(
    databases: Callable[[str], str], issuer: DevIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[asgi.ASGIClient]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis-handover")
    settings_ = handover_settings(databases("handover_api"), issuer, tmp)
    yield from _serve(create_handover(settings_, publisher=InMemoryPublisher()))


@pytest.fixture(scope="module")
def eligibility_client(
    databases: Callable[[str], str], issuer: DevIssuer
) -> Iterator[asgi.ASGIClient]:
    settings_ = eligibility_settings(databases("eligibility_api"), issuer=issuer)
    yield from _serve(create_eligibility(settings_, publisher=InMemoryPublisher()))


@pytest.fixture(scope="module")
def notifications_client(
    databases: Callable[[str], str], issuer: DevIssuer
) -> Iterator[asgi.ASGIClient]:
    settings_ = notifications_settings(databases("notifications_api"), issuer)
    yield from _serve(create_notifications(settings_, publisher=InMemoryPublisher()))


# The documents as the apps build them (no connection needed); the tests call the apps the
# fixtures run on PostgreSQL, whose documents are the same (checked below).
DOCUMENTS = {
    "handover_api": create_handover().openapi(),
    "eligibility_api": create_eligibility().openapi(),
    "notifications_api": create_notifications().openapi(),
}
handover = schemathesis.openapi.from_dict(DOCUMENTS["handover_api"], config=CONFIG)
eligibility = schemathesis.openapi.from_dict(DOCUMENTS["eligibility_api"], config=CONFIG)
notifications = schemathesis.openapi.from_dict(DOCUMENTS["notifications_api"], config=CONFIG)


def _call(case: schemathesis.Case[Any], client: asgi.ASGIClient, issuer: DevIssuer) -> None:
    case.call_and_validate(
        base_url="http://testserver", session=client, headers=_token(issuer), checks=CHECKS
    )


@handover.parametrize()
@BOUNDED
def test_handover_api_keeps_its_document(
    case: schemathesis.Case[Any], handover_client: asgi.ASGIClient, issuer: DevIssuer
) -> None:
    _call(case, handover_client, issuer)


@eligibility.parametrize()
@BOUNDED
def test_eligibility_api_keeps_its_document(
    case: schemathesis.Case[Any], eligibility_client: asgi.ASGIClient, issuer: DevIssuer
) -> None:
    _call(case, eligibility_client, issuer)


@notifications.parametrize()
@BOUNDED
def test_notifications_api_keeps_its_document(
    case: schemathesis.Case[Any], notifications_client: asgi.ASGIClient, issuer: DevIssuer
) -> None:
    _call(case, notifications_client, issuer)


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_the_served_document_is_the_one_tested(
    service: str,
    handover_client: asgi.ASGIClient,
    eligibility_client: asgi.ASGIClient,
    notifications_client: asgi.ASGIClient,
) -> None:
    client = {
        "handover_api": handover_client,
        "eligibility_api": eligibility_client,
        "notifications_api": notifications_client,
    }[service]
    assert client.get("/openapi.json").json() == DOCUMENTS[service]
