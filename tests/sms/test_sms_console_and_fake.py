"""The console backend, and the fake Twilio run standalone as a chaos test would."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request

import pytest

from service.sms.console import ConsoleGateway
from service.sms.twilio_gateway import TwilioGateway
from tests.support import ROOT
from tests.support.sms import FROM_NUMBER


def test_console_gateway_logs_a_masked_number_and_keeps_an_outbox(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = ConsoleGateway(keep=2)
    with caplog.at_level(logging.INFO, logger="pufa.sms.console"):
        results = [gateway.send("+8613900008001", f"第{n}条", None) for n in range(3)]

    assert [m.body for m in gateway.outbox] == ["第1条", "第2条"]  # bounded
    assert all(r.provider_sid.startswith("CONSOLE-") and r.status == "sent" for r in results)
    assert len({r.provider_sid for r in results}) == 3
    assert caplog.records[0].to == "***8001"  # type: ignore[attr-defined]
    assert "+8613900008001" not in caplog.text


def test_the_fake_runs_standalone_with_control_endpoints() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_twilio", "--port", "0", "--script", "429,ok"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        gateway = TwilioGateway(
            account_sid=info["account_sid"],
            auth_token=info["auth_token"],
            from_number=FROM_NUMBER,
            timeout_seconds=2,
            api_base_url=info["base_url"],
        )
        with pytest.raises(Exception, match="20429"):
            gateway.send("+8613900008001", "one", None)
        sid = gateway.send("+8613900008001", "two", None).provider_sid

        with urllib.request.urlopen(info["base_url"] + "/_fake/outbox", timeout=2) as response:
            outbox = json.load(response)
        assert [(m["sid"], m["body"]) for m in outbox] == [(sid, "two")]
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
