"""A sliding-window rate limiter: never more than the cap in ANY one-second window.

A token bucket allows a burst of ``capacity`` right after an idle spell and can exceed the
cap across a window boundary; carriers count per rolling second, so this keeps the exact
instants of the last sends and waits until the oldest leaves the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """``acquire()`` blocks until one more send fits under ``per_second``.

    A fractional rate above one is rounded down (2.5/s allows 2 in any second); rates
    below one per second become one send per ``1 / per_second`` seconds. The
    window is stretched by ``margin`` so that network jitter between this process and
    the provider cannot push two sends into the same provider-side second.
    """

    def __init__(
        self,
        per_second: float,
        *,
        margin: float = 0.01,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        # In any one second at most floor(rate) sends fit; below one per second, one send
        # per 1 / rate seconds.
        self.count = max(1, math.floor(per_second))
        self.window = (1.0 if per_second >= 1 else 1 / per_second) * (1 + margin)
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._sleep = sleep

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a slot; False if ``stop`` was set while waiting (nothing taken)."""
        while True:
            with self._lock:
                now = self._monotonic()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.count:
                    self._sent.append(now)
                    return True
                # A floor so rounding can never leave a zero-length wait spinning.
                wait = max(1e-4, self.window - (now - self._sent[0]))
            if self._sleep is not None:
                self._sleep(wait)
            elif stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)
