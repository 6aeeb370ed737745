"""One dispatching process for the proofs: the clock's dispatch and reconcile work (the
same ``Dispatcher`` and ``service.sms.reconcile`` code) through the real Twilio gateway
aimed at a fake Twilio on loopback, with the grace and settle periods cut to seconds.

    python -m tests.support.sms_worker --database-url URL --twilio-base-url URL \\
        --account-sid AC… --auth-token … --public-base-url URL [--until-idle]
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

from service.db import Database
from service.logs import configure_logging
from service.models import Delivery, utcnow
from service.settings import QuietHours, Settings
from service.sms import outbox
from service.sms.dispatcher import Dispatcher
from service.sms.reconcile import reconcile_stuck
from service.sms.twilio_gateway import TwilioGateway

NO_QUIET_HOURS = QuietHours(clock_time(0), clock_time(0))
FROM_NUMBER = "+15005550006"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--twilio-base-url", required=True, help="TWILIO_API_BASE_URL")
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--public-base-url", default="http://127.0.0.1:9")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=1.0, help="HTTP timeout, seconds")
    parser.add_argument("--grace", type=float, default=3.0, help="crash -> lookup, seconds")
    parser.add_argument("--settle", type=float, default=3.0, help="timeout -> lookup, seconds")
    parser.add_argument("--backoff", type=float, default=0.2, help="first retry delay, seconds")
    parser.add_argument("--until-idle", action="store_true", help="exit when nothing is left")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--log-level", default="ERROR")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)

    db = Database(args.database_url)
    settings = Settings(
        env="test",
        database_url=args.database_url,
        secret_key="proof-" + "x" * 40,
        public_base_url=args.public_base_url,
        quiet_hours=NO_QUIET_HOURS,
        sms_backend="twilio",
        twilio_account_sid=args.account_sid,
        twilio_auth_token=args.auth_token,
        twilio_from=FROM_NUMBER,
        twilio_api_base_url=args.twilio_base_url,
        twilio_timeout_seconds=args.timeout,
        sms_concurrency=args.concurrency,
        sms_rate_per_second=args.rate,
        log_level=args.log_level,
    )
    gateway = TwilioGateway.from_settings(settings)
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
        settled = reconcile_stuck(db, gateway, utcnow(), grace=grace, settle=settle)
        for name, count in vars(settled).items():
            if count:
                totals[f"reconciled_{name}"] = totals.get(f"reconciled_{name}", 0) + count
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
