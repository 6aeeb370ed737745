"""Arrangements for the records tests: the demo township, a lecture occurrence, images."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Schedule
from tests.support.workflows import local

# Monday 2 March 2026, 16:00: a lecture of the demo rota (everyone is its audience).
LECTURE_START = local(2026, 3, 2, 16, 0)
LECTURE_PATH = "2026-03-02T16:00"


def campaign(session: Session) -> Schedule:
    return session.scalars(select(Schedule).where(Schedule.kind == "campaign")).first()  # type: ignore[return-value]


def jpeg_with_gps(size: tuple[int, int] = (1200, 900)) -> bytes:
    """A JPEG whose EXIF holds a GPS position (lat 35.1, as phones write it)."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (35.0, 6.0, 0.0)
    gps[3], gps[4] = "E", (112.0, 15.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 10)).save(out, "PNG")
    return out.getvalue()
