"""The QR code that carries a link (a feed's webcal://, a staff page) to a phone."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup

from . import messages


def qr_svg(data: str, label: str = messages.QR_LABEL) -> Markup:
    """An inline SVG QR code (pure Python: no Pillow needed)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    # Sized by CSS; the data is our own URL, so the markup is safe to inline.
    labelled = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return Markup(labelled)  # noqa: S704
