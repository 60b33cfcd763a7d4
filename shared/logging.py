"""Structured logging: structlog routed through stdlib so every library shares one format."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType
from typing import Any

import structlog
from pydantic import ValidationError

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

_SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def _exc_info(value: Any) -> ExcInfo | None:
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and value[1] is not None:
        return value
    if value is True:
        current = sys.exc_info()
        if current[1] is not None:
            return current
    return None


def describe_exception(exc: BaseException) -> str:
    """A traceback with frames and exception types only, never the exceptions' messages.

    Messages carry data: a database error names the statement's values or the row that
    conflicted (`Key (kundennummer)=(...) already exists`), a validation error the input.
    The types, frames and the SQLSTATE are enough to find the fault.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    parts: list[str] = []
    for item in reversed(chain):
        frames = traceback.extract_tb(item.__traceback__)
        lines = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
        kind = f"{type(item).__module__}.{type(item).__qualname__}"
        sqlstate = getattr(getattr(item, "orig", None), "sqlstate", None) or getattr(
            item, "sqlstate", None
        )
        if isinstance(sqlstate, str):
            kind += f" (SQLSTATE {sqlstate})"
        parts.append("\n".join(["Traceback (most recent call last):", *lines, kind]))
    return "\n\nwhich caused:\n\n".join(parts)


def error_summary(exc: BaseException) -> str:
    """One line for a record's DLQ header: the exception types (with SQLSTATE) and, for a
    validation error, the failing field locations and error kinds; never a message or input.
    """
    if isinstance(exc, ValidationError):
        fields = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['type']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        return f"{type(exc).__qualname__}: {fields}"
    return describe_exception(exc).rsplit("\n", 1)[-1].strip()


def redact_exc_info(
    _logger: Any, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Render `exc_info` as `exception` without messages (in place of `format_exc_info`)."""
    value = event_dict.pop("exc_info", None)
    exc_info = _exc_info(value)
    if exc_info is not None:
        event_dict["exception"] = describe_exception(exc_info[1])
        event_dict.setdefault("error", type(exc_info[1]).__name__)
    return event_dict


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog and stdlib logging once per process."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "sqlalchemy.engine", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structured logger; event names are dotted snake_case."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
