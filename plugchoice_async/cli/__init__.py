"""The ``plugchoice`` command line (install the ``cli`` extra: ``pip install 'plugchoice-async[cli]'``).

``plugchoice demo`` starts the embedded emulator and shows the fleet status; ``plugchoice fleet status``
does it against the API (``PLUGCHOICE_TOKEN`` or ``--token-file``, ``PLUGCHOICE_BASE_URL``). Charger
commands ask before sending. Exit status: 0 success, 1 some chargers failed, 2 usage errors.
Only this package imports click and rich: the SDK itself never needs them.
"""

from ._app import cli, main

__all__ = ["cli", "main"]
