"""The publishing port both the Kafka adapter and the in-memory fake implement."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol


class Publisher(Protocol):
    """Publishes records: `publish` waits for the broker's ack, `send` pipelines.

    `send` returns once the record is queued for the broker, with an awaitable that ends
    when the broker acknowledged it (or raises why not). Records of one partition are
    written in the order they were sent.
    """

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None: ...

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> Awaitable[object]: ...

    async def ping(self) -> bool: ...
