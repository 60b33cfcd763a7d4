"""Typed service state: the shared dependencies read named fields of the state (no I/O)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from shared.auth import TokenVerifier
from shared.db.session import create_session_factory
from shared.db.uow import UnitOfWork
from shared.messaging.memory import InMemoryPublisher
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from shared.web import ServiceDependencies, ServiceState, install_state


class ExampleSettings(ServiceSettings):
    """Settings of the example service."""

    GREETING: str = "moin"


class ExampleUnitOfWork(UnitOfWork):
    """The example service's unit of work (never entered here)."""


@dataclass(frozen=True)
class ExampleState(ServiceState[ExampleSettings, ExampleUnitOfWork]):
    """The example service's own resource next to the shared fields."""

    greeter: str


service = ServiceDependencies(ExampleState, {"example:read": "Read examples"})
StateDep = Annotated[ExampleState, Depends(service.state)]
SettingsDep = Annotated[ExampleSettings, Depends(service.settings)]
UowDep = Annotated[ExampleUnitOfWork, Depends(service.uow)]
RuntimeDep = Annotated[Runtime, Depends(service.runtime)]


def example_state(settings: ExampleSettings) -> ExampleState:
    # Building an engine and a session factory connects to nothing.
    engine = create_async_engine("postgresql+psycopg://example@127.0.0.1:9/example")
    sessions = create_session_factory(engine)
    signal = asyncio.Event()
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        publisher=InMemoryPublisher(),
        verifier=TokenVerifier(settings.AUTH),
        outbox_signal=signal,
        make_uow=lambda: ExampleUnitOfWork(sessions, signal),
    )
    return ExampleState(
        runtime=runtime,
        settings=settings,
        make_uow=lambda: ExampleUnitOfWork(sessions, signal),
        greeter="hagen",
    )


class Seen:
    """What the route received from its dependencies."""

    def __init__(self) -> None:
        self.uows: list[ExampleUnitOfWork] = []
        self.settings: list[ExampleSettings] = []
        self.runtimes: list[Runtime] = []


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, ExampleState, Seen]]:
    state = example_state(ExampleSettings(GREETING="servus"))
    seen = Seen()
    app = FastAPI()

    @app.get("/greeting")
    async def greeting(
        state: StateDep, settings: SettingsDep, uow: UowDep, runtime: RuntimeDep
    ) -> dict[str, str]:
        seen.uows.append(uow)
        seen.settings.append(settings)
        seen.runtimes.append(runtime)
        return {"greeting": settings.GREETING, "greeter": state.greeter}

    install_state(app, state)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, state, seen
    await state.runtime.engine.dispose()


class TestServiceDependencies:
    async def test_settings_and_own_fields_come_from_the_installed_state(
        self, served: tuple[httpx.AsyncClient, ExampleState, Seen]
    ) -> None:
        client, state, seen = served
        response = await client.get("/greeting")
        assert response.status_code == 200
        assert response.json() == {"greeting": "servus", "greeter": "hagen"}
        assert seen.settings == [state.settings]
        assert seen.runtimes[0] is state.runtime

    async def test_each_request_gets_a_fresh_unit_of_work_of_the_service_type(
        self, served: tuple[httpx.AsyncClient, ExampleState, Seen]
    ) -> None:
        client, _, seen = served
        for _ in range(2):
            assert (await client.get("/greeting")).status_code == 200
        assert [type(uow) for uow in seen.uows] == [ExampleUnitOfWork, ExampleUnitOfWork]
        assert seen.uows[0] is not seen.uows[1]

    def test_the_state_is_frozen(self) -> None:
        state = example_state(ExampleSettings())
        with pytest.raises(dataclasses.FrozenInstanceError):
            state.greeter = "ahlen"  # type: ignore[misc]

    def test_the_runtime_and_auth_see_the_same_runtime(self) -> None:
        app = FastAPI()
        state = example_state(ExampleSettings())
        install_state(app, state)
        assert app.state.service is state
        assert app.state.runtime is state.runtime


class TestServiceStates:
    """A service's resources are named fields of its state, not a string-keyed mapping."""

    def test_runtime_has_no_string_keyed_resources(self) -> None:
        assert "resources" not in {f.name for f in dataclasses.fields(Runtime)}
