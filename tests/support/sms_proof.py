"""The proofs of "exactly one SMS per (occurrence, rule, person)" (DESIGN §1), through the
real path: the ``twilio`` gateway and client, aimed (TWILIO_API_BASE_URL) at the fake
Twilio server (``tests/support/fake_twilio.py``) on 127.0.0.1. ``tests/test_guarantees.py``
runs them at reduced size, ``benchmarks/sms_proof.py`` at full size.

``two_clocks``: two dispatching processes (``tests/support/sms_worker.py``) share one
outbox; the fake counts what arrives. ``chaos``: the same while one process is killed
with SIGKILL and restarted every few seconds, the fake answering 5xx, 429 and timeouts
(half of them accepted but answered too late), and sending signed status callbacks to the
real web app (gunicorn, POST /webhooks/twilio/status), which checks X-Twilio-Signature and
applies them. Rows a kill left ``sending`` are settled by reconcile asking the fake's
Message list. Both report lost / duplicated / unknown / expired counts. Loopback only;
bounded in count and time; each stops by itself.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from service.db import Database
from service.models import Delivery, Person, ReminderRule, Schedule, utcnow
from service.sms import clockstate
from service.sms.reconcile import COUNTER_PREFIX
from tests.support import ROOT
from tests.support.fake_twilio import FakeTwilio
from tests.support.proof_rig import CallbackPump, web_app


def seed_outbox(
    db: Database,
    count: int,
    due_at: datetime,
    useful_until: datetime,
    *,
    spread: timedelta = timedelta(0),
    people: int = 1,
) -> None:
    """``count`` pending messages, due from ``due_at`` over ``spread``."""
    with db.transaction() as session:
        schedule = Schedule(kind="meeting", title="proof", starts_at=useful_until)
        session.add(schedule)
        session.flush()
        rule = ReminderRule(
            schedule_id=schedule.id, name="proof", lead_minutes=60, template="lecture_audience"
        )
        persons = [Person(name=f"p{i}", mobile=f"+86139{i:08d}") for i in range(people)]
        session.add_all([rule, *persons])
        session.flush()
        step = spread / count if count else timedelta(0)
        rows = [
            {
                "schedule_id": schedule.id,
                "original_start_at": useful_until + timedelta(seconds=i),
                "rule_id": rule.id,
                "person_id": persons[i % people].id,
                "status": "pending",
                "due_at": due_at + step * i,
                "useful_until": useful_until,
                "occurrence_start_at": useful_until,
                "to": persons[i % people].mobile,
                # Distinct texts, as real reminders to one person are: reconcile matches
                # a lost send at the provider on recipient and text.
                "body": f"【蟒河镇普法】测试提醒 {i}",
                "segments": 1,
                "attempts": 0,
                "reason": "",
                "created_at": due_at,
                "updated_at": due_at,
            }
            for i in range(count)
        ]
        for start in range(0, count, 5000):
            session.execute(insert(Delivery), rows[start : start + 5000])


def start_worker(url: str, fake: FakeTwilio, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.support.sms_worker", "--database-url", url]
    command += ["--twilio-base-url", fake.base_url, "--account-sid", fake.account_sid]
    command += ["--auth-token", fake.auth_token, *extra]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def audit(db: Database, fake: FakeTwilio) -> dict[str, Any]:
    """Compare the outbox with what the fake Twilio accepted (by the delivery id in
    each message's StatusCallback)."""
    received = Counter(m.delivery_id for m in fake.outbox)
    with db.sessions() as session:
        rows = session.execute(select(Delivery.id, Delivery.status, Delivery.provider_sid)).all()
    statuses = Counter(status for _id, status, _sid in rows)
    accepted = {"sent", "delivered", "undelivered"}
    sids = {m.sid: m.delivery_id for m in fake.outbox}
    lost = [
        row_id
        for row_id, status, _sid in rows
        if (status in accepted and row_id not in received)
        or (row_id in received and status not in accepted | {"unknown"})
        or status in ("pending", "sending")
    ]
    unknown = [row_id for row_id, status, _sid in rows if status == "unknown"]
    return {
        "deliveries": len(rows),
        "received_at_provider": sum(received.values()),
        "lost": len(lost),
        "duplicated": sum(1 for c in received.values() if c > 1),
        "unknown_left": len(unknown),
        "unknown_left_that_reached_the_provider": sum(1 for i in unknown if i in received),
        "expired": statuses.get("expired", 0),
        "failed": statuses.get("failed", 0),
        "sid_on_the_wrong_row": sum(1 for i, _s, sid in rows if sid and sids.get(sid) != i),
        "statuses": dict(statuses),
    }


def two_clocks(url: str, count: int, *, latency: float = 0.05) -> dict[str, Any]:
    db = Database(url)
    now = utcnow()
    seed_outbox(db, count, now - timedelta(minutes=1), now + timedelta(hours=1), people=50)
    started = time.monotonic()
    with FakeTwilio(seed=1, hang_seconds=5) as fake:
        fake.rates(latency=latency)
        workers = [start_worker(url, fake, "--until-idle", "--max-seconds", "120") for _ in "ab"]
        outputs = [json.loads(w.communicate(timeout=180)[0] or "{}") for w in workers]
        report = audit(db, fake)
    report.update(seconds=round(time.monotonic() - started, 2), per_process=outputs)
    db.dispose()
    return report


def chaos(
    url: str,
    count: int,
    *,
    seconds: float = 60,
    kill_every: float = 3.0,
    latency: float | tuple[float, float] = (0.05, 0.3),  # a kill often lands mid-send
    grace: float = 3.0,
    settle: float = 3.0,
    callback_delay: tuple[float, float] = (0.2, 6.0),
) -> dict[str, Any]:
    db = Database(url)
    now = utcnow()
    spread = timedelta(seconds=seconds * 0.9)
    seed_outbox(db, count, now, now + timedelta(hours=1), spread=spread, people=50)
    fake = FakeTwilio(seed=7, hang_seconds=1.5)  # longer than the client's 1 s timeout
    fake.rates(
        server_error_rate=0.10,
        throttle_rate=0.05,
        timeout_rate=0.01,  # nothing accepted
        accept_timeout_rate=0.01,  # accepted, answered too late: the ambiguous case
        latency=latency,
    )
    fake.auto_statuses = ("sent", "delivered")
    kills = 0
    pump = CallbackPump(fake, delay=callback_delay)
    with fake, web_app(url, fake.auth_token) as app_url, pump:
        # grace > the longest send: a row left sending is one whose process died. Some
        # callbacks come later than grace, so some of those rows settle by lookup.
        args: tuple[str, ...] = ("--timeout", "1.0", "--grace", str(grace))
        args += ("--settle", str(settle))
        args += ("--backoff", "0.2", "--public-base-url", app_url)
        steady = start_worker(url, fake, *args, "--max-seconds", str(seconds + 90))
        victim = start_worker(url, fake, *args)
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                time.sleep(kill_every)  # real processes, real time: the point of the exercise
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills += 1
                victim = start_worker(url, fake, *args)
            victim.send_signal(signal.SIGTERM)
            victim.wait(timeout=30)
            _wait_until_settled(db, timeout=60)
            steady.send_signal(signal.SIGTERM)
            steady.wait(timeout=30)
        finally:
            for process in (steady, victim):
                if process.poll() is None:
                    process.kill()
    report = audit(db, fake)
    report.update(
        kills=kills,
        seconds=seconds,
        provider_requests=fake.requests,
        callbacks_answered=dict(pump.answers),
        reconciled=_reconciled(db),
    )
    db.dispose()
    return report


def _reconciled(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        return clockstate.counts(session, COUNTER_PREFIX)


def _wait_until_settled(db: Database, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.sessions() as session:
            busy = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("pending", "sending")))
            )
        if not busy:
            return
        time.sleep(0.2)
