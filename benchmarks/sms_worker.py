"""One dispatching process for the proofs and benchmarks: the clock's dispatch and
reconcile work (the same ``Dispatcher`` and ``outbox`` functions) against a loopback
provider, with the grace and settle periods shortened to seconds.

    python -m benchmarks.sms_worker --database-url URL --provider-url URL [--until-idle]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from datetime import time as clock_time
from datetime import timedelta
from types import FrameType

from sqlalchemy import func, select

from benchmarks.loopback import HttpGateway
from service.db import Database
from service.models import Delivery, utcnow
from service.settings import QuietHours, Settings
from service.sms import outbox
from service.sms.dispatcher import Dispatcher
from service.sms.reconcile import reconcile_stuck

NO_QUIET_HOURS = QuietHours(clock_time(0), clock_time(0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--provider-url", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=1.0, help="HTTP timeout, seconds")
    parser.add_argument("--grace", type=float, default=3.0, help="sending -> unknown, seconds")
    parser.add_argument("--settle", type=float, default=2.0, help="timeout -> resend, seconds")
    parser.add_argument("--backoff", type=float, default=0.2, help="first retry delay, seconds")
    parser.add_argument("--until-idle", action="store_true", help="exit when nothing is left")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args(argv)

    db = Database(args.database_url)
    settings = Settings(
        env="test",
        database_url=args.database_url,
        secret_key="proof-" + "x" * 40,
        public_base_url="http://127.0.0.1:9",
        quiet_hours=NO_QUIET_HOURS,
        sms_concurrency=args.concurrency,
        sms_rate_per_second=args.rate,
        log_level="ERROR",
    )
    gateway = HttpGateway(args.provider_url, timeout=args.timeout)
    dispatcher = Dispatcher(db, gateway, settings, backoff_base=timedelta(seconds=args.backoff))

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        dispatcher.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    grace, settle = timedelta(seconds=args.grace), timedelta(seconds=args.settle)
    deadline = time.monotonic() + args.max_seconds
    totals: dict[str, int] = {}
    while not dispatcher.stopping.is_set() and time.monotonic() < deadline:
        stats = dispatcher.run()
        for name, count in stats.statuses.items():
            totals[name] = totals.get(name, 0) + count
        reconcile_stuck(db, gateway, utcnow(), grace=grace, settle=settle)
        with db.transaction() as session:
            outbox.expire_useless(session, utcnow())
            open_rows = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("pending", "sending")))
            )
        if args.until_idle and not open_rows:
            break
        dispatcher.stopping.wait(0.02)
    dispatcher.close()
    db.dispose()
    json.dump(totals, sys.stdout)


if __name__ == "__main__":
    main()
