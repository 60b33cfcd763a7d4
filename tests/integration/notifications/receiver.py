"""A real webhook receiver on 127.0.0.1: a tiny HTTP/1.1 server on asyncio streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


# Runs after a request was read and before it is answered (e.g. to inject a fault).
BeforeAnswer = Callable[[ReceivedRequest], Awaitable[None]]


@dataclass
class LocalReceiver:
    """Answers with the scripted statuses in order (then 200); `delay` stalls each answer."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    answered: list[ReceivedRequest] = field(default_factory=list)
    port: int = 0
    before_answer: BeforeAnswer | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    async def wait_answered(self, count: int, timeout: float = 10.0) -> None:
        """Return once `count` requests were answered; fail after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while len(self.answered) < count:
                self._changed.clear()
                await self._changed.wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self.statuses.pop(0) if self.statuses else 200
            request = ReceivedRequest(method, path, headers, body, status)
            self.requests.append(request)
            if self.before_answer is not None:
                await self.before_answer(request)
            if self.delay:
                await asyncio.sleep(self.delay)
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
            self.answered.append(request)
            self._changed.set()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def local_receiver(
    statuses: list[int] | None = None, delay: float = 0.0
) -> AsyncIterator[LocalReceiver]:
    """Serve a receiver on a free loopback port for the duration of the block."""
    receiver = LocalReceiver(statuses=list(statuses or []), delay=delay)
    server = await asyncio.start_server(receiver._handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
