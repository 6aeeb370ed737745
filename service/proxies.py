"""Which address a request comes from, believing X-Forwarded-* only from our proxies.

werkzeug's ProxyFix believes the last ``proxy_count`` entries of X-Forwarded-For from
anyone: a client that reaches gunicorn directly, or one in front of a proxy when
PUFA_PROXY_COUNT is larger than the real number of proxies, names any address it likes
and so escapes the failed-auth throttle. Here the chain is walked from the right and
only through peers in PUFA_TRUSTED_PROXIES: the first address not among them is the
client, however many entries precede it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR, scheme and host as our own proxies report them."""

    def __init__(self, app: WSGIApplication, *, count: int, trusted: Iterable[str]) -> None:
        self.app = app
        self.count = count
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(value, strict=False) for value in trusted
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        hops = self._believed_hops(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
        if hops:
            environ["pufa.peer_addr"] = peer
            environ["REMOTE_ADDR"] = hops[-1]
            # Scheme and host: only from a request that a trusted proxy handed on.
            proto = _last(environ.get("HTTP_X_FORWARDED_PROTO", ""))
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)

    def _believed_hops(self, peer: str, forwarded_for: str) -> list[str]:
        """The X-Forwarded-For entries we believe, nearest first; the last one is the
        client. Empty when the peer itself is no proxy of ours."""
        if not self.count or not self._is_trusted(peer):
            return []
        entries = [e.strip() for e in forwarded_for.split(",") if e.strip()]
        believed: list[str] = []
        for entry in reversed(entries[-self.count :]):
            if not _is_address(entry):
                break
            believed.append(entry)
            if not self._is_trusted(entry):
                break  # the client: whatever it wrote to the left of itself is its own
        return believed

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _last(header: str) -> str:
    return header.rsplit(",", 1)[-1].strip()
