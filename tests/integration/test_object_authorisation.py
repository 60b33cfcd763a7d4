"""Object-level authorisation over the OpenAPI paths: another organisation gets 404.

Organisation A (`agentur-hagen`) creates one resource of every kind the three services let
a client create, by posting the documented examples. Then every operation on a path with
an id parameter (GET, PATCH, PUT, POST, DELETE), filled with A's ids, is called with a
full-scope token of organisation B (`jobcenter-muenster`, which nothing was handed to): each
must answer 404, never the resource and never 403, so ids cannot be probed. The same GETs
as A answer 200, so the 404s are about B and not about missing resources. The paths come
from the documents, so a new operation with an id is covered (or named below) at once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from eligibility_api.app import create_app as create_eligibility
from handover_api.app import create_app as create_handover
from notifications_api.app import create_app as create_notifications
from services.issuer import DevIssuer
from shared.db import migrations
from shared.messaging.memory import InMemoryPublisher
from tests.conftest import DatabaseFactory
from tests.integration.eligibility.conftest import make_settings as eligibility_settings
from tests.integration.handover.conftest import AGENCY, OTHER, handover_settings
from tests.integration.notifications.conftest import notifications_settings

pytestmark = [pytest.mark.postgres]

METHODS = ("get", "patch", "put", "post", "delete")
# Path parameters no client request alone creates: deliveries and invitations are made by
# the consumers from events, and a consultation needs an invitation (their foreign-
# organisation answers are tested in tests/integration/notifications).
NOT_CREATED_BY_REQUESTS = {"delivery_id", "invitation_id", "consultation_id"}
# Reads for service clients of any organisation by design (the service scope `contact:read`,
# never in an integration client's token, audited with a purpose): an integration client of
# another organisation gets 403 here, for lack of the scope.
SERVICE_READS = {"GET /v1/cases/{case_id}/contact"}
# GETs that answer 404 to the owner too in this setup: the notice's letter exists only
# once it is rendered, which needs handover_api's contact answer (not running here).
OWNER_404 = {"GET /v1/notices/{notice_id}/document"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _json_example(document: dict[str, Any], op: dict[str, Any]) -> Any:
    """The first documented example of an operation's JSON body (None without a body)."""
    content = op.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    if media is None:
        return None
    examples = media.get("examples")
    if examples:
        return next(iter(examples.values()))["value"]
    schema = media.get("schema", {})
    ref = schema.get("$ref") or next(
        (v["$ref"] for v in schema.get("anyOf", []) if "$ref" in v), None
    )
    if ref is not None:
        schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema.get("examples", [{}])[0]


async def _create(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), (path, response.text)
    created: dict[str, Any] = response.json()
    return created


def _id_operations(document: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(method, path template, id parameter names) of every operation with an id in its path."""
    found = []
    for path, item in document["paths"].items():
        names = re.findall(r"{([a-z_]+)}", path)
        if names:
            found += [(method, path, names) for method in METHODS if method in item]
    return found


def _query(document: dict[str, Any], op: dict[str, Any]) -> dict[str, str]:
    """A valid value for each required query parameter: its example or first enum value."""
    query: dict[str, str] = {}
    for param in op.get("parameters", []):
        if param["in"] != "query" or not param.get("required"):
            continue
        schema = param.get("schema", {})
        ref = schema.get("$ref")
        if ref is not None:
            schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        values = schema.get("examples") or schema.get("enum") or [param.get("example")]
        query[param["name"]] = str(values[0])
    return query


def _scopes(op: dict[str, Any]) -> list[str]:
    return sorted({scope for req in op.get("security", []) for s in req.values() for scope in s})


async def _probe(
    client: httpx.AsyncClient,
    document: dict[str, Any],
    ids: dict[str, str],
    issuer: DevIssuer,
    other_org: str = OTHER,
) -> tuple[list[str], list[str]]:
    """Call every id operation as B; return (checked, uncovered) operation keys.

    B's token carries exactly the scopes the operation asks for (service scopes such as
    `contact:read` included), so a 403 cannot stand in for the 404.
    """
    checked: list[str] = []
    uncovered: list[str] = []
    for method, template, names in _id_operations(document):
        key = f"{method.upper()} {template}"
        if any(name not in ids for name in names):
            uncovered.append(key)
            continue
        path = template.format(**{name: ids[name] for name in names})
        op = document["paths"][template][method]
        scopes = _scopes(op)
        other = {"Authorization": f"Bearer {issuer.token(other_org, scopes)}"}
        owner = {"Authorization": f"Bearer {issuer.token(AGENCY, scopes)}"}
        query = _query(document, op)
        kwargs: dict[str, Any] = {"headers": {**other, "If-Match": '"1"'}, "params": query}
        content = op.get("requestBody", {}).get("content", {})
        if "multipart/form-data" in content:
            kwargs["files"] = {"file": ("bescheid.pdf", PDF, "application/pdf")}
            kwargs["data"] = {"type": "ALG1_APPROVAL"}
        elif "application/json" in content:
            kwargs["json"] = _json_example(document, op)
        if key in SERVICE_READS:
            kwargs["headers"] = {"Authorization": f"Bearer {issuer.token(other_org)}"}
            response = await client.request(method.upper(), path, **kwargs)
            assert response.status_code == 403, (key, response.status_code, response.text)
            checked.append(key)
            continue
        response = await client.request(method.upper(), path, **kwargs)
        assert response.status_code == 404, (key, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json", key
        if method == "get" and key not in OWNER_404:
            mine = await client.get(path, headers=owner, params=query)
            assert mine.status_code == 200, (key, mine.status_code, mine.text)
        checked.append(key)
    return checked, uncovered


async def test_handover_api_answers_404_to_another_organisation(
    postgres_database: DatabaseFactory, issuer: DevIssuer, tmp_path: Path
) -> None:
    url = postgres_database("handover")
    await asyncio.to_thread(migrations.upgrade, "handover_api", url)
    app = create_handover(handover_settings(url, issuer, tmp_path), publisher=InMemoryPublisher())
    owner = {"Authorization": f"Bearer {issuer.token(AGENCY)}"}
    async with serving(app) as client:
        document = app.openapi()
        paths = document["paths"]
        case = await _create(
            client, "/v1/cases", _json_example(document, paths["/v1/cases"]["post"]), owner
        )
        uploaded = await client.post(
            f"/v1/cases/{case['id']}/documents",
            files={"file": ("bescheid.pdf", PDF, "application/pdf")},
            data={"type": "ALG1_APPROVAL"},
            headers=owner,
        )
        assert uploaded.status_code == 201, uploaded.text
        start = paths["/v1/cases/{case_id}/handovers"]["post"]
        handover = await _create(
            client, f"/v1/cases/{case['id']}/handovers", _json_example(document, start), owner
        )
        ids = {
            "case_id": case["id"],
            "document_id": uploaded.json()["id"],
            "handover_id": handover["id"],
        }
        checked, uncovered = await _probe(client, document, ids, issuer)
    assert uncovered == []
    assert len(checked) >= 15


async def test_eligibility_api_answers_404_to_another_organisation(
    postgres_database: DatabaseFactory, issuer: DevIssuer
) -> None:
    url = postgres_database("eligibility")
    await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)
    app = create_eligibility(
        eligibility_settings(url, issuer=issuer), publisher=InMemoryPublisher()
    )
    owner = {"Authorization": f"Bearer {issuer.token(AGENCY)}"}
    async with serving(app) as client:
        document = app.openapi()
        create = document["paths"]["/v1/eligibility/checks"]["post"]
        check = await _create(
            client, "/v1/eligibility/checks", _json_example(document, create), owner
        )
        checked, uncovered = await _probe(client, document, {"check_id": check["id"]}, issuer)
    assert uncovered == []
    assert checked == ["GET /v1/eligibility/checks/{check_id}"]


async def test_notifications_api_answers_404_to_another_organisation(
    postgres_database: DatabaseFactory, issuer: DevIssuer
) -> None:
    url = postgres_database("notifications")
    await asyncio.to_thread(migrations.upgrade, "notifications_api", url)
    app = create_notifications(notifications_settings(url, issuer), publisher=InMemoryPublisher())
    owner = {"Authorization": f"Bearer {issuer.token(AGENCY)}"}
    async with serving(app) as client:
        document = app.openapi()
        paths = document["paths"]
        created = {
            name: await _create(client, path, _json_example(document, paths[path]["post"]), owner)
            for name, path in (
                ("subscription_id", "/v1/subscriptions"),
                ("session_id", "/v1/info-sessions"),
                ("series_id", "/v1/info-session-series"),
                ("notice_id", "/v1/notices"),
            )
        }
        ids = {name: body["id"] for name, body in created.items()}
        checked, uncovered = await _probe(client, document, ids, issuer)
    assert all(any(name in key for name in NOT_CREATED_BY_REQUESTS) for key in uncovered), uncovered
    assert len(checked) >= 8


async def test_the_probe_fails_when_the_other_organisation_sees_the_resource(
    postgres_database: DatabaseFactory, issuer: DevIssuer
) -> None:
    url = postgres_database("eligibility")
    await asyncio.to_thread(migrations.upgrade, "eligibility_api", url)
    app = create_eligibility(
        eligibility_settings(url, issuer=issuer), publisher=InMemoryPublisher()
    )
    owner = {"Authorization": f"Bearer {issuer.token(AGENCY)}"}
    async with serving(app) as client:
        document = app.openapi()
        create = document["paths"]["/v1/eligibility/checks"]["post"]
        check = await _create(
            client, "/v1/eligibility/checks", _json_example(document, create), owner
        )
        with pytest.raises(AssertionError, match="check_id"):
            await _probe(client, document, {"check_id": check["id"]}, issuer, other_org=AGENCY)
