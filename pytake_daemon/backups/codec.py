"""The file format: payload → zstd → age, streamed, with SHA-256 of both ends.

Blocking code: callers run it in a worker thread (``asyncio.to_thread``), never on the loop.
The stored file is a standard age file whose plaintext is a standard zstd frame, so an operator
opens it with ``age -d -i key.txt FILE | zstd -d`` and no PyTake at all (docs/backups.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyrage
import zstandard
from pyrage import x25519

from pytake_daemon.errors import PyTakeError

Progress = Callable[[int], None]
"""Called with the number of payload bytes just processed."""

_CHUNK = 1 << 20


class BackupCorruptError(PyTakeError):
    """The stored file isn't what its manifest says, or doesn't decrypt/decompress."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


@dataclass(frozen=True)
class Digest:
    size: int
    sha256: str


class _HashingReader:
    def __init__(self, inner: Readable, progress: Progress | None = None) -> None:
        self._inner = inner
        self._progress = progress
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._inner.read(size)
        self.hash.update(data)
        self.size += len(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return data

    def digest(self) -> Digest:
        return Digest(self.size, self.hash.hexdigest())


class _HashingWriter:
    def __init__(self, inner: Writable, progress: Progress | None = None) -> None:
        self._inner = inner
        self._progress = progress
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._inner.write(data)
        self.hash.update(data)
        self.size += len(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return len(data)

    def flush(self) -> None:
        return None

    def digest(self) -> Digest:
        return Digest(self.size, self.hash.hexdigest())


def seal(
    source: Readable,
    dest: Path,
    recipients: list[x25519.Recipient],
    *,
    level: int,
    progress: Progress | None = None,
) -> tuple[Digest, Digest]:
    """Compress and encrypt ``source`` into ``dest``; returns (payload, stored) digests."""
    payload = _HashingReader(source, progress)
    compressed = zstandard.ZstdCompressor(level=level, threads=-1).stream_reader(
        payload,  # type: ignore[arg-type]  # any object with read() will do
        read_size=_CHUNK,
        closefd=False,
    )
    with dest.open("wb") as handle:
        stored = _HashingWriter(handle)
        pyrage.encrypt_io(compressed, stored, recipients)
    return payload.digest(), stored.digest()


def file_digest(path: Path, progress: Progress | None = None) -> Digest:
    """SHA-256 and size of a stored file (the first, cheap check of verify and restore)."""
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return Digest(size, hasher.hexdigest())


def check_stored(path: Path, *, size: int, sha256: str) -> None:
    """Refuse a stored file whose size or SHA-256 differs from the manifest's."""
    found = file_digest(path)
    if found.size != size:
        raise BackupCorruptError(
            f"the stored file has {found.size} bytes, its manifest says {size}: truncated or "
            "altered; refusing it"
        )
    if found.sha256 != sha256:
        raise BackupCorruptError(
            "the stored file's SHA-256 doesn't match its manifest: altered; refusing it"
        )


def unseal(
    source: Path,
    dest: Writable,
    identities: tuple[x25519.Identity, ...],
    *,
    progress: Progress | None = None,
) -> Digest:
    """Decrypt and decompress ``source`` into ``dest``; returns the payload's digest.

    age authenticates every 64 KiB chunk, so a changed byte fails here even if the manifest was
    changed to match; callers write into something they can throw away until this returns.
    """
    sink = _HashingWriter(dest, progress)
    decompressor = zstandard.ZstdDecompressor().stream_writer(
        sink,  # type: ignore[arg-type]  # any object with write() will do
        closefd=False,
    )
    try:
        with source.open("rb") as handle:
            pyrage.decrypt_io(handle, decompressor, list(identities))
        # zstandard's stubs leave flush() untyped; it writes out what the frame still holds.
        decompressor.flush()  # type: ignore[no-untyped-call]  # zstandard ships no stub for it
    except pyrage.DecryptError as exc:
        raise BackupCorruptError(f"the backup doesn't decrypt: {exc}") from None
    except OSError as exc:
        # pyrage reports a chunk failing authentication mid-stream as an OSError; a real I/O
        # error (disk full while writing the payload) must stay what it is.
        if "decrypt" not in str(exc).lower():
            raise
        raise BackupCorruptError(f"the backup doesn't decrypt: {exc}") from None
    except zstandard.ZstdError as exc:
        raise BackupCorruptError(f"the backup doesn't decompress: {exc}") from None
    return sink.digest()


class NullSink:
    """Where verify writes the decrypted payload: only its digest matters."""

    def write(self, data: bytes, /) -> int:
        return len(data)
