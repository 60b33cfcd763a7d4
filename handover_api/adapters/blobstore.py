"""Content-addressed blob store on the filesystem; sha256 is computed while streaming."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio


class BlobTooLarge(Exception):
    """The stream exceeded the size limit."""


@dataclass(frozen=True)
class StoredBlob:
    """A blob's address and size."""

    sha256: str
    size: int
    head: bytes


class BlobStore(Protocol):
    """Where document content lives; metadata stays in the database."""

    async def put(self, chunks: AsyncIterable[bytes], max_bytes: int) -> StoredBlob: ...

    def open(self, sha256: str) -> AsyncIterator[bytes]: ...

    async def exists(self, sha256: str) -> bool: ...


class FileBlobStore:
    """Blobs under `root/ab/cdef...`; writes go to a temp file and are renamed atomically."""

    CHUNK = 64 * 1024

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self._root / sha256[:2] / sha256[2:]

    async def put(self, chunks: AsyncIterable[bytes], max_bytes: int) -> StoredBlob:
        """Stream into the store; raises BlobTooLarge past `max_bytes` (nothing is kept)."""
        await anyio.Path(self._root).mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self._root, prefix=".upload-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as raw:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge(f"document exceeds {max_bytes} bytes")
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    await anyio.to_thread.run_sync(raw.write, chunk)
                await anyio.to_thread.run_sync(os.fsync, raw.fileno())
            sha = digest.hexdigest()
            target = anyio.Path(self._path(sha))
            await target.parent.mkdir(parents=True, exist_ok=True)
            await anyio.to_thread.run_sync(os.replace, tmp, target)
            return StoredBlob(sha256=sha, size=size, head=head)
        finally:
            await anyio.Path(tmp).unlink(missing_ok=True)

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        """Stream a blob's content."""
        path = self._path(sha256)
        async with await anyio.open_file(path, "rb") as handle:
            while chunk := await handle.read(self.CHUNK):
                yield chunk

    async def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return await anyio.Path(self._path(sha256)).exists()

    async def verify(self, sha256: str) -> bool:
        """Re-hash the stored content and compare it with its address."""
        digest = hashlib.sha256()
        async for chunk in self.open(sha256):
            digest.update(chunk)
        return digest.hexdigest() == sha256
