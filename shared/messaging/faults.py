"""Which failures are the infrastructure's (retry in place) and which the message's (DLQ)."""

from __future__ import annotations

import random
from collections.abc import Callable

import psycopg
from aiokafka.errors import KafkaError
from sqlalchemy import exc as sa

# File-system errors name a missing or forbidden path: retrying does not make them pass.
_DETERMINISTIC_OS_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)
# A bound on the cause chain, in case of a cycle.
_MAX_CHAIN = 16


def is_infrastructure_error(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) is a database, network or broker fault.

    Such a failure says nothing about the message: it must not count toward dead-lettering.
    """
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < _MAX_CHAIN:
        if _is_infrastructure(current):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


def _is_infrastructure(exc: BaseException) -> bool:
    if isinstance(exc, sa.DBAPIError):
        # OperationalError and InterfaceError are the driver's "cannot talk to the server"
        # family; any other DBAPIError (IntegrityError, DataError, ...) is about the data,
        # unless the connection was invalidated under it.
        return exc.connection_invalidated or isinstance(
            exc, sa.OperationalError | sa.InterfaceError
        )
    if isinstance(exc, sa.DisconnectionError | sa.TimeoutError):
        return True
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(exc, KafkaError):
        return True
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, _DETERMINISTIC_OS_ERRORS)


def backoff_delay(
    attempt: int,
    initial: float,
    maximum: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Capped exponential backoff with jitter for retry number `attempt` (1, 2, ...).

    Half of the delay is fixed and half random, so replicas that failed together do not
    retry in lockstep, and no delay is shorter than half its step.
    """
    step: float = min(maximum, initial * 2.0 ** max(0, min(attempt - 1, 32)))
    return step / 2 + rand() * step / 2
