"""Ways around icalendar's API when building a feed's components: the same components,
made without the checks and derivations icalendar repeats for every value.

``tests/test_feed_writer.py`` holds ``ZonedDatetime`` to ``vDatetime``'s bytes, and
``tests/test_feed_content.py`` holds the values ``put_property`` sets to the types
``Component.add`` would give them.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, tzinfo
from functools import lru_cache

from icalendar import Parameters, vDatetime

# Sets a property whose name is already upper case and whose value is already typed as
# Component.add would type it: the OrderedDict's own setter, without CaselessDict's
# normalising of the name, and without add's checks, which are most of the cost of
# building an event.
put_property = OrderedDict.__setitem__


class ZonedDatetime(vDatetime):
    """``vDatetime(dt)`` for a zone whose TZID is known: made and written without
    icalendar deriving the TZID again, which it does for each value, twice (making and
    writing it), while a feed has thousands of values in one or two zones."""

    def __init__(self, dt: datetime, params: Parameters) -> None:
        self.dt = dt
        self.params = params  # the zone's own (zone_parameters), shared: never changed

    def to_ical(self) -> bytes:
        # vDatetime.to_ical's text; never UTC, so never its "Z".
        dt = self.dt
        text = f"{dt.year:04}{dt.month:02}{dt.day:02}T{dt.hour:02}{dt.minute:02}{dt.second:02}"
        return text.encode()


def zoned_datetime(value: datetime) -> vDatetime:
    """What ``vDatetime(value)`` would be, made cheaply when the zone allows it."""
    assert value.tzinfo is not None
    params = zone_parameters(value.tzinfo)
    return vDatetime(value) if params is None else ZonedDatetime(value, params)


@lru_cache(maxsize=64)
def zone_parameters(zone: tzinfo) -> Parameters | None:
    """The parameters icalendar gives a datetime in ``zone`` (its TZID), or None for UTC
    and its equivalents, which icalendar writes with a "Z" and no TZID. icalendar reads
    the TZID off the zone alone (``tzid_from_tzinfo``), so any instant tells it."""
    params = vDatetime(datetime(2000, 1, 1, tzinfo=zone)).params
    return None if params.is_utc() or "TZID" not in params else params
