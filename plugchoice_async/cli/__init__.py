"""The ``plugchoice`` command line (install the ``cli`` extra: ``pip install 'plugchoice-async[cli]'``).

``plugchoice demo`` starts the embedded emulator and shows the fleet status; ``plugchoice fleet status``
does it against the API (``PLUGCHOICE_TOKEN`` or ``--token-file``, ``PLUGCHOICE_BASE_URL``). Charger
commands ask before sending. Exit status: 0 success, 1 some chargers failed, 2 usage errors.
Only this package imports click and rich: the SDK itself never needs them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import cli

__all__ = ["cli", "main"]

_EXTRA_PACKAGES = frozenset({"click", "rich"})
_MISSING_EXTRA = 'plugchoice: the command line needs the cli extra: pip install "plugchoice-async[cli]"'


def main() -> None:
    """The ``plugchoice`` console script.

    Imports click and rich only when run: without the ``cli`` extra it prints how to install it
    (one line on stderr) and exits with status 2 instead of a traceback.
    """
    try:
        from ._app import main as run_cli
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in _EXTRA_PACKAGES:
            raise
        print(_MISSING_EXTRA, file=sys.stderr)
        raise SystemExit(2) from None
    run_cli()


def __getattr__(name: str) -> Any:
    """``cli`` (the click group) is imported on first use: it needs the ``cli`` extra."""
    if name == "cli":
        from ._app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
