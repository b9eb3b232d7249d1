"""Resource namespaces: thin, typed methods over the one request path."""

from .actions import ChargerActions
from .chargers import Chargers
from .connectors import Connectors
from .fleet import Fleet
from .meters import Meters
from .public_charging import PublicCharging
from .settings import ChargerSettings
from .site_access import SiteAccess
from .sites import Sites
from .teams import Teams
from .users import Users

__all__ = [
    "ChargerActions",
    "ChargerSettings",
    "Chargers",
    "Connectors",
    "Fleet",
    "Meters",
    "PublicCharging",
    "SiteAccess",
    "Sites",
    "Teams",
    "Users",
]
