"""Uploaded CSV files between "check" and "confirm import", named by a random id (never by the upload's name,
which may contain anything).

The upload itself (`<id>.csv`) is read once, by the check, and deleted right after; the rows the check validated
(`<id>.rows`) wait for the marketer's confirmation. Both hold personal data: deleted after the import or when it
fails, and within the hour when abandoned (a check the marketer never confirmed, a request gunicorn killed): the
worker deletes files untouched for STALE_AFTER_SECONDS every few minutes.
"""

import contextlib
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO, TextIO

STALE_AFTER_SECONDS = 50 * 60
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_KINDS = ("csv", "rows")


class UploadNotFound(LookupError):
    """No waiting upload with that id (already imported, discarded, expired, or never there)."""


def _path(folder: str | Path, upload_id: str, kind: str) -> Path:
    if not _ID.match(upload_id or ""):
        raise UploadNotFound("unknown upload")
    return Path(folder) / f"{upload_id}.{kind}"


def save_upload(folder: str | Path, stream: BinaryIO) -> str:
    """Copy the uploaded stream to disk in chunks (any size, little memory); returns its id."""
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    discard_stale(directory)
    upload_id = secrets.token_urlsafe(16)
    with _path(directory, upload_id, "csv").open("xb") as target:
        shutil.copyfileobj(stream, target, length=1024 * 1024)
    return upload_id


def size_of(folder: str | Path, upload_id: str) -> int:
    return _path(folder, upload_id, "csv").stat().st_size


def open_upload(folder: str | Path, upload_id: str) -> TextIO:
    """The uploaded file as text. utf-8-sig: spreadsheet programs start "CSV UTF-8" files with a byte-order mark."""
    return _open(_path(folder, upload_id, "csv"), "r", encoding="utf-8-sig")


def open_checked(folder: str | Path, upload_id: str, mode: str = "r") -> TextIO:
    """The validated rows of an upload: "w" to write them while checking, "r" to import them."""
    return _open(_path(folder, upload_id, "rows"), mode, encoding="utf-8")


def _open(path: Path, mode: str, *, encoding: str) -> TextIO:
    if mode == "r" and not path.is_file():
        raise UploadNotFound("unknown upload")
    return path.open(mode, encoding=encoding, newline="")


def discard_original(folder: str | Path, upload_id: str) -> None:
    """The uploaded file, once checked: only its validated rows are needed from now on."""
    _path(folder, upload_id, "csv").unlink(missing_ok=True)


def discard_upload(folder: str | Path, upload_id: str) -> None:
    for kind in _KINDS:
        with contextlib.suppress(UploadNotFound):
            _path(folder, upload_id, kind).unlink(missing_ok=True)


def discard_stale(folder: str | Path, *, older_than: float = STALE_AFTER_SECONDS) -> int:
    """Delete upload files untouched for `older_than` seconds; returns how many."""
    cutoff = time.time() - older_than
    deleted = 0
    for kind in _KINDS:
        for path in Path(folder).glob(f"*.{kind}"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    deleted += 1
    return deleted
