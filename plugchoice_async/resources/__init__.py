"""Resource namespaces: thin, typed methods over the one request path."""

from .chargers import Chargers
from .users import Users

__all__ = ["Chargers", "Users"]
