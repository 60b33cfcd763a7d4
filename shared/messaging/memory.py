"""In-memory publisher with recorded publishes, for fast unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PublishedRecord:
    """One record as it was handed to the broker."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


@dataclass
class InMemoryPublisher:
    """Acknowledges every publish at once, or fails while `down` is set."""

    records: list[PublishedRecord] = field(default_factory=list)
    down: bool = False

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        """Record the publish, or raise while the fake broker is down."""
        if self.down:
            raise ConnectionError("in-memory broker is down")
        self.records.append(PublishedRecord(topic, key, value, tuple(headers)))

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> Awaitable[object]:
        """Queue the record; the returned future holds its acknowledgement."""
        if self.down:
            raise ConnectionError("in-memory broker is down")
        self.records.append(PublishedRecord(topic, key, value, tuple(headers)))
        ack: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        ack.set_result(None)
        return ack

    async def ping(self) -> bool:
        """Up unless `down`."""
        return not self.down

    def on_topic(self, topic: str) -> list[PublishedRecord]:
        """Records published to `topic`, in order."""
        return [r for r in self.records if r.topic == topic]
