"""``Component.to_ical()``'s exact bytes, for a fraction of its CPU.

icalendar writes every content line through ``_foldline``, which encodes each character
on its own to count octets, and builds a ``Contentline`` (and an empty ``Parameters``
for most values) per line. In a feed that is most of the rendering time, yet nine lines
in ten are short. ``_foldline`` folds a line only once it reaches 75 octets, so a line
that encodes to fewer is written as its UTF-8 here; a longer line, or one icalendar
would refuse (a bare newline), still goes through icalendar's own ``Contentline``.

Everything else is done as ``Component.to_ical`` does it: properties in ``sorted_keys``
order, list values one line each, subcomponents in order, each value's own ``to_ical``
and ``Parameters.to_ical`` for its parameters. tests/test_feed_writer.py compares the two
on varied components.
"""

from __future__ import annotations

from functools import cache
from typing import cast

from icalendar import Component, Parameters, vText
from icalendar.parser.content_line import Contentline
from icalendar.parser_tools import to_unicode

# _foldline starts a new line when a character would bring the current one to this many
# octets: a line of fewer octets is left whole.
_FOLD_AT = 75
_CRLF = b"\r\n"


class IcalWriter:
    """Serialises components. A subcomponent met again (the same object, as the VALARMs
    the feed shares between events) is written once: components must not change while a
    writer is in use, so keep one per batch of components, not longer."""

    def __init__(self) -> None:
        # id -> (the component, kept so the id is not reused; its bytes)
        self._written: dict[int, tuple[Component, bytes]] = {}

    def to_ical(self, component: Component) -> bytes:
        """The bytes of ``component.to_ical()``."""
        chunks: list[bytes] = []
        self._component(component, chunks)
        return b"".join(chunks)

    def _component(self, component: Component, chunks: list[bytes]) -> None:
        begin, end = _begin_end(component.name)
        chunks.append(begin)
        for name in component.sorted_keys():
            values = component[name]
            if isinstance(values, list):
                chunks.extend(_line(component, name, value) for value in values)
            else:
                chunks.append(_line(component, name, values))
        for sub in component.subcomponents:
            done = self._written.get(id(sub))
            if done is None:
                sub_chunks: list[bytes] = []
                self._component(sub, sub_chunks)
                done = self._written[id(sub)] = (sub, b"".join(sub_chunks))
            chunks.append(done[1])
        chunks.append(end)


def _line(component: Component, name: str, value: object) -> bytes:
    """One property as ``Component.content_line(name, value).to_ical()`` + CRLF."""
    params = getattr(value, "params", None)
    if params is not None and not isinstance(params, Parameters):
        # Not a value icalendar makes: let it say what it makes of it.
        return bytes(component.content_line(name, value).to_ical()) + _CRLF
    # As Contentline.from_parts: the value's own serialisation, vText for plain values,
    # and both sides back to str (to_unicode, with its BOM rule).
    to_ical = getattr(value, "to_ical", None)
    raw = to_ical() if to_ical is not None else vText(cast(str, value)).to_ical()
    text = to_unicode(raw)
    line = f"{name}:{text}"
    if params:
        param_text = to_unicode(params.to_ical(sorted=True))
        if param_text:
            line = f"{name};{param_text}:{text}"
    data = line.encode()
    if len(data) < _FOLD_AT and "\n" not in line:
        return data + _CRLF
    folded = Contentline(line).to_ical()  # type: ignore[no-untyped-call]
    return bytes(folded) + _CRLF


@cache
def _begin_end(name: str) -> tuple[bytes, bytes]:
    """The BEGIN and END lines of a component, as ``property_items`` makes them: the
    name as vText bytes, then written as a plain value (so vText again). A handful of
    names, so computed once each."""
    value = vText(name).to_ical()
    holder = Component()
    return _line(holder, "BEGIN", value), _line(holder, "END", value)
