"""The send-rate cap holds in every one-second window, not just on average."""

from __future__ import annotations

import threading
from bisect import bisect_left

import pytest

from service.sms.ratelimit import RateLimiter


class FakeTime:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def busiest_second(times: list[float]) -> int:
    return max(bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


@pytest.mark.parametrize("rate", [50, 7, 2.5])
def test_no_one_second_window_ever_holds_more_than_the_cap(rate: float) -> None:
    fake = FakeTime()
    limiter = RateLimiter(rate, monotonic=fake.monotonic, sleep=fake.sleep)
    times = []
    for _ in range(500):
        limiter.acquire()
        times.append(fake.now)

    assert busiest_second(times) <= rate
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= int(rate) * 0.95


def test_a_burst_after_an_idle_spell_is_still_capped() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10, monotonic=fake.monotonic, sleep=fake.sleep)
    times = []
    for _ in range(10):
        limiter.acquire()
        times.append(fake.now)
    fake.now += 0.99  # nearly a second of silence, then a burst
    for _ in range(10):
        limiter.acquire()
        times.append(fake.now)

    assert busiest_second(times) <= 10


def test_rates_below_one_space_sends_out() -> None:
    fake = FakeTime()
    limiter = RateLimiter(0.5, monotonic=fake.monotonic, sleep=fake.sleep)
    limiter.acquire()
    limiter.acquire()
    assert fake.now - 100.0 >= 2.0


def test_waiting_for_a_slot_gives_up_when_the_clock_stops() -> None:
    limiter = RateLimiter(1)
    stop = threading.Event()
    assert limiter.acquire(stop)
    stop.set()
    assert limiter.acquire(stop) is False
