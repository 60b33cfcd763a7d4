"""A lean HTTP/1.1 keep-alive client, so the benchmark measures the server and not httpx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    """Status and body of one response."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def encode_request(
    method: str,
    host: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes = b"",
    content_type: str = "application/json",
) -> bytes:
    """One request as bytes on the wire."""
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines += [f"content-type: {content_type}", f"content-length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection; a request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, base_url: str) -> Connection:
        """Connect to the host and port of `base_url`."""
        parts = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> Answer:
        """Send a request, read its whole response (content-length or chunked)."""
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, body)

    async def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    async def close(self) -> None:
        """Close the connection."""
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


@dataclass
class ClosedLoopResult:
    """Requests/s of a closed loop and what it was answered."""

    requests: int
    concurrency: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> int:
        """2xx answers."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


async def closed_loop(
    base_url: str,
    make_request: Callable[[int], bytes],
    *,
    requests: int,
    concurrency: int,
    timeout: float = 30.0,
    on_answer: Callable[[int, Answer], None] | None = None,
) -> ClosedLoopResult:
    """`requests` requests over `concurrency` connections, each sent when the last returned."""
    result = ClosedLoopResult(requests=requests, concurrency=concurrency, seconds=0.0)
    counter = iter(range(requests))

    async def worker() -> None:
        connection = await Connection.open(base_url)
        try:
            for index in counter:
                sent = time.perf_counter()
                answer = await asyncio.wait_for(connection.exchange(make_request(index)), timeout)
                result.latencies.append(time.perf_counter() - sent)
                result.statuses[answer.status] = result.statuses.get(answer.status, 0) + 1
                if on_answer is not None:
                    on_answer(index, answer)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
    result.seconds = time.perf_counter() - started
    return result
