"""Where backup files live: a local directory or an S3-compatible bucket.

Blocking (boto3 and file I/O): the service calls these in a worker thread. A backup is its data
file plus ``<id>.manifest.json``; the manifest is written last and removed first, so a backup is
listed only once its data has been stored and read back, and a partial upload is never listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path
from typing import Any, Protocol

import boto3
import boto3.exceptions
import botocore.exceptions
from botocore.config import Config

from pytake_daemon.backups.codec import Digest, file_digest
from pytake_daemon.config import Settings
from pytake_daemon.errors import PyTakeError

MANIFEST_SUFFIX = ".manifest.json"
DATA_SUFFIX = ".zst.age"
_CHUNK = 1 << 20


class StorageError(PyTakeError):
    """The storage refused, is unreachable, or returned something other than what was stored."""


class Storage(Protocol):
    def describe(self) -> str: ...
    def put_file(self, source: Path, name: str, expected: Digest) -> None: ...
    def put_bytes(self, name: str, data: bytes) -> None: ...
    def get_file(self, name: str, dest: Path) -> None: ...
    def get_bytes(self, name: str) -> bytes | None: ...
    def names(self) -> list[str]: ...
    def delete(self, name: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def _path(self, name: str) -> Path:
        return self.root / name

    def put_file(self, source: Path, name: str, expected: Digest) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = self._path(f".{name}.partial")
        try:
            shutil.copyfile(source, partial)
            with partial.open("rb") as handle:
                os.fsync(handle.fileno())
            _check_read_back(file_digest(partial), expected, self.describe())
            partial.rename(self._path(name))
        finally:
            partial.unlink(missing_ok=True)

    def put_bytes(self, name: str, data: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = self._path(f".{name}.partial")
        partial.write_bytes(data)
        partial.rename(self._path(name))

    def get_file(self, name: str, dest: Path) -> None:
        try:
            shutil.copyfile(self._path(name), dest)
        except FileNotFoundError:
            raise StorageError(f"{name} is missing from {self.describe()}") from None

    def get_bytes(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if not p.name.startswith("."))

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class S3Storage:
    def __init__(
        self, bucket: str, prefix: str, *, client: Any, endpoint: str | None = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._s3 = client
        self._endpoint = endpoint

    def describe(self) -> str:
        where = f" at {self._endpoint}" if self._endpoint else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def put_file(self, source: Path, name: str, expected: Digest) -> None:
        key = self._key(name)
        try:
            self._s3.upload_file(str(source), self.bucket, key)
            _check_read_back(self._read_back(key), expected, self.describe())
        except (
            boto3.exceptions.S3UploadFailedError,
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        ) as exc:
            self._delete_quietly(key)
            raise StorageError(f"upload to {self.describe()} failed: {exc}") from None
        except BaseException:
            # Never leave a partial or unverified object behind to be mistaken for a backup.
            self._delete_quietly(key)
            raise

    def _read_back(self, key: str) -> Digest:
        hasher = hashlib.sha256()
        size = 0
        body = self._call(self._s3.get_object, Bucket=self.bucket, Key=key)["Body"]
        for chunk in body.iter_chunks(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
        return Digest(size, hasher.hexdigest())

    def put_bytes(self, name: str, data: bytes) -> None:
        self._call(self._s3.put_object, Bucket=self.bucket, Key=self._key(name), Body=data)

    def get_file(self, name: str, dest: Path) -> None:
        try:
            self._s3.download_file(self.bucket, self._key(name), str(dest))
        except botocore.exceptions.ClientError as exc:
            raise StorageError(f"{name}: {self.describe()} answered {_code(exc)}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError(f"{self.describe()}: {exc}") from None

    def get_bytes(self, name: str) -> bytes | None:
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
            data: bytes = body.read()
            return data
        except botocore.exceptions.ClientError as exc:
            if _code(exc) in {"NoSuchKey", "404"}:
                return None
            raise StorageError(f"{name}: {self.describe()} answered {_code(exc)}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError(f"{self.describe()}: {exc}") from None

    def names(self) -> list[str]:
        out: list[str] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                out += [obj["Key"][len(self.prefix) :] for obj in page.get("Contents", [])]
        except botocore.exceptions.ClientError as exc:
            raise StorageError(f"{self.describe()} answered {_code(exc)}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError(f"{self.describe()}: {exc}") from None
        return sorted(out)

    def delete(self, name: str) -> None:
        self._call(self._s3.delete_object, Bucket=self.bucket, Key=self._key(name))

    def _delete_quietly(self, key: str) -> None:
        with contextlib.suppress(
            botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError
        ):
            self._s3.delete_object(Bucket=self.bucket, Key=key)

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except botocore.exceptions.ClientError as exc:
            raise StorageError(f"{self.describe()} answered {_code(exc)}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise StorageError(f"{self.describe()}: {exc}") from None


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "an error"))


def _check_read_back(found: Digest, expected: Digest, where: str) -> None:
    if found != expected:
        raise StorageError(
            f"{where} returned {found.size} bytes (sha256 {found.sha256[:12]}) for a file of "
            f"{expected.size} bytes (sha256 {expected.sha256[:12]}): upload not trusted, removed"
        )


def storage_from_settings(settings: Settings) -> Storage:
    cfg = settings.backups
    if cfg.storage == "local":
        return LocalStorage(cfg.local_dir or settings.state_dir / "backups")
    if not cfg.s3_bucket:
        raise StorageError("backups.storage is 's3' but backups.s3_bucket is not set")
    client = boto3.client(
        "s3",
        endpoint_url=cfg.s3_endpoint_url,
        region_name=cfg.s3_region,
        aws_access_key_id=(
            cfg.s3_access_key_id.get_secret_value() if cfg.s3_access_key_id else None
        ),
        aws_secret_access_key=(
            cfg.s3_secret_access_key.get_secret_value() if cfg.s3_secret_access_key else None
        ),
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5),
    )
    return S3Storage(cfg.s3_bucket, cfg.s3_prefix, client=client, endpoint=cfg.s3_endpoint_url)
