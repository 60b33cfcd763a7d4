"""Which consumer failures wait for the infrastructure and which dead-letter the message."""

from __future__ import annotations

import errno

import psycopg
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, RequestTimedOutError
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa

from shared.messaging.faults import backoff_delay, is_infrastructure_error


def _validation_error() -> ValidationError:
    class Model(BaseModel):
        n: int

    try:
        Model.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("unreachable")


def _raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as exc:
        return exc


class TestInfrastructureErrors:
    """Database, network and broker failures never count toward dead-lettering."""

    @pytest.mark.parametrize(
        "error",
        [
            sa.OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed")),
            sa.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection closed")),
            sa.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
            sa.TimeoutError("QueuePool limit reached"),
            sa.DisconnectionError("pre-ping failed"),
            psycopg.OperationalError("connection refused"),
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
            ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
            ConnectionResetError(errno.ECONNRESET, "reset"),
            OSError(errno.EHOSTUNREACH, "no route to host"),
            TimeoutError(),
            KafkaConnectionError(),
            KafkaTimeoutError(),
            RequestTimedOutError(),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_is_retried_in_place(self, error: BaseException) -> None:
        assert is_infrastructure_error(error) is True

    def test_a_wrapped_database_outage_is_still_infrastructure(self) -> None:
        wrapped = _raised_from(RuntimeError("could not load the case"), ConnectionResetError())
        assert is_infrastructure_error(wrapped) is True


class TestDeterministicErrors:
    """Errors about the message itself go to the DLQ after bounded attempts."""

    @pytest.mark.parametrize(
        "error",
        [
            _validation_error(),
            ValueError("date out of range"),
            OverflowError("date value out of range"),
            KeyError("missing"),
            RuntimeError("invariant violated"),
            sa.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")),
            sa.DataError("INSERT", {}, psycopg.errors.NumericValueOutOfRange("out of range")),
            sa.DBAPIError("SELECT 1", {}, Exception("bad"), connection_invalidated=False),
            FileNotFoundError(errno.ENOENT, "no such blob"),
            PermissionError(errno.EACCES, "denied"),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_counts_toward_dead_lettering(self, error: BaseException) -> None:
        assert is_infrastructure_error(error) is False

    def test_a_cause_chain_that_loops_ends(self) -> None:
        first, second = RuntimeError("a"), RuntimeError("b")
        first.__cause__, second.__cause__ = second, first
        assert is_infrastructure_error(first) is False


class TestBackoff:
    """Capped exponential backoff with jitter."""

    def test_doubles_until_the_cap(self) -> None:
        steps = [backoff_delay(n, 0.25, 5.0, rand=lambda: 1.0) for n in range(1, 9)]
        assert steps == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]

    def test_jitter_keeps_at_least_half_the_step(self) -> None:
        assert backoff_delay(3, 0.25, 5.0, rand=lambda: 0.0) == 0.5
        assert backoff_delay(3, 0.25, 5.0, rand=lambda: 0.5) == 0.75

    def test_huge_attempt_numbers_stay_capped(self) -> None:
        assert backoff_delay(10_000, 0.25, 5.0, rand=lambda: 1.0) == 5.0


class TestGroupInstanceIds:
    """Static membership ids are stable per replica and never shared by two live members."""

    def test_default_names_service_group_host_and_port(self) -> None:
        import socket

        from shared.messaging.consumer import default_instance_id

        assert default_instance_id("handover_api", "g", 8001) == (
            f"handover_api-g-{socket.gethostname()}-8001"
        )

    def test_replicas_in_one_process_get_distinct_ids(self) -> None:
        from shared.messaging.consumer import _instance_ids_in_use, claim_instance_id

        base = "svc-group-host-1"
        first, second = claim_instance_id(base), claim_instance_id(base)
        try:
            assert (first, second) == (base, f"{base}-2")
        finally:
            _instance_ids_in_use.difference_update({first, second})
        assert claim_instance_id(base) == base, "a released id is the replica's again"
        _instance_ids_in_use.discard(base)
