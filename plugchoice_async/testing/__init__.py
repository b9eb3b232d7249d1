"""A local Plugchoice API v3 emulator (a real aiohttp server) for testing code that talks to the API.

It depends on aiohttp and orjson only. Quick start::

    from plugchoice_async.testing import Fault, PlugchoiceEmulator

    async with PlugchoiceEmulator(chargers=50, rate_limit=100) as emu:
        emu.add_fault(Fault("status", status=503, headers={"Retry-After": "1"}))
        ...  # point the client at emu.base_url with emu.token; inspect emu.requests and emu.actions

Every endpoint of the API reference is served (chargers, actions, settings, metering, transactions, logs, sites,
teams, bulk commands, composite schedules) with state that commands change (``emu.actions`` records them;
``emu.set_action_behaviour`` makes a charger reject, stay silent or answer late), and ``POST emu.oauth_url`` grants
OAuth tokens to ``emu.issue_client(...)``. The fleet can change while it serves (``emu.add_charger``,
``emu.remove_charger``, team membership), and bulk runs progress with the injectable ``clock``.

From a shell: ``python -m plugchoice_async.testing --chargers 500 --port 8080``.
"""

from ._fake_transport import FakeTransport
from ._faults import Fault
from ._server import LoggedRequest, PlugchoiceEmulator
from ._state import ActionRecord

__all__ = ["ActionRecord", "FakeTransport", "Fault", "LoggedRequest", "PlugchoiceEmulator"]
