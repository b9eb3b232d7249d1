"""Value kinds the wire spells loosely, as ``Annotated`` markers the converter recognises.

To a type checker each alias below is its plain type (``Number`` is ``float``); the marker
only tells ``plugchoice_async._converter`` which structuring rule to apply. The rules
themselves live in the converter, not here:

* ``Number``: a JSON number or a string holding one (``7``, ``"7.00"``) -> ``float``;
  anything else is an error. For computed quantities such as ``total_kwh``.
* ``Reading``: a measurement -> ``float``, or ``None`` when the server sends anything
  that is not a number (``"-"``, ``" - "``, a signed meter blob). For meter values and
  power readings, where "no reading" is normal and must never fail a poll.
* ``JsonPayload``: a JSON object or array, also accepted as JSON *text* of one
  (OCPP log ``params``/``result``). Text that is not JSON is an error.
* ``MaybeTimestamp``: a timestamp, or ``None`` for the placeholder ``"-"``.
* ``ReadingText``: the other half of a ``Reading`` read from the same key: the text the
  server sent *instead of* a number (an explanation such as "Unable to retrieve power
  information for this meter."), or ``None`` for a number, null, ``"-"`` or blank text.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, TypeAlias

__all__ = ["JsonPayload", "MaybeTimestamp", "Number", "Reading", "ReadingText", "Wire"]


class Wire(enum.Enum):
    """The markers; see the module docstring."""

    NUMBER = "number"
    READING = "reading"
    JSON = "json"
    TIMESTAMP_OR_DASH = "timestamp-or-dash"
    READING_TEXT = "reading-text"


Number: TypeAlias = Annotated[float, Wire.NUMBER]
Reading: TypeAlias = Annotated[float | None, Wire.READING]
JsonPayload: TypeAlias = Annotated[dict[str, Any] | list[Any] | None, Wire.JSON]
MaybeTimestamp: TypeAlias = Annotated[datetime | None, Wire.TIMESTAMP_OR_DASH]
ReadingText: TypeAlias = Annotated[str | None, Wire.READING_TEXT]
