"""Webhooks called by providers: ``/webhooks/twilio/*`` (status callbacks, inbound SMS)."""

from .blueprint import bp

__all__ = ["bp"]
