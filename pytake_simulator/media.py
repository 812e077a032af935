"""Media rules (types and sizes Meta accepts) and sample files for what customers send."""

from __future__ import annotations

import base64
import hashlib
import secrets
import struct
import zlib

MB = 1024 * 1024

# Meta's supported media: MIME types per message type, and the size limit of each.
SUPPORTED: dict[str, tuple[frozenset[str], int]] = {
    "audio": (
        frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
        16 * MB,
    ),
    "document": (
        frozenset(
            {
                "text/plain",
                "application/pdf",
                "application/vnd.ms-powerpoint",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
        100 * MB,
    ),
    "image": (frozenset({"image/jpeg", "image/png"}), 5 * MB),
    "sticker": (frozenset({"image/webp"}), 500 * 1024),
    "video": (frozenset({"video/3gpp", "video/mp4"}), 16 * MB),
}
MAX_UPLOAD = max(limit for _, limit in SUPPORTED.values())

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/aac": "aac",
    "audio/amr": "amr",
    "audio/mp4": "m4a",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


def base_mime(mime_type: str) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``."""
    return mime_type.split(";", 1)[0].strip().lower()


def media_kind(mime_type: str) -> str | None:
    """The message type a MIME type can be sent as (``image/webp`` is a sticker)."""
    base = base_mime(mime_type)
    for kind, (types, _) in SUPPORTED.items():
        if base in types:
            return kind
    return None


def upload_problem(mime_type: str, size: int) -> str | None:
    kind = media_kind(mime_type)
    if kind is None:
        allowed = ", ".join(sorted(t for types, _ in SUPPORTED.values() for t in types))
        return f"Unsupported media type {mime_type!r}. Please use one of {allowed}."
    limit = SUPPORTED[kind][1]
    if size > limit:
        return f"Media file size {size} bytes exceeds the {kind} limit of {limit} bytes."
    if size == 0:
        return "The uploaded file is empty."
    return None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_b64(data: bytes) -> str:
    """Webhooks carry the hash base64-encoded (GET /{media-id} gives it in hex)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _png() -> bytes:
    """A real 1x1 PNG with a random pixel, so every sample has its own hash."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixel = b"\x00" + secrets.token_bytes(3)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixel))
        + chunk(b"IEND", b"")
    )


def sample(mime_type: str) -> bytes:
    """Placeholder bytes with the right magic numbers for ``mime_type`` (and random content).

    Only the PNG is a decodable image; the others are recognisable by type sniffers, which is
    all a support platform does with customer media.
    """
    noise = secrets.token_bytes(48)
    base = base_mime(mime_type)
    if base == "image/png":
        return _png()
    samples = {
        "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + noise
        + b"\xff\xd9",
        "image/webp": b"RIFF" + struct.pack("<I", 4 + 8 + len(noise)) + b"WEBPVP8 " + noise,
        "audio/ogg": b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + noise,
        "audio/mpeg": b"ID3\x03\x00\x00\x00\x00\x00\x00" + noise,
        "video/mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + noise,
        "application/pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + noise + b"\n%%EOF\n",
        "text/plain": b"sample " + noise.hex().encode() + b"\n",
    }
    return samples.get(base, noise)
