"""Choose the SMS backend from settings, and hold one gateway per app."""

from __future__ import annotations

from flask import Flask, current_app

from ..settings import Settings
from .console import ConsoleGateway
from .gateway import Gateway
from .twilio_gateway import TwilioGateway

_EXTENSION = "pufa.sms_gateway"


def make_gateway(settings: Settings) -> Gateway:
    """``SMS_BACKEND=twilio``: the real Twilio client; otherwise the console backend."""
    if settings.sms_backend == "twilio":
        return TwilioGateway.from_settings(settings)
    return ConsoleGateway()


def app_gateway(app: Flask | None = None) -> Gateway:
    """The app's gateway, built on first use and then shared (it pools connections)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    gateway: Gateway | None = app.extensions.get(_EXTENSION)
    if gateway is None:
        gateway = make_gateway(app.extensions["pufa"].settings)
        app.extensions[_EXTENSION] = gateway
    return gateway


def install_gateway(app: Flask, gateway: Gateway) -> None:
    """Use this gateway for the app (tests; a clock that wants its own instance)."""
    app.extensions[_EXTENSION] = gateway
