"""Fault suite fixtures; the suite runs only when tests/faults is named (`make test-faults`).

Plain `make test` collects `tests/` and deselects everything here: a fault scenario takes a
minute or more and stops processes on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from services.issuer import DevIssuer
from tests.conftest import BrokerHandle
from tests.faults.harness import FaultEnv, fault_env
from tests.faults.receiver import fault_receiver

HERE = Path(__file__).parent
FIGURES = pytest.StashKey[list[str]]()

FaultEnvFactory = Callable[..., FaultEnv]


def pytest_configure(config: pytest.Config) -> None:
    """Register the `faults` marker and the figures kept for the summary."""
    config.addinivalue_line("markers", "faults: fault-injection scenarios (make test-faults)")
    config.stash[FIGURES] = []


def _named_on_command_line(config: pytest.Config) -> bool:
    for arg in config.invocation_params.args:
        path = Path(config.invocation_params.dir, str(arg).split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every fault test; deselect them all unless tests/faults was named."""
    mine = [item for item in items if HERE in item.path.parents]
    for item in mine:
        item.add_marker(pytest.mark.faults)
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.kafka)
    if mine and not _named_on_command_line(config):
        config.hook.pytest_deselected(items=mine)
        chosen = set(map(id, mine))
        items[:] = [item for item in items if id(item) not in chosen]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeat every scenario's figures line at the end of the run."""
    lines = terminalreporter.config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("fault figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Print a line even without `-s` and keep it for the summary."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def emit(line: str) -> None:
        request.config.stash[FIGURES].append(line)
        if reporter is not None:
            reporter.write_line("")
            reporter.write_line(line)

    return emit


@pytest.fixture
def start_faults(
    broker: BrokerHandle,
    issuer: DevIssuer,
    tmp_path: Path,
    report: Callable[[str], None],
) -> Iterator[FaultEnvFactory]:
    """Start a scenario's world: own PostgreSQL, the three apps, a subscribed receiver."""
    with ExitStack() as stack:

        def start(name: str, seed: int, extra_env: dict[str, str] | None = None) -> FaultEnv:
            receiver = stack.enter_context(fault_receiver())
            return stack.enter_context(
                fault_env(
                    name=name,
                    seed=seed,
                    broker=broker,
                    issuer=issuer,
                    work_dir=tmp_path,
                    receiver=receiver,
                    report=report,
                    extra_env=extra_env,
                )
            )

        yield start
