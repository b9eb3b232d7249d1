"""CSV uploads for the import endpoints (team chargers, site cards), checked before anything is sent.

The API accepts one ``multipart/form-data`` file of type ``.csv`` or ``.txt`` of at most 1 MB
(1,048,576 bytes). :func:`csv_upload` reads a path, or takes the content as ``bytes`` or ``str``
(encoded as UTF-8), checks the file name's extension and the size, and returns the ``Upload`` the
transport encodes. A mistake raises ``InvalidRequestError`` at the call: nothing reaches the wire.
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Final

from .._types import Upload
from ..exceptions import InvalidRequestError

__all__ = ["MAX_UPLOAD_BYTES", "UPLOAD_EXTENSIONS", "csv_upload"]

#: The largest file the import endpoints accept (1 MB).
MAX_UPLOAD_BYTES: Final = 1_048_576

#: The file name extensions the import endpoints accept.
UPLOAD_EXTENSIONS: Final = (".csv", ".txt")

_DEFAULT_NAME: Final = "import.csv"


def _read(path: os.PathLike[str]) -> bytes:
    """The bytes of the file at ``path``, refusing an over-size file before reading it whole."""
    try:
        size = os.stat(path).st_size
        if size > MAX_UPLOAD_BYTES:
            raise InvalidRequestError(
                f"file {os.fspath(path)!r} is {size} bytes, over the upload limit of {MAX_UPLOAD_BYTES} bytes (1 MB)"
            )
        with open(path, "rb") as handle:
            return handle.read(MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise InvalidRequestError(f"cannot read file {os.fspath(path)!r}: {exc.strerror or exc}") from exc


def csv_upload(
    file: bytes | str | os.PathLike[str],
    *,
    filename: str | None = None,
    field: str = "file",
) -> Upload:
    """One CSV file as an ``Upload`` for the multipart field ``field``.

    ``file`` is a path (``os.PathLike``, e.g. ``pathlib.Path``) that is read, or the content itself:
    ``bytes``, or a ``str`` encoded as UTF-8 (a ``str`` is content, never a path). ``filename`` is the
    name sent to the server; by default the path's name, or ``import.csv`` for content. It must end in
    ``.csv`` or ``.txt`` (any case). The content must be at most 1,048,576 bytes.

    Raises ``InvalidRequestError`` (before anything is sent) for another type, a wrong extension,
    an unreadable path or an over-size file; the message names the size and the limit.
    """
    if isinstance(file, bytes | bytearray):
        content = bytes(file)
        default_name = _DEFAULT_NAME
    elif isinstance(file, str):
        content = file.encode("utf-8")
        default_name = _DEFAULT_NAME
    elif isinstance(file, os.PathLike):
        path = os.fspath(file)
        if not isinstance(path, str):
            raise InvalidRequestError(f"file path must be a str path, got {path!r}")
        default_name = PurePath(path).name
        name = filename if filename is not None else default_name
        _check_name(name)
        content = _read(file)
    else:
        raise InvalidRequestError(f"file must be bytes, str content or a path (os.PathLike), got {type(file).__name__}")
    name = filename if filename is not None else default_name
    _check_name(name)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidRequestError(
            f"file {name!r} is {len(content)} bytes, over the upload limit of {MAX_UPLOAD_BYTES} bytes (1 MB)"
        )
    if not content:
        raise InvalidRequestError(f"file {name!r} is empty")
    content_type = "text/plain" if name.lower().endswith(".txt") else "text/csv"
    return Upload(field=field, filename=name, content=content, content_type=content_type)


def _check_name(name: object) -> None:
    """Raise unless ``name`` is a non-empty file name ending in .csv or .txt."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(f"filename must be a non-empty string, got {name!r}")
    if any(ch in name for ch in '\r\n"'):
        raise InvalidRequestError(f"filename must not contain quotes or line breaks, got {name!r}")
    if not name.lower().endswith(UPLOAD_EXTENSIONS):
        raise InvalidRequestError(f"filename must end in .csv or .txt, got {name!r}")
