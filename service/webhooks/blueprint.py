"""URL rules only; the views are in ``twilio.py``, the logic in ``service.sms``."""

from __future__ import annotations

from flask import Blueprint

from . import twilio

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
bp.add_url_rule("/twilio/status", view_func=twilio.status_callback, methods=["POST"])
bp.add_url_rule("/twilio/inbound", view_func=twilio.inbound_message, methods=["POST"])
