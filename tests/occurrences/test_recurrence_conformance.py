"""Recurrence rules mean what RFC 5545, libical and ical.js say: public test corpora.

tests/occurrences/data/recurrence_corpus.json holds cases copied from the RFC 5545 §3.8.5.3
examples, kewisch/ical.js's test/recur_iterator_test.js and dateutil's
tests/test_rrule.py (where dateutil's reading is RFC 5545's as ical.js reads it), each
citing its source file at a commit. Each case goes through the one checker
(``service.occurrences.validate``) and the engine the API, the feed and the SMS plan use:
either Pufa lists exactly the corpus's occurrences, or it refuses the rule with the
documented class the case names (docs/recurrence.md). No other outcome passes.
"""

from __future__ import annotations

import gc
import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from service.errors import Invalid
from service.occurrences.expand import ScheduleSpec, original_starts
from service.occurrences.rfc5545 import KINDS
from service.occurrences.validate import validate_rrule, validate_schedule, validate_start

CORPUS = json.loads((Path(__file__).parent / "data" / "recurrence_corpus.json").read_text())
CASES: list[dict[str, Any]] = CORPUS["cases"]
_FIRST = re.compile(r"之后的第一次是 (\d{4}-\d\d-\d\d(?: \d\d:\d\d)?)")
_KIND_BY_LABEL = {label: kind for kind, label in KINDS.items()}


def _kind(error: Invalid) -> str:
    """The documented class a refusal names: its message ends in the class's label."""
    reason = next(iter(error.fields.values()))
    label = reason.rsplit("（", 1)[-1].rstrip("）")
    return _KIND_BY_LABEL.get(label, f"undocumented: {reason}")


def _refusal(case: dict[str, Any], start: datetime) -> str | None:
    try:
        validate_rrule(case["rule"], start, case["timezone"], is_all_day=case["all_day"])
    except Invalid as error:
        return _kind(error)
    return None


def _occurrences(case: dict[str, Any], canonical: str, start: datetime, end: datetime) -> list[str]:
    zone = ZoneInfo(case["timezone"])
    spec = ScheduleSpec(
        id=1,
        timezone=case["timezone"],
        start=start.replace(tzinfo=zone),
        duration=timedelta(days=1) if case["all_day"] else timedelta(minutes=30),
        is_all_day=case["all_day"],
        rrule=canonical,
    )
    found = original_starts(spec, start.replace(tzinfo=zone), end.replace(tzinfo=zone))
    return [moment.replace(tzinfo=None).isoformat() for moment in found]


@pytest.mark.parametrize("case", CASES, ids=[case["source"].rsplit("/", 1)[-1] for case in CASES])
def test_corpus_case(case: dict[str, Any]) -> None:
    start = datetime.fromisoformat(case["start"])
    # CPU time of this thread: the machine is shared, the check's own cost is the point,
    # not a pause of the collector for what earlier tests left (it took over 100 ms).
    gc.disable()
    try:
        began = time.thread_time()
        refusal = _refusal(case, start)
        spent = time.thread_time() - began
    finally:
        gc.enable()
    assert spent < 0.1, "a rule is checked within 100 ms"
    assert refusal == case["refusal"], case["source"]
    if refusal is not None:
        return
    canonical = validate_rrule(case["rule"], start, case["timezone"], is_all_day=case["all_day"])
    try:
        validate_start(canonical, start, case["timezone"], is_all_day=case["all_day"])
        first = start
    except Invalid as error:
        # A start that is not an occurrence: the 422 names the first one after it, and
        # that one is then accepted as the start.
        named = _FIRST.search(error.fields["start"])
        assert named is not None, error.fields
        first = datetime.fromisoformat(named.group(1))
        validate_schedule(case["rule"], first, case["timezone"], is_all_day=case["all_day"])
    expected = [moment for moment in case["expected"] if moment >= first.isoformat()]
    assert expected, case["source"]
    assert first.isoformat() == expected[0], case["source"]
    last = datetime.fromisoformat(expected[-1])
    # A complete list (COUNT or UNTIL) must also end where the corpus's ends.
    end = last + timedelta(days=3 * 366) if case["complete"] else last
    found = _occurrences(case, canonical, first, end)
    if first != start and "COUNT=" in canonical.upper():
        # The corpus counted the refused start among COUNT (RFC 5545: DTSTART is always
        # the first occurrence); counted from the first real one, the series is longer.
        found = found[: len(expected)]
    assert found == expected, case["source"]


def test_the_corpus_figures_are_the_documented_ones() -> None:
    """docs/recurrence.md quotes these figures; refusals are only of documented classes."""
    by_corpus: dict[str, list[int]] = {}
    for case in CASES:
        counts = by_corpus.setdefault(case["corpus"], [0, 0])
        counts[case["refusal"] is not None] += 1
        assert case["refusal"] is None or case["refusal"] in KINDS
        assert "@" in case["source"] and "#L" in case["source"]
    assert by_corpus == {"rfc5545": [36, 5], "ical.js": [107, 8], "dateutil": [61, 164]}
    assert len(CORPUS["excluded"]) == 1
