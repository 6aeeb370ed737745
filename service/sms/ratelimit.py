"""A rate limiter for sends: never more than the cap in ANY one-second window.

A token bucket allows a burst of ``capacity`` after an idle spell and can exceed the cap
across a window boundary; carriers count per rolling second. This one paces sends at
least ``1 / rate`` apart (so the jitter between here and the provider cannot bunch a
burst into one provider-side second) and also keeps the instants of the last sends, so a
fractional rate is still never exceeded in any window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """``acquire()`` blocks until one more send fits under ``per_second``.

    ``margin`` stretches the spacing a little: a send's instant here and its arrival at
    the provider differ by a few milliseconds of jitter.
    """

    def __init__(
        self,
        per_second: float,
        *,
        margin: float = 0.02,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = (1 + margin) / per_second
        # In any one second at most floor(rate) sends fit (2.5/s allows 2); below one per
        # second the spacing alone decides.
        self.count = max(1, math.floor(per_second))
        self.window = max(1.0, 1 / per_second) * (1 + margin)
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._sleep = sleep

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a slot; False if ``stop`` was set while waiting (nothing taken)."""
        while True:
            with self._lock:
                now = self._monotonic()
                wait = self._wait(now)
                if wait <= 0:
                    self._sent.append(now)
                    return True
            if self._sleep is not None:
                self._sleep(wait)
            elif stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)

    def _wait(self, now: float) -> float:
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        waits = [0.0]
        if self._sent:
            waits.append(self._sent[-1] + self.interval - now)
        if len(self._sent) >= self.count:
            waits.append(self._sent[0] + self.window - now)
        wait = max(waits)
        # A floor so rounding can never leave a zero-length wait spinning.
        return 0.0 if wait <= 0 else max(wait, 1e-4)
