"""Rendered feeds kept in memory, keyed by their validator.

The validator changes whenever the feed would, so an entry can never be stale: it is
simply no longer asked for, and falls out of the LRU. Each web process has its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ByteCache:
    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()  # gunicorn --threads serves requests concurrently

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        # Render outside the lock: two threads may render the same feed once each, which
        # costs a little time; holding the lock would make every feed wait for one.
        value = make()
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
