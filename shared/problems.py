"""RFC 9457 problem details: one mapping from exception class to status, type and title."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.logging import get_logger
from shared.openapi import derive_examples, restore_example_nulls

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:handover-broker:problem:"

log = get_logger(__name__)


class FieldError(BaseModel):
    """One invalid field in a request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "loc": ["body", "person", "birth_date"],
                    "msg": "Input should be a valid date",
                    "type": "date_parsing",
                }
            ]
        }
    )

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": f"{PROBLEM_BASE}not-found",
                    "title": "Resource not found",
                    "status": 404,
                    "detail": "case not found",
                    "instance": "/v1/cases/0b6c5a8e-3f2d-4c1e-9a7b-2d4e6f8a1c3e",
                },
                {
                    "type": f"{PROBLEM_BASE}validation-error",
                    "title": "Request validation failed",
                    "status": 422,
                    "detail": "1 invalid field(s)",
                    "instance": "/v1/cases",
                    "errors": [
                        {
                            "loc": ["body", "person", "birth_date"],
                            "msg": "Input should be a valid date",
                            "type": "date_parsing",
                        }
                    ],
                },
            ]
        }
    )

    type: str = Field(examples=[f"{PROBLEM_BASE}not-found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


@dataclass(frozen=True)
class ProblemSpec:
    """How one exception class appears over HTTP."""

    status: int
    slug: str
    title: str
    headers: Mapping[str, str] | None = None


class ApplicationError(Exception):
    """Base for expected errors raised by use cases and shared code."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ApplicationError):
    """The resource does not exist or is not visible to the caller."""


class Conflict(ApplicationError):
    """The request conflicts with the current state."""


class PreconditionFailed(ApplicationError):
    """The If-Match header does not match the current ETag."""


class PreconditionRequired(ApplicationError):
    """The update needs an If-Match header."""


class PayloadTooLarge(ApplicationError):
    """The request body exceeds its size limit."""


class UnsupportedMediaType(ApplicationError):
    """The uploaded content is not of an accepted media type."""


class Unauthorized(ApplicationError):
    """Missing or invalid credentials."""


class Forbidden(ApplicationError):
    """The token lacks a required scope."""


class InvalidCursor(ApplicationError):
    """The pagination cursor was not issued by this API."""


class IdempotencyKeyReused(ApplicationError):
    """The Idempotency-Key was used before with another request body."""


class IdempotencyKeyInProgress(ApplicationError):
    """A request with the same Idempotency-Key is still being processed."""


class InputOutOfRange(ApplicationError):
    """The input is well-formed but outside what the service can compute with."""


BASE_PROBLEMS: dict[type[Exception], ProblemSpec] = {
    NotFound: ProblemSpec(404, "not-found", "Resource not found"),
    Conflict: ProblemSpec(409, "conflict", "Conflict with the current state"),
    PreconditionFailed: ProblemSpec(412, "precondition-failed", "ETag does not match"),
    PreconditionRequired: ProblemSpec(428, "precondition-required", "If-Match header required"),
    PayloadTooLarge: ProblemSpec(413, "payload-too-large", "Payload too large"),
    UnsupportedMediaType: ProblemSpec(415, "unsupported-media-type", "Unsupported media type"),
    Unauthorized: ProblemSpec(401, "unauthorized", "Authentication required"),
    Forbidden: ProblemSpec(403, "forbidden", "Insufficient scope"),
    InvalidCursor: ProblemSpec(400, "invalid-cursor", "Invalid cursor"),
    IdempotencyKeyReused: ProblemSpec(
        422, "idempotency-key-reused", "Idempotency-Key reused with another request"
    ),
    IdempotencyKeyInProgress: ProblemSpec(
        409,
        "idempotency-key-in-progress",
        "Request with this Idempotency-Key in progress",
        headers={"Retry-After": "1"},
    ),
    InputOutOfRange: ProblemSpec(422, "input-out-of-range", "Input outside the supported range"),
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Build an application/problem+json response (with extension members, if any)."""
    body = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=list(errors) if errors is not None else None,
    )
    content = body.model_dump(exclude_none=True)
    for name, value in (extensions or {}).items():
        content.setdefault(name, value)
    return JSONResponse(
        content,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def _lookup(mapping: Mapping[type[Exception], ProblemSpec], exc: Exception) -> ProblemSpec | None:
    for cls in type(exc).__mro__:
        spec = mapping.get(cls)
        if spec is not None:
            return spec
    return None


def install_problem_handlers(
    app: FastAPI, extra: Mapping[type[Exception], ProblemSpec] | None = None
) -> None:
    """Register one handler per error family; the mapping stays at the edge."""
    mapping: dict[type[Exception], ProblemSpec] = {**BASE_PROBLEMS, **(extra or {})}

    async def on_known(request: Request, exc: Exception) -> JSONResponse:
        spec = _lookup(mapping, exc)
        if spec is None:  # pragma: no cover - registered only for mapped classes
            raise exc
        headers = dict(spec.headers or {})
        if spec.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        detail = getattr(exc, "detail", None) or str(exc) or None
        # An error may name RFC 9457 extension members (e.g. the competent organisation).
        extensions = getattr(exc, "problem_extensions", None)
        return problem_response(
            spec.status,
            spec.slug,
            spec.title,
            detail,
            instance=request.url.path,
            headers=headers,
            extensions=extensions if isinstance(extensions, Mapping) else None,
        )

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, RequestValidationError):
            raise TypeError("validation handler got another exception")
        errors = [
            FieldError(loc=list(e.get("loc", ())), msg=str(e.get("msg", "")), type=str(e["type"]))
            for e in exc.errors()
        ]
        return problem_response(
            422,
            "validation-error",
            "Request validation failed",
            f"{len(errors)} invalid field(s)",
            instance=request.url.path,
            errors=errors,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, StarletteHTTPException):
            raise TypeError("HTTP handler got another exception")
        phrase = HTTPStatus(exc.status_code).phrase
        slug = phrase.lower().replace(" ", "-").replace("'", "")
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
        return problem_response(
            exc.status_code,
            slug,
            phrase,
            detail,
            instance=request.url.path,
            headers=exc.headers,
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The route template, not the path or query, and the exception without its message
        # (see shared.logging.redact_exc_info): neither may carry data about a person.
        route = request.scope.get("route")
        log.error(
            "http.unhandled_error",
            method=request.method,
            route=getattr(route, "path", "unmatched"),
            error=type(exc).__name__,
            exc_info=exc,
        )
        return problem_response(
            500, "internal-error", "Internal server error", instance=request.url.path
        )

    for cls in mapping:
        app.add_exception_handler(cls, on_known)
    document_problems_in_openapi(app)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers.

    `model` registers the Problem component; `document_problems_in_openapi` then moves its
    schema under `application/problem+json`, the media type these answers carry.
    """
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        for status in statuses
    }


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
# The paths the rate limit leaves out (shared.ratelimit.EXEMPT_PREFIXES, which imports this
# module); every other operation may answer 429 where the limit is on (production default).
RATE_LIMIT_EXEMPT = ("/health/", "/metrics")
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request",
        "schema": {"type": "integer"},
    }
}


def document_problems_in_openapi(app: FastAPI) -> None:
    """Make the app's OpenAPI document say what its error answers are, once for all routes.

    FastAPI documents a 422 `HTTPValidationError` in `application/json` on every operation
    with parameters or a body; the handlers above answer every error, 422 included, as
    `application/problem+json` with the Problem schema (field errors under `errors`). This
    rewrites each 4xx response to that media type and schema and drops FastAPI's validation
    components. It also adds the answers every operation gives whatever its route declares:
    401 (and 403 with scopes) when it is protected, 400 with a `cursor` parameter, 400 (a
    body that does not parse) and 413 (the body limit middleware) with a request body, and
    429 with `Retry-After` outside the rate limit's exempt paths.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI caches the document it generates; it is rewritten once, when first built.
        if app.openapi_schema is None:
            document = generate()
            _document_problems(document)
            restore_example_nulls(document)
            derive_examples(document)
        return app.openapi_schema if app.openapi_schema is not None else generate()

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}


def _document_problems(document: dict[str, Any]) -> None:
    components = document.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    if "Problem" not in schemas:
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            params = op.get("parameters", [])
            added: list[int] = []
            if op.get("security"):
                added.append(401)
                if any(scopes for req in op["security"] for scopes in req.values()):
                    added.append(403)
            if any(p.get("in") == "query" and p.get("name") == "cursor" for p in params):
                added.append(400)
            if "requestBody" in op:
                # A body that is no JSON at all is a 400 (FastAPI), one too big a 413.
                added += [400, 413]
            if not path.startswith(RATE_LIMIT_EXEMPT):
                added.append(429)
                responses.setdefault(
                    "429", {"description": "Too Many Requests", "headers": _RETRY_AFTER}
                )
            for status in added:
                responses.setdefault(str(status), {"description": HTTPStatus(status).phrase})
            for code, response in responses.items():
                if not (code.isdigit() and 400 <= int(code) < 500):
                    continue
                response["content"] = _problem_content()
                if response.get("description") == "Validation Error":
                    response["description"] = "Request validation failed (field errors in `errors`)"
            op["responses"] = dict(sorted(responses.items()))
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
