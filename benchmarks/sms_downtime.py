"""Proof of "nothing silently skipped" (DESIGN §2) at full size: the clock stops for an
hour; the proof itself is in ``tests/support/sms_downtime.py``.

    python -m benchmarks.sms_downtime [--people 1000] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json

from service.app import create_app
from service.context import Pufa
from service.settings import Settings
from tests.support.database import fresh_database
from tests.support.sms_downtime import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="sqlite")
    args = parser.parse_args(argv)
    with fresh_database(args.database) as url:
        settings = Settings(
            env="test", database_url=url, secret_key="proof-" + "x" * 40, log_level="ERROR"
        )
        app = create_app(settings)
        state: Pufa = app.extensions["pufa"]
        report = run(state, args.people)
        state.db.dispose()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
