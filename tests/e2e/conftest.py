"""End-to-end fixtures: the three apps as real processes against the real broker."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest

from services.issuer import DevIssuer
from tests.conftest import BrokerHandle, DatabaseFactory
from tests.e2e.stack import RunningStack, start_stack

StackFactory = Callable[..., RunningStack]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e carries the `e2e` and `kafka` markers."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.kafka)


@pytest.fixture
def stack_factory(
    broker: BrokerHandle,
    issuer: DevIssuer,
    postgres_database: DatabaseFactory,
    tmp_path: Path,
) -> Iterator[StackFactory]:
    """Start stacks (optionally a subset of services) with fresh databases; stopped afterwards."""
    counter = itertools.count()
    with ExitStack() as started:

        def make(
            services: Sequence[str] | None = None,
            extra_env: dict[str, str] | None = None,
            ready_timeout: float = 90.0,
        ) -> RunningStack:
            work_dir = tmp_path / f"stack-{next(counter)}"
            work_dir.mkdir()
            return started.enter_context(
                start_stack(
                    bootstrap_servers=broker.bootstrap_servers,
                    issuer=issuer,
                    database_url=postgres_database,
                    work_dir=work_dir,
                    services=services,
                    ready_timeout=ready_timeout,
                    extra_env=extra_env,
                )
            )

        yield make


@pytest.fixture
def stack(stack_factory: StackFactory) -> RunningStack:
    """handover_api, eligibility_api and notifications_api running against the test broker."""
    return stack_factory()
