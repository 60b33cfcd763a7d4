"""The publishing port both the Kafka adapter and the in-memory fake implement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Publisher(Protocol):
    """Publishes one record and returns only after the broker acknowledged it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None: ...

    async def ping(self) -> bool: ...
