"""Offline API docs: Swagger UI from the `swagger-ui-bundle` package, no CDN.

The packaged Swagger UI (4.15) reads OpenAPI 3.0 only, while the apps publish OpenAPI 3.1 at
/openapi.json. /docs therefore loads /docs/openapi.json, the same document written in 3.0
terms (`nullable` for null alternatives, `example` for schema example lists, `$ref` siblings
under `allOf`). ReDoc has no packaged assets here, so /redoc is not served.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

DOCS_STATIC_PATH = "/docs/static"
_NULL = {"type": "null"}


def as_openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.1 document as Swagger UI 4 reads it (a copy; the original is untouched)."""
    converted: dict[str, Any] = _convert(document)
    converted["openapi"] = "3.0.3"
    return converted


def _convert(value: Any) -> Any:
    if isinstance(value, list):
        return [_convert(item) for item in value]
    if not isinstance(value, dict):
        return value
    node = {key: _convert(item) for key, item in value.items()}
    alternatives = node.get("anyOf")
    if isinstance(alternatives, list) and _NULL in alternatives:
        rest = [item for item in alternatives if item != _NULL]
        del node["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            node = {**rest[0], **node}
        else:
            node["allOf" if len(rest) == 1 else "anyOf"] = rest
        node["nullable"] = True
    elif "$ref" in node and len(node) > 1:
        # OpenAPI 3.0 ignores the siblings of a $ref (a description, a default).
        node = {"allOf": [{"$ref": node.pop("$ref")}], **node}
    examples = node.get("examples")
    if isinstance(examples, list):  # a schema's examples (media types use a map)
        del node["examples"]
        if examples:
            node.setdefault("example", examples[0])
    if "contentMediaType" in node:
        del node["contentMediaType"]
        node.setdefault("format", "binary")
    return node


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from the app itself."""
    app.mount(DOCS_STATIC_PATH, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get("/docs/openapi.json", include_in_schema=False)
    async def docs_openapi() -> JSONResponse:
        return JSONResponse(as_openapi_30(app.openapi()))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/docs/openapi.json",
            title=f"{app.title} – API",
            swagger_js_url=f"{DOCS_STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC_PATH}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            # No call to validator.swagger.io from the browser.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def docs_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
