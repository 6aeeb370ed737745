"""Message texts: Jinja2 templates under ``templates/sms/`` and their segment counts.

Templates see these variables (the planner passes them): ``name``, ``title``, ``when``,
``location``, ``speaker``, ``topic``, ``departments``, ``overdue_names``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from ..template_folder import SMS_TEMPLATES

TEMPLATES = SMS_TEMPLATES
MAX_BODY_CHARS = 500
TEMPLATE_VARIABLES = (
    "name",
    "title",
    "when",
    "location",
    "speaker",
    "topic",
    "departments",
    "overdue_names",
    # change notices (变更通知)
    "old_when",
    "change",
    "note",
)
# Values as long as real ones get, so a template that fits with them fits in practice.
SAMPLE_CONTEXT: Mapping[str, str] = {
    "name": "欧阳晓明",
    "title": "机关职工每周一讲：《中华人民共和国民法典》合同编重点条文解读",
    "when": "2026年12月4日（星期五）09:00",
    "location": "蟒河镇人民政府三楼会议室",
    "speaker": "欧阳晓明",
    "topic": "《中华人民共和国民法典》合同编重点条文解读与基层案例分析",
    "departments": "司法所、妇联、综治办、派出所、党政办",
    "overdue_names": "张三、李四、王五、赵六、孙七、周八、吴九、郑十",
    "old_when": "2026年12月4日（星期五）09:00",
    "change": "改至12月11日（周五）09:00，主讲人改为欧阳晓明",
    "note": "原定会议室另有安排，请相互转告",
    # Only the console's own link message (staff_link) says this; a template a clerk
    # writes cannot, as it would render a link (``validate_template_text``).
    "link": "https://pufa.manghe.gov.cn/me/Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDEFG",
}

# The GSM 03.38 default alphabet and its extension table (each extension char costs 2).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")
# Carriers in China reject templates with links, and a link invites phishing look-alikes.
_URL = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|gov)\b", re.IGNORECASE)


class TemplateTextError(ValueError):
    """A template text cannot be saved: the message says why."""


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


def validate_template_text(text: str) -> str:
    """Check a template's source before it is saved; return its rendering of
    ``SAMPLE_CONTEXT``. Refuses syntax errors, unknown variables, links and anything
    that renders over ``MAX_BODY_CHARS`` characters."""
    try:
        rendered = _environment().from_string(text).render(**SAMPLE_CONTEXT).strip()
    except TemplateError as error:
        raise TemplateTextError(f"the template does not render: {error}") from None
    if not rendered:
        raise TemplateTextError("the template renders to an empty message")
    if _URL.search(rendered):
        raise TemplateTextError("SMS templates may not contain links")
    if len(rendered) > MAX_BODY_CHARS:
        raise TemplateTextError(
            f"the template renders to {len(rendered)} characters with typical values; "
            f"the limit is {MAX_BODY_CHARS}"
        )
    return rendered


def is_gsm7(body: str) -> bool:
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in body)


def count_segments(body: str) -> int:
    """How many SMS parts the body costs, as the carrier splits it.

    GSM-7: 160 septets in one part, else 153 per part, an extension character costing 2.
    UCS-2 (any Chinese): 70 UTF-16 code units, else 67 per part. A character is never
    split across parts (an escape pair or a surrogate pair moves whole to the next
    part), which is why this packs characters instead of dividing a total.
    """
    if is_gsm7(body):
        sizes = [2 if ch in _GSM7_EXTENSION else 1 for ch in body]
        single, multi = 160, 153
    else:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in body]
        single, multi = 70, 67
    if sum(sizes) <= single:
        return 1
    return _pack(sizes, multi)


def _pack(sizes: Iterable[int], capacity: int) -> int:
    parts, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            parts, used = parts + 1, 0
        used += size
    return parts
