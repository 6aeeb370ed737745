"""The Twilio backend: the real ``twilio`` client, a request timeout, a movable base URL.

Error mapping (docs/sms.md): 21211 / 21614 (bad or landline number) and 21610
(recipient opted out) are permanent; 429 / 20429, any 5xx, timeouts and connection
errors are transient; any other 4xx is permanent.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ..logs import mask_phone
from ..settings import Settings
from .gateway import SendResult, SmsError

log = logging.getLogger("pufa.sms.twilio")

BAD_NUMBER_CODES = frozenset({"21211", "21614"})
OPTED_OUT_CODE = "21610"
TOO_MANY_REQUESTS_CODE = "20429"
_LOOKUP_PAGE_SIZE = 50
_LOOKUP_MAX_MESSAGES = 500


class RoutedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """``TwilioHttpClient`` that sends ``https://*.twilio.com`` requests to ``base_url``
    (a local fake in tests) and remembers, per thread, the last response: Twilio's
    exceptions drop the headers, and ``Retry-After`` is one of them."""

    def __init__(self, *, timeout: float, base_url: str = "") -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self._local = threading.local()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        self._local.response = None
        response: Response = super().request(method, self._route(url), *args, **kwargs)
        self._local.response = response
        return response

    def last_response(self) -> Response | None:
        response: Response | None = getattr(self._local, "response", None)
        return response

    def _route(self, url: str) -> str:
        if not self.base_url:
            return url
        parts = urlsplit(url)
        if not (parts.hostname or "").endswith("twilio.com"):
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))


class TwilioGateway:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        timeout_seconds: float = 10.0,
        api_base_url: str = "",
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("a From number or a Messaging Service SID is needed")
        self._from = from_number
        self._messaging_service_sid = messaging_service_sid
        self._http = RoutedHttpClient(timeout=timeout_seconds, base_url=api_base_url)
        # A non-empty ``environment`` keeps TWILIO_EDGE / TWILIO_REGION in os.environ from
        # silently re-routing requests: settings.py is the one reader of the environment.
        self._client = Client(
            account_sid,
            auth_token,
            http_client=self._http,
            environment={"PUFA": "1"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioGateway:
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_number=settings.twilio_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            timeout_seconds=settings.twilio_timeout_seconds,
            api_base_url=settings.twilio_api_base_url,
        )

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        options: dict[str, Any] = {"to": to, "body": body}
        if self._messaging_service_sid:
            # The service picks the sender (and handles opt-outs and sticky senders).
            options["messaging_service_sid"] = self._messaging_service_sid
        else:
            options["from_"] = self._from
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self._client.messages.create(**options)
        except (TwilioRestException, TwilioServiceException) as error:
            raise self._refused(error, to) from None
        except requests.ConnectTimeout:
            # The request never left: retrying cannot send twice.
            raise SmsError("connect_timeout", "Twilio did not answer", permanent=False) from None
        except requests.Timeout:
            # Twilio may have accepted it; the status callback (which carries the
            # delivery id) settles the row if so. Code kept distinct for the dispatcher.
            raise SmsError("read_timeout", "Twilio did not answer", permanent=False) from None
        except requests.RequestException as error:
            raise SmsError("connection", type(error).__name__, permanent=False) from None
        except ValueError:
            # A 2xx whose body is not JSON: it was probably accepted, so do not resend.
            raise SmsError(
                "malformed_response", "unreadable reply from Twilio", permanent=True
            ) from None
        if not message.sid:
            raise SmsError("malformed_response", "Twilio returned no sid", permanent=True)
        return SendResult(provider_sid=message.sid, status=message.status or "queued")

    def find(self, to: str, body: str, since: datetime) -> list[SendResult]:
        """Look the message up in Twilio's Message list (by To), oldest first.

        Not filtered by DateSent: Twilio stamps it only when it hands a message on, so a
        message still ``queued``, ``accepted`` or ``sending`` there has none and such a
        filter would hide it (and it would be sent twice). The match is on the recipient,
        the exact body and the creation time; the list is newest first, so the walk stops
        at the first message created a day before ``since``. Twilio's list does not show
        a message's StatusCallback; the caller skips sids already recorded on other rows.
        """
        floor = since - timedelta(days=1)
        found: list[SendResult] = []
        try:
            messages = self._client.messages.stream(
                to=to, limit=_LOOKUP_MAX_MESSAGES, page_size=_LOOKUP_PAGE_SIZE
            )
            for message in messages:
                created = message.date_created or message.date_sent
                if created is not None and created < floor:
                    break
                if message.body == body and (created is None or created >= since):
                    found.append(SendResult(message.sid, message.status or "queued"))
        except (TwilioRestException, TwilioServiceException) as error:
            raise self._refused(error, to) from None
        except (requests.RequestException, ValueError) as error:
            raise SmsError("lookup_failed", type(error).__name__, permanent=False) from None
        return found[::-1]  # Twilio lists newest first

    def _refused(self, error: TwilioRestException | TwilioServiceException, to: str) -> SmsError:
        response = self._http.last_response()
        headers = response.headers if response is not None and response.headers else {}
        message = str(getattr(error, "msg", "") or getattr(error, "title", ""))
        sms_error = classify(error.status, error.code, message, headers.get("Retry-After"))
        log.warning(
            "twilio refused a message",
            extra={
                "to": mask_phone(to),
                "http_status": error.status,
                "code": sms_error.code,
                "permanent": sms_error.permanent,
            },
        )
        return sms_error


def classify(
    http_status: int, code: int | str | None, message: str, retry_after: str | None = None
) -> SmsError:
    """Turn a Twilio error answer into an SmsError saying whether a retry can help."""
    code_text = str(code) if code else str(http_status)
    if code_text in BAD_NUMBER_CODES or code_text == OPTED_OUT_CODE:
        return SmsError(code_text, message, permanent=True)
    if http_status == 429 or code_text == TOO_MANY_REQUESTS_CODE or http_status >= 500:
        return SmsError(
            code_text, message, permanent=False, retry_after=parse_retry_after(retry_after)
        )
    return SmsError(code_text, message, permanent=400 <= http_status < 500)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
