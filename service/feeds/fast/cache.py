"""Rendered feeds kept in memory, keyed by their validator; and the validators, kept
under the change mark they were computed at.

The validator changes whenever the feed would, so a rendered feed can never be stale:
it is simply no longer asked for, and falls out of the LRU. Each web process has its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    """A bounded map that forgets the least recently used entry first; thread-safe."""

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()  # gunicorn --threads serves requests concurrently

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> V:
        """Keep ``value``; two threads rendering the same feed at once both store it,
        which costs a little time, where one lock around rendering would make every
        feed wait for the slowest."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


ByteCache = LruCache[bytes]
