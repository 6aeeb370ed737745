"""``Component.to_ical()``'s exact bytes, for a fraction of its CPU.

icalendar writes every content line through ``_foldline``, which encodes each character
on its own to count octets, and builds a ``Contentline`` (and an empty ``Parameters``
for most values) per line. In a feed that is most of the rendering time, yet nine lines
in ten are short. ``_foldline`` folds a line only once it reaches 75 octets, so a line
that encodes to fewer is written as its UTF-8 here; a longer one is folded by ``_fold``,
which cuts exactly where ``_foldline`` does, working on the encoded bytes.

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
_FOLD = b"\r\n "
_ESCAPE_STARTERS = b"\\^"


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
    if "\n" in line:
        # Contentline refuses it (AssertionError): the same error as icalendar's.
        Contentline(line)  # type: ignore[no-untyped-call]
    data = line.encode()
    if len(data) < _FOLD_AT:
        return data + _CRLF
    return _fold(data) + _CRLF


def _fold(data: bytes) -> bytes:
    """``_foldline(line).encode()`` for ``data = line.encode()``, cutting bytes.

    ``_foldline`` adds characters to a piece while it stays under 75 octets, so each
    piece is the longest run of whole characters of at most 74 octets, except that a
    piece never ends in ``\\`` or ``^`` (escape starters, icalendar issue #1501):
    that character starts the next piece instead. In UTF-8 a character boundary is a
    byte that is not a continuation byte (0b10xxxxxx), and ``\\`` and ``^`` are single
    bytes that occur nowhere else, so the cuts can be found on the bytes, per piece
    rather than per character.
    """
    pieces: list[bytes] = []
    start = 0
    while len(data) - start >= _FOLD_AT:
        cut = start + _FOLD_AT - 1
        while data[cut] & 0xC0 == 0x80:
            cut -= 1
        if data[cut - 1] in _ESCAPE_STARTERS:
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    return _FOLD.join(pieces)


@cache
def _begin_end(name: str) -> tuple[bytes, bytes]:
    """The BEGIN and END lines of a component, as ``property_items`` makes them: the
    name as vText bytes, then written as a plain value (so vText again). A handful of
    names, so computed once each."""
    value = vText(name).to_ical()
    holder = Component()
    return _line(holder, "BEGIN", value), _line(holder, "END", value)
