"""The HTTP side of the fake Twilio (see ``tests/fake_twilio.py`` for its API).

Speaks the Messages API as Twilio does: form-encoded POSTs, HTTP Basic auth with the
account SID and auth token, JSON bodies shaped like Twilio's, errors as
``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlencode

if TYPE_CHECKING:
    from tests.support.fake_twilio import FakeTwilio, _Server

_CREATE = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
_LIST_PAGE_SIZE, _LIST_MAX_PAGE_SIZE = 50, 1000
_FETCH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(SM\w+)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MAX_BODY_BYTES = 64 * 1024
_MESSAGES = {
    20001: "Invalid paging or filter parameter",
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}


def error_body(code: int, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": _MESSAGES.get(code, f"Error {code}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def message_json(message: Any, account_sid: str) -> dict[str, Any]:
    body: str = message.body
    ascii_only = body.isascii()
    single, multi = (160, 153) if ascii_only else (70, 67)
    segments = 1 if len(body) <= single else -(-len(body) // multi)  # close enough for a fake
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{message.sid}.json"
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": message.date_created,
        "date_sent": message.date_sent,
        "date_updated": message.date_created,
        "direction": "outbound-api",
        "error_code": message.error_code,
        "error_message": None,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": "0",
        "num_segments": str(segments),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": message.to,
        "uri": uri,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    timeout = 10  # a silent client cannot hold a thread for ever
    # One write per answer, no Nagle: otherwise delayed ACKs add 40 ms to every call.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet; the outbox is the record

    @property
    def fake(self) -> FakeTwilio:
        return cast("_Server", self.server).fake

    def do_GET(self) -> None:
        if self.path == "/_fake/outbox":
            return self._json(200, self.fake.snapshot())
        path, _, query = self.path.partition("?")
        listing = _CREATE.match(path)
        if listing:
            if self._authorized(listing.group(1)):
                self._list(path, parse_qs(query, keep_blank_values=True))
            return None
        match = _FETCH.match(self.path)
        if not match or not self._authorized(match.group(1)):
            return self._error(20404, 404) if not match else None
        message = self.fake.message(match.group(2))
        if message is None:
            return self._error(20404, 404)
        return self._json(200, message_json(message, self.fake.account_sid))

    def _list(self, path: str, query: dict[str, list[str]]) -> None:
        """Twilio's Message list: filters To, From, DateSent / DateSent< / DateSent>
        (a date, or an ISO 8601 instant; > and < are inclusive as Twilio documents),
        newest first, paged with Page, PageSize and PageToken (next_page_uri)."""
        if self.fake.lookup_fault:
            return self._answer(self.fake.lookup_fault, {})
        args = {k: v[-1] for k, v in query.items()}
        try:
            size = min(int(args.get("PageSize", _LIST_PAGE_SIZE)), _LIST_MAX_PAGE_SIZE)
            page = int(args.get("Page", "0"))
            start = int(args.get("PageToken", "PT0")[2:] or 0)
            on, before, after = (_when(args.get(k)) for k in ("DateSent", "DateSent<", "DateSent>"))
        except ValueError:
            return self._error(20001, 400)
        found = [
            m
            for m in reversed(self.fake.outbox)
            if args.get("To", m.to) == m.to
            and args.get("From", m.from_) == m.from_
            and _sent_matches(m.sent_at, on, before, after)
        ]
        chunk = found[start : start + max(1, size)]
        uri = f"{path}?{urlencode({**args, 'PageSize': size, 'Page': page})}"
        next_uri = None
        if start + len(chunk) < len(found):
            following = {**args, "PageSize": size, "Page": page + 1}
            next_uri = f"{path}?{urlencode({**following, 'PageToken': f'PT{start + len(chunk)}'})}"
        body = {
            "messages": [message_json(m, self.fake.account_sid) for m in chunk],
            "end": start + len(chunk) - 1,
            "first_page_uri": f"{path}?{urlencode({**args, 'PageSize': size, 'Page': 0})}",
            "next_page_uri": next_uri,
            "page": page,
            "page_size": size,
            "previous_page_uri": None,
            "start": start,
            "uri": uri,
        }
        self._json(200, body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY_BYTES:
            self.close_connection = True
            return self._json(413, error_body(21617, 413))
        raw = self.rfile.read(length).decode("utf-8", "replace")
        if self.path.startswith("/_fake/"):
            return self._control(self.path, raw)
        match = _CREATE.match(self.path)
        if not match:
            return self._error(20404, 404)
        if not self._authorized(match.group(1)):
            return None
        fields = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        fault, latency = self.fake.next_fault(fields.get("To", ""))
        if latency and self.fake.stopping.wait(latency):
            return self._drop()
        return self._answer(fault, fields)

    def _answer(self, fault: str, fields: dict[str, str]) -> None:
        if fault in ("timeout", "accept-timeout"):
            if fault == "accept-timeout" and self._invalid(fields) is None:
                self.fake.accept(fields)
            self.fake.stopping.wait(self.fake.hang_seconds)
            return self._drop()
        if fault == "drop":
            return self._drop()
        if fault == "429":
            retry = {"Retry-After": str(self.fake.retry_after)}
            return self._json(429, error_body(20429, 429), retry)
        if fault in ("500", "502", "503"):
            code = 20503 if fault == "503" else 20500
            return self._json(int(fault), error_body(code, int(fault)))
        if fault.isdigit() and len(fault) == 5:
            status = 401 if fault == "20003" else 400
            return self._json(status, error_body(int(fault), status))
        invalid = self._invalid(fields)
        if invalid is not None:
            return self._json(400, error_body(invalid, 400))
        message = self.fake.accept(fields)
        return self._json(201, message_json(message, self.fake.account_sid))

    @staticmethod
    def _invalid(fields: dict[str, str]) -> int | None:
        if not fields.get("To"):
            return 21604
        if not _E164.match(fields["To"]):
            return 21211
        if not (fields.get("From") or fields.get("MessagingServiceSid")):
            return 21603
        if not fields.get("Body"):
            return 21602
        if len(fields["Body"]) > 1600:
            return 21617
        return None

    def _authorized(self, account_sid: str) -> bool:
        scheme, _, encoded = (self.headers.get("Authorization") or "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        if (
            scheme.lower() == "basic"
            and user == self.fake.account_sid == account_sid
            and password == self.fake.auth_token
        ):
            return True
        self._json(401, error_body(20003, 401), {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        return False

    def _control(self, path: str, raw: str) -> None:
        payload = json.loads(raw) if raw.strip() else {}
        if path == "/_fake/script":
            self.fake.script(*payload)
        elif path == "/_fake/rates":
            latency = payload.pop("latency", 0.0)
            latency = tuple(latency) if isinstance(latency, list) else latency
            self.fake.rates(latency=latency, **payload)
        elif path == "/_fake/callback":
            sid, error_code = payload["sid"], payload.get("error_code")
            status = self.fake.callback(sid, payload["status"], error_code)
            return self._json(200, {"app_status": status})
        elif path == "/_fake/flush":
            return self._json(200, {"app_statuses": self.fake.flush_callbacks()})
        elif path == "/_fake/reset":
            self.fake.reset()
        else:
            return self._error(20404, 404)
        return self._json(200, {"ok": True})

    def _error(self, code: int, status: int) -> None:
        self._json(status, error_body(code, status))

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True


def _when(raw: str | None) -> tuple[datetime, bool] | None:
    """A DateSent filter value: (instant, is_a_whole_day), or None when absent."""
    if not raw:
        return None
    if len(raw) == 10:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC), True
    when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), False


def _sent_matches(
    sent_at: datetime | None,
    on: tuple[datetime, bool] | None,
    before: tuple[datetime, bool] | None,
    after: tuple[datetime, bool] | None,
) -> bool:
    if on is None and before is None and after is None:
        return True
    if sent_at is None:  # not sent yet: Twilio has no DateSent to compare
        return False
    day = sent_at.date()
    if on is not None and (day != on[0].date() if on[1] else sent_at != on[0]):
        return False
    if before is not None and (day > before[0].date() if before[1] else sent_at > before[0]):
        return False
    return after is None or (day >= after[0].date() if after[1] else sent_at >= after[0])
