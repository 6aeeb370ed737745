"""Guarantees 1 and 2 proved at reduced size: exactly once across processes and crashes,
and nothing silently skipped after downtime. Full size: benchmarks/sms_proof.py and
benchmarks/sms_downtime.py (figures in docs/performance.md)."""

from __future__ import annotations

from flask import Flask

from service.context import Pufa
from tests.support import sms_downtime, sms_proof


def test_two_dispatching_processes_send_each_of_200_messages_exactly_once(
    app: Flask, pufa_state: Pufa
) -> None:
    report = sms_proof.two_clocks(pufa_state.settings.database_url, 200, latency=0.01)

    assert report["received_at_provider"] == 200
    assert (report["lost"], report["duplicated"], report["unknown_left"]) == (0, 0, 0)
    assert report["statuses"] == {"sent": 200}


def test_killing_a_clock_mid_send_under_provider_faults_loses_and_duplicates_nothing(
    app: Flask, pufa_state: Pufa
) -> None:
    report = sms_proof.chaos(
        pufa_state.settings.database_url,
        150,
        seconds=4,
        kill_every=1.0,
        latency=(0.01, 0.05),
        grace=1.0,
        settle=1.0,
        callback_delay=(0.05, 2.0),
    )

    # Killed more than once in its 4 s (a restart takes longer on a loaded machine, so
    # the count of kills varies: 2 to 4).
    assert report["kills"] >= 2
    assert (report["lost"], report["duplicated"], report["unknown_left"]) == (0, 0, 0)
    assert report["sid_on_the_wrong_row"] == 0
    assert report["received_at_provider"] == 150
    # Status callbacks reached the real webhook, signed, and were all accepted.
    assert set(report["callbacks_answered"]) == {"204"}


def test_after_an_hour_of_downtime_useful_reminders_go_late_and_the_rest_expire(
    pufa_state: Pufa,
) -> None:
    report = sms_downtime.run(pufa_state, people=3)

    assert report["messages"] == 18 and report["left_pending_or_sending"] == 0
    assert report["duplicated"] == 0
    by_rule = report["by_rule"]
    assert by_rule["sent before the outage (14:30)"] == {"sent at 14:30": 3}
    assert by_rule["due in the outage, useful until 16:00 (14:45)"] == {"sent at 15:40": 3}
    assert by_rule["due in the outage, useful until 16:00 (15:30)"] == {"sent at 15:40": 3}
    [(expired, count)] = by_rule["due in the outage, window 15 min (14:50)"].items()
    assert expired.startswith("expired: not sent before it stopped being useful") and count == 3
    assert by_rule["due after the restart (15:50)"] == {"sent at 15:50": 3}
