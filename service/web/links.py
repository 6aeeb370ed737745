"""Links staff open on their phones: the feed URL (https and webcal) and its QR code."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup

from . import messages


def feed_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url}/calendar/{token}.ics"


def webcal_url(https_url: str) -> str:
    """The same feed under webcal://, which phones hand straight to their calendar app."""
    _scheme, sep, rest = https_url.partition("://")
    return f"webcal://{rest}" if sep else https_url


def qr_svg(data: str) -> Markup:
    """An inline SVG QR code (pure Python: no Pillow needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    # Sized by CSS; the data is our own URL, so the markup is safe to inline.
    labelled = svg.replace("<svg ", f'<svg role="img" aria-label="{messages.QR_LABEL}" ', 1)
    return Markup(labelled)  # noqa: S704
