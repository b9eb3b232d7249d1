"""CSV uploads for the import endpoints (team chargers, site cards), checked before anything is sent.

The API accepts one ``multipart/form-data`` file of type ``.csv`` or ``.txt`` of at most 1 MB
(1,048,576 bytes). :func:`csv_upload` reads a path (``pathlib.Path``; a regular file only, so a FIFO
or a device never blocks the call), or takes the content as ``bytes``; a ``str`` is refused, as it
could be either (``text.encode()`` for content, ``pathlib.Path(text)`` for a path). It checks the
file name's extension and the size, and returns the ``Upload`` the transport encodes. A mistake
raises ``InvalidRequestError`` at the call: nothing reaches the wire.
"""

from __future__ import annotations

import os
import stat
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


_KINDS: Final = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(path: str, mode: int) -> None:
    """Raise unless ``mode`` is a regular file's: reading a FIFO or a device could block for ever."""
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise InvalidRequestError(f"file {path!r} is {kind}, not a regular file: pass a CSV file")


def _read(path: str) -> bytes:
    """The bytes of the regular file at ``path``, refusing an over-size file before reading it whole.

    The kind is checked before opening, and again on the opened file (opened without blocking,
    so a FIFO put in its place meanwhile cannot hang the call).
    """
    try:
        _check_regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            _check_regular(path, info.st_mode)
            if info.st_size > MAX_UPLOAD_BYTES:
                raise InvalidRequestError(
                    f"file {path!r} is {info.st_size} bytes, over the upload limit of {MAX_UPLOAD_BYTES} bytes (1 MB)"
                )
            return handle.read(MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise InvalidRequestError(f"cannot read file {path!r}: {exc.strerror or exc}") from exc


def csv_upload(
    file: bytes | os.PathLike[str],
    *,
    filename: str | None = None,
    field: str = "file",
) -> Upload:
    """One CSV file as an ``Upload`` for the multipart field ``field``.

    ``file`` is a path (``os.PathLike``, e.g. ``pathlib.Path``) of a regular file that is read, or the
    content itself as ``bytes``. A ``str`` is refused: it could be a path or the content (pass
    ``text.encode()`` for content, ``pathlib.Path(text)`` for a path). ``filename`` is the name sent
    to the server; by default the path's name, or ``import.csv`` for content. It must end in ``.csv``
    or ``.txt`` (any case). The content must be at most 1,048,576 bytes.

    Raises ``InvalidRequestError`` (before anything is sent) for a ``str`` or another type, a wrong
    extension, a path that is not a regular file (a directory, a FIFO, a device) or cannot be read,
    or an over-size file; the message names the size and the limit.
    """
    if isinstance(file, bytes | bytearray):
        content = bytes(file)
        default_name = _DEFAULT_NAME
    elif isinstance(file, str):
        raise InvalidRequestError(
            "file must be the content as bytes (text.encode()) or a path as pathlib.Path, got a str "
            "(a str could be either, so it is refused)"
        )
    elif isinstance(file, os.PathLike):
        path = os.fspath(file)
        if not isinstance(path, str):
            raise InvalidRequestError(f"file path must be a str path, got {path!r}")
        default_name = PurePath(path).name
        name = filename if filename is not None else default_name
        _check_name(name)
        content = _read(path)
    else:
        raise InvalidRequestError(
            f"file must be the content as bytes or a path as pathlib.Path (os.PathLike), got {type(file).__name__}"
        )
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
