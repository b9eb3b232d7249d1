"""Resource namespaces: thin, typed methods over the one request path."""

from .actions import ChargerActions
from .chargers import Chargers
from .connectors import Connectors
from .fleet import Fleet
from .settings import ChargerSettings
from .sites import Sites
from .teams import Teams
from .users import Users

__all__ = ["ChargerActions", "ChargerSettings", "Chargers", "Connectors", "Fleet", "Sites", "Teams", "Users"]
