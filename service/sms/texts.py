"""Message texts: Jinja2 templates under ``templates/sms/`` and their segment counts."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "sms"
MAX_BODY_CHARS = 500

# The GSM 03.38 default alphabet and its extension table (each extension char costs 2).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - plain-text SMS, never HTML
        keep_trailing_newline=False,
    )


def render_sms(template: str, context: Mapping[str, object]) -> str:
    """Render ``templates/sms/<template>.txt.j2``; surrounding whitespace is dropped."""
    return _environment().get_template(f"{template}.txt.j2").render(**context).strip()


def is_gsm7(body: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in body)


def count_segments(body: str) -> int:
    """How many SMS parts the body costs: GSM-7 160, then 153 per part; UCS-2 (any
    Chinese) 70, then 67 per part. UCS-2 counts UTF-16 code units, as carriers do."""
    if not body:
        return 1
    if is_gsm7(body):
        units = sum(2 if ch in _GSM7_EXTENSION else 1 for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)
