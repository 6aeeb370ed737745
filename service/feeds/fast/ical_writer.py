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

from functools import cache, lru_cache
from typing import cast

from icalendar import Component, Parameters, vText
from icalendar.caselessdict import canonsort_keys
from icalendar.parser.content_line import Contentline
from icalendar.parser_tools import to_unicode

# _foldline starts a new line when a character would bring the current one to this many
# octets: a line of fewer octets is left whole.
_FOLD_AT = 75
_CRLF = b"\r\n"
_FOLD = b"\r\n "
_ESCAPE_STARTERS = b"\\^"
_BOM = b"\xef\xbb\xbf"


class IcalWriter:
    """Serialises components. What it meets again, the same object, is written once: a
    subcomponent (the VALARMs the feed shares between events), a value (a UID, a
    DTSTAMP) or a value's parameters (one TZID shared by a zone's values). So
    components must not change while a writer is in use: keep one per batch of
    components, not longer."""

    def __init__(self) -> None:
        # id -> (the component, kept so that the id is not reused; its bytes)
        self._written: dict[int, tuple[Component, bytes]] = {}
        # id -> (the value, kept likewise; its text; its parameters' text)
        self._values: dict[int, tuple[object, str, str]] = {}
        # id -> (parameters shared by values, kept likewise; their text)
        self._params: dict[int, tuple[Parameters, str]] = {}

    def to_ical(self, component: Component) -> bytes:
        """The bytes of ``component.to_ical()``."""
        chunks: list[bytes] = []
        self._component(component, chunks)
        return b"".join(chunks)

    def _component(self, component: Component, chunks: list[bytes]) -> None:
        begin, end = begin_end(component.name)
        chunks.append(begin)
        # A component keeps its names upper case (CaselessDict), so its values are read
        # as a plain dict's, without normalising each name again; and the names' order
        # is the same for every component with the same names.
        for name in _sorted_keys(type(component), tuple(component.keys())):
            values = dict.__getitem__(component, name)
            if isinstance(values, list):
                chunks.extend(self._line(component, name, value) for value in values)
            else:
                chunks.append(self._line(component, name, values))
        for sub in component.subcomponents:
            done = self._written.get(id(sub))
            if done is None:
                sub_chunks: list[bytes] = []
                self._component(sub, sub_chunks)
                done = self._written[id(sub)] = (sub, b"".join(sub_chunks))
            chunks.append(done[1])
        chunks.append(end)

    def value_line(self, name: str, value: object) -> bytes:
        """One property with an icalendar value, as any component writes it."""
        return self._line(_ANY, name, value)

    def _line(self, component: Component, name: str, value: object) -> bytes:
        """One property as ``Component.content_line(name, value).to_ical()`` + CRLF."""
        done = self._values.get(id(value))
        if done is None:
            params = getattr(value, "params", None)
            if params is not None and not isinstance(params, Parameters):
                # Not a value icalendar makes: let it say what it makes of it.
                return bytes(component.content_line(name, value).to_ical()) + _CRLF
            # As Contentline.from_parts: the value's own serialisation, vText for plain
            # values, the parameters' if any, all back to str.
            to_ical = getattr(value, "to_ical", None)
            raw = to_ical() if to_ical is not None else vText(cast(str, value)).to_ical()
            param_text = self._param_text(params) if params else ""
            done = self._values[id(value)] = (value, _text(raw), param_text)
        _, text, param_text = done
        line = f"{name};{param_text}:{text}" if param_text else f"{name}:{text}"
        if "\n" in line:
            # Contentline refuses it (AssertionError): the same error as icalendar's.
            Contentline(line)  # type: ignore[no-untyped-call]
        return finish_line(line)

    def _param_text(self, params: Parameters) -> str:
        done = self._params.get(id(params))
        if done is None:
            done = self._params[id(params)] = (params, _text(params.to_ical(sorted=True)))
        return done[1]


def _text(raw: str | bytes) -> str:
    """icalendar's ``to_unicode``: UTF-8 without a leading byte-order mark. Its codec,
    utf-8-sig, is written in Python; without a BOM it reads as plain UTF-8 does."""
    if isinstance(raw, bytes) and not raw.startswith(_BOM):
        try:
            return raw.decode()
        except UnicodeDecodeError:
            pass  # to_unicode's way with bad bytes
    return str(to_unicode(raw))


def finish_line(line: str) -> bytes:
    """The bytes of a content line of no newline: UTF-8, folded as ``_foldline`` folds
    it, and its CRLF."""
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


@lru_cache(maxsize=256)
def _sorted_keys(kind: type[Component], names: tuple[str, ...]) -> list[str]:
    """``Component.sorted_keys`` of a component of this kind with these names."""
    return canonsort_keys(names, kind.canonical_order)


@cache
def begin_end(name: str) -> tuple[bytes, bytes]:
    """The BEGIN and END lines of a component, as ``property_items`` makes them: the
    name as vText bytes, then written as a plain value (so vText again). A handful of
    names, so computed once each."""
    value = vText(name).to_ical()
    writer = IcalWriter()
    return writer.value_line("BEGIN", value), writer.value_line("END", value)


# What _line asks to write a value icalendar does not make (its content_line reads
# nothing of the component itself).
_ANY = Component()
