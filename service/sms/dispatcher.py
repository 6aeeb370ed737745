"""The dispatcher: claims due messages, sends them with bounded concurrency, records them.

Order of events for one message (guarantee 1): the claim (``pending -> sending``) is
committed, then the gateway is called, then the provider's id is recorded in its own
short transaction. A crash between the two leaves the row ``sending``; its status callback
URL carries the delivery id, so the callback settles it, or reconcile asks the provider
(``service.sms.reconcile``). Nothing is ever sent twice on purpose.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..db import Database
from ..models import DeliveryStatus, utcnow
from ..settings import Settings
from . import outbox
from .gateway import Gateway, SendResult, SmsError
from .ratelimit import RateLimiter
from .reconcile import ReconcileResult, reconcile_stuck
from .status import status_callback_url

log = logging.getLogger("pufa.sms")


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    ambiguous: int = 0
    expired: int = 0
    held: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


_Outcome = tuple[outbox.Claimed, SendResult | SmsError, DispatchStats]


_STATS_NAMES: dict[str, str] = {
    DeliveryStatus.PENDING: "retrying",
    DeliveryStatus.SENDING: "ambiguous",
}


class Dispatcher:
    """One per clock process; ``run`` is safe to call from one thread at a time."""

    def __init__(
        self,
        db: Database,
        gateway: Gateway,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        backoff_base: timedelta = timedelta(seconds=30),
    ) -> None:
        self.db, self.gateway, self.settings = db, gateway, settings
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.backoff_base = backoff_base
        self.stopping = threading.Event()
        rate = settings.sms_rate_per_second
        self.limiter = RateLimiter(rate) if rate > 0 else None
        concurrency = settings.sms_concurrency
        # Claim no more than the senders can start at once: a claimed row that a crash
        # leaves behind is reported ``unknown``, never resent, so claiming ahead would turn
        # a kill into messages nobody sent.
        self.queue_size = min(concurrency, math.ceil(rate)) if rate > 0 else concurrency
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="sms")
        self._stats_lock = threading.Lock()
        self._results: queue.Queue[_Outcome] = queue.Queue()
        threading.Thread(target=self._record_loop, name="sms-recorder", daemon=True).start()

    def callback_url(self, delivery_id: int) -> str:
        return status_callback_url(self.settings.public_base_url, delivery_id)

    def run(self) -> DispatchStats:
        """Send everything due now, then return. Stops claiming once ``stopping`` is set
        and waits for the sends already started."""
        stats = DispatchStats()
        in_flight: set[Future[None]] = set()
        while True:
            room = self.queue_size - len(in_flight)
            if (
                not self.stopping.is_set()
                and room > 0
                and (room >= self.queue_size // 2 or not in_flight)
            ):
                claimed = self._claim(room, stats)
                for item in claimed:
                    in_flight.add(self.pool.submit(self._send, item, stats))
                if not claimed and not in_flight:
                    return stats
            if not in_flight:
                return stats
            _done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            if not in_flight:
                self._results.join()  # every outcome recorded before claiming more or returning

    def close(self) -> None:
        """Stop claiming; let started sends finish and their outcomes be recorded."""
        self.stopping.set()
        self.pool.shutdown(wait=True)
        self._results.join()

    def _claim(self, limit: int, stats: DispatchStats) -> list[outbox.Claimed]:
        now = self.clock()
        with self.db.transaction() as session:
            stats.expired += outbox.expire_useless(session, now)
            stats.held += outbox.hold_for_quiet_hours(
                session, now, self.settings.quiet_hours, self.settings.zone
            )
            claimed = outbox.claim(session, now, limit, skip_locked=self.db.is_postgresql)
        stats.claimed += len(claimed)
        return claimed

    def _send(self, item: outbox.Claimed, stats: DispatchStats) -> None:
        if self.limiter is not None and not self.limiter.acquire(self.stopping):
            with self.db.transaction() as session:
                outbox.release(session, item.id, self.clock())
            return
        outcome: SendResult | SmsError
        try:
            outcome = self.gateway.send(item.to, item.body, self.callback_url(item.id))
        except SmsError as error:
            outcome = error
        except Exception:
            # Whatever broke, the request may have left: treat it like a timeout.
            log.exception("send raised", extra={"delivery": item.id})
            outcome = SmsError("timeout", "gateway error", permanent=False)
        self._results.put((item, outcome, stats))

    def _record_loop(self) -> None:
        """Write outcomes in small batches: one transaction per batch instead of one per
        message keeps SQLite's single writer from throttling the senders."""
        while True:
            batch = [self._results.get()]
            while len(batch) < 200:
                try:
                    batch.append(self._results.get_nowait())
                except queue.Empty:
                    break
            try:
                self._record(batch)
            except Exception:
                log.exception("recording a batch failed; recording one by one")
                for one in batch:
                    try:
                        self._record([one])
                    except Exception:
                        # The row stays ``sending``: its callback or reconcile settles it.
                        log.exception("recording failed", extra={"delivery": one[0].id})
            finally:
                for _ in batch:
                    self._results.task_done()

    def _record(self, batch: list[_Outcome]) -> None:
        counts: list[tuple[DispatchStats, str]] = []
        with self.db.transaction() as session:
            now = self.clock()
            accepted = [(i.id, o.provider_sid) for i, o, _ in batch if isinstance(o, SendResult)]
            outbox.record_sent(session, accepted, now)
            counts += [(stats, "sent") for _, o, stats in batch if isinstance(o, SendResult)]
            for item, outcome, stats in batch:
                if isinstance(outcome, SendResult):
                    continue
                log.warning(
                    "send refused",
                    extra={
                        "delivery": item.id,
                        "code": outcome.code,
                        "permanent": outcome.permanent,
                    },
                )
                status = outbox.record_failure(
                    session, item, outcome, now, base=self.backoff_base, rng=self.rng
                )
                counts.append((stats, _STATS_NAMES.get(status, status)))
        for stats, name in counts:
            self._count(stats, name)

    def _count(self, stats: DispatchStats, name: str) -> None:
        with self._stats_lock:
            stats.statuses[name] = stats.statuses.get(name, 0) + 1
            if hasattr(stats, name):
                setattr(stats, name, getattr(stats, name) + 1)


def reconcile(
    db: Database, gateway: Gateway, settings: Settings, now: datetime, settle: timedelta
) -> ReconcileResult:
    """The reconcile tick: settle stuck ``sending`` rows by asking the provider, and
    expire pending ones no longer useful."""
    grace = timedelta(minutes=settings.sending_grace_minutes)
    result = reconcile_stuck(db, gateway, now, grace=grace, settle=settle)
    with db.transaction() as session:
        outbox.expire_useless(session, now)
    return result
