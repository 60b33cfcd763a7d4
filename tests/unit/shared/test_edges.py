"""HTTP edges of every service: request ids, security headers, offline docs, redacted errors."""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import structlog
from fastapi import APIRouter, FastAPI

from eligibility_api.app import create_app as create_eligibility
from handover_api.app import create_app as create_handover
from notifications_api.app import create_app as create_notifications
from shared.docs import as_openapi_30
from shared.logging import configure_logging, describe_exception
from shared.settings import ServiceSettings
from shared.web import build_app

CANARY = "Kanarienvogel-7f3a"
_NULL = {"type": "null"}


@asynccontextmanager
async def no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


def make_app(**settings: object) -> FastAPI:
    router = APIRouter()

    @router.get("/ping")
    async def ping() -> dict[str, str]:
        return {"request_id": str(structlog.contextvars.get_contextvars().get("request_id"))}

    @router.get("/boom")
    async def boom() -> None:
        try:
            raise LookupError(f"row for {CANARY} missing")
        except LookupError as exc:
            raise RuntimeError(f"could not store {CANARY}") from exc

    return build_app(
        ServiceSettings(SERVICE_NAME=f"edges-{uuid.uuid4().hex[:8]}", **settings),  # type: ignore[arg-type]
        title="Beispiel",
        description="Beispiel",
        version="1",
        lifespan=no_lifespan,
        routers=[router],
    )


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app()) as client:
        yield client


class TestRequestId:
    @pytest.mark.parametrize(
        "offered", ["abc-123", "a" * 128, "trace:01.AB_c-9", "0af7651916cd43dd8448eb211c80319c"]
    )
    async def test_a_valid_id_is_used_and_echoed(
        self, client: httpx.AsyncClient, offered: str
    ) -> None:
        response = await client.get("/ping", headers={"X-Request-ID": offered})
        assert response.headers["x-request-id"] == offered
        assert response.json()["request_id"] == offered

    @pytest.mark.parametrize(
        "offered",
        [
            "a" * 4096,  # 4 KB
            "a" * 129,
            "abc\tdef",
            "abc\x7fdef",
            "abc def",
            "name=Müller",
            "Jürgen",
            "id/../1",
            "<script>",
            "",
        ],
    )
    async def test_an_invalid_id_is_replaced_by_a_fresh_one(
        self, client: httpx.AsyncClient, offered: str
    ) -> None:
        response = await client.get("/ping", headers=[(b"X-Request-ID", offered.encode("utf-8"))])
        used = response.headers["x-request-id"]
        assert used != offered
        assert re.fullmatch(r"[0-9a-f]{32}", used)
        assert response.json()["request_id"] == used


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/ping"),
            ("GET", "/metrics"),
            ("GET", "/openapi.json"),
            ("GET", "/docs"),
            ("GET", "/docs/static/swagger-ui.css"),
            ("GET", "/nowhere"),  # 404 problem
            ("GET", "/boom"),  # 500 problem
            ("POST", "/ping"),  # 405 problem
        ],
    )
    async def test_nosniff_on_every_response(
        self, client: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await client.request(method, path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers

    async def test_nosniff_on_a_body_refused_before_the_app(self) -> None:
        async with client_for(make_app(MAX_REQUEST_BYTES=10)) as client:
            response = await client.post("/ping", content=b"x" * 100)
        assert response.status_code == 413
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_hsts_in_production(self) -> None:
        app = make_app(ENVIRONMENT="prod", AUTH={"ISSUER": "https://login.example.de"})
        async with client_for(app) as client:
            for path in ("/ping", "/nowhere", "/openapi.json", "/metrics"):
                response = await client.get(path)
                assert response.headers["strict-transport-security"] == (
                    "max-age=31536000; includeSubDomains"
                )
                assert response.headers["x-content-type-options"] == "nosniff"


class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links.extend(v for k, v in attrs if k in ("src", "href") and v)


class TestDocs:
    async def test_swagger_ui_and_every_asset_come_from_the_app(
        self, client: httpx.AsyncClient
    ) -> None:
        page = await client.get("/docs")
        assert page.status_code == 200
        html = page.text
        # No absolute or protocol-relative URL anywhere in the page: nothing from a CDN.
        assert not re.search(r"(https?:)?//[A-Za-z0-9]", html), html
        collector = LinkCollector()
        collector.feed(html)
        spec_url = re.search(r"url: '([^']+)'", html)
        assert spec_url is not None
        assets = [*collector.links, spec_url.group(1)]
        assert {"/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"} <= set(assets)
        for asset in assets:
            url = urljoin("http://test/docs", asset)
            assert urlsplit(url).netloc == "test"
            response = await client.get(url)
            assert response.status_code == 200, asset
            assert response.content
        document = (await client.get("/docs/openapi.json")).json()
        assert document["openapi"] == "3.0.3"  # the version the bundled Swagger UI reads
        original = (await client.get("/openapi.json")).json()
        assert original["openapi"].startswith("3.1")
        assert document["paths"].keys() == original["paths"].keys()

    async def test_swagger_ui_turns_off_the_online_validator(
        self, client: httpx.AsyncClient
    ) -> None:
        assert '"validatorUrl": null' in (await client.get("/docs")).text

    async def test_redoc_is_not_served(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/redoc")).status_code == 404

    @pytest.mark.parametrize("path", ["/docs", "/docs/static/swagger-ui-bundle.js", "/redoc"])
    async def test_docs_are_off_in_production(self, path: str) -> None:
        app = make_app(ENVIRONMENT="prod", AUTH={"ISSUER": "https://login.example.de"})
        async with client_for(app) as client:
            assert (await client.get(path)).status_code == 404
            assert (await client.get("/openapi.json")).status_code == 200

    async def test_docs_in_production_when_enabled(self) -> None:
        app = make_app(
            ENVIRONMENT="prod", DOCS_UI=True, AUTH={"ISSUER": "https://login.example.de"}
        )
        async with client_for(app) as client:
            assert (await client.get("/docs")).status_code == 200

    async def test_docs_can_be_turned_off_outside_production(self) -> None:
        async with client_for(make_app(DOCS_UI=False)) as client:
            assert (await client.get("/docs")).status_code == 404


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("edges", "INFO", json=True)
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


class TestUnexpectedErrors:
    async def test_the_500_log_line_and_problem_carry_no_message(
        self, captured_logs: io.StringIO
    ) -> None:
        async with client_for(make_app()) as client:
            response = await client.get("/boom")
        assert response.status_code == 500
        assert CANARY not in response.text
        err = captured_logs.getvalue()
        assert "http.unhandled_error" in err
        assert "RuntimeError" in err
        assert "LookupError" in err
        assert "in boom" in err
        assert CANARY not in err

    def test_describe_exception_names_types_frames_and_sqlstate_only(self) -> None:
        class Orig(Exception):
            sqlstate = "22021"

        class DBError(Exception):
            orig = Orig()

        try:
            raise DBError(f"INSERT ... parameters: ('{CANARY}',)")
        except DBError as exc:
            text = describe_exception(exc)
        assert CANARY not in text
        assert "DBError (SQLSTATE 22021)" in text
        assert "test_describe_exception_names_types_frames_and_sqlstate_only" in text


def _nodes(value: object) -> Iterator[dict[str, object]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)


class TestOpenApi30ForSwaggerUi:
    def test_null_alternatives_become_nullable(self) -> None:
        document = {
            "openapi": "3.1.0",
            "components": {
                "schemas": {
                    "A": {
                        "properties": {
                            "s": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "S"},
                            "r": {"anyOf": [{"$ref": "#/c/B"}, {"type": "null"}]},
                            "u": {"anyOf": [{"type": "integer"}, {"type": "string"}, _NULL]},
                            "d": {"$ref": "#/c/B", "description": "Beschreibung"},
                            "e": {"type": "string", "examples": ["Witten"]},
                        },
                    }
                }
            },
        }
        converted = as_openapi_30(document)
        properties = converted["components"]["schemas"]["A"]["properties"]
        assert properties["s"] == {"type": "string", "title": "S", "nullable": True}
        assert properties["r"] == {"allOf": [{"$ref": "#/c/B"}], "nullable": True}
        assert properties["u"] == {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "nullable": True,
        }
        assert properties["d"] == {"allOf": [{"$ref": "#/c/B"}], "description": "Beschreibung"}
        assert properties["e"] == {"type": "string", "example": "Witten"}
        assert document["openapi"] == "3.1.0"  # the original is untouched

    @pytest.mark.parametrize("service", ["handover_api", "eligibility_api", "notifications_api"])
    def test_the_services_documents_carry_no_31_only_forms(self, service: str) -> None:
        apps: dict[str, Callable[[], FastAPI]] = {
            "handover_api": create_handover,
            "eligibility_api": create_eligibility,
            "notifications_api": create_notifications,
        }
        original = apps[service]().openapi()
        converted = as_openapi_30(original)
        assert converted["paths"].keys() == original["paths"].keys()
        for node in _nodes(converted):
            assert node != _NULL
            assert not ("$ref" in node and len(node) > 1), node
            assert not isinstance(node.get("examples"), list), node
            assert "contentMediaType" not in node


def test_dlq_error_summary_names_fields_and_types_never_input() -> None:
    from pydantic import BaseModel, ValidationError

    from shared.logging import error_summary

    class Body(BaseModel):
        birth_date: int

    with pytest.raises(ValidationError) as invalid:
        Body.model_validate({"birth_date": "Erika Mustermann 1970"})
    assert error_summary(invalid.value) == "ValidationError: birth_date: int_parsing"
    assert error_summary(KeyError("Erika Mustermann")) == "builtins.KeyError"
