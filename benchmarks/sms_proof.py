"""Full-size proofs of "exactly one SMS per (occurrence, rule, person)" (DESIGN §1); the
proofs themselves are in ``tests/support/sms_proof.py``.

    python -m benchmarks.sms_proof two-clocks --count 2000 [--database postgresql]
    python -m benchmarks.sms_proof chaos --count 2000 [--seconds 60] [--database postgresql]

``two-clocks``: two dispatching processes share one outbox; the fake counts what
arrives. ``chaos``: the same while one process is killed with SIGKILL and restarted
every few seconds, the fake answering 10% 5xx, 5% 429 and 2% timeouts (half of them
accepted but answered too late), and sending signed status callbacks to the real web app
(gunicorn, POST /webhooks/twilio/status), which checks X-Twilio-Signature and applies
them. Rows a kill left ``sending`` are settled by reconcile asking the fake's Message
list. Both print lost / duplicated / unknown / expired counts. Loopback only; bounded
in count and time; each stops by itself.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.support.database import fresh_database
from tests.support.sms_proof import chaos, two_clocks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("proof", choices=("two-clocks", "chaos"))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args(argv)
    run: Callable[[str], dict[str, Any]]
    if args.proof == "two-clocks":
        run = lambda url: two_clocks(url, args.count)  # noqa: E731
    else:
        run = lambda url: chaos(url, args.count, seconds=args.seconds)  # noqa: E731
    with fresh_database(args.database) as url:
        report = run(url)
    report["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
