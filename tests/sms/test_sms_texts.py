"""Message texts: templates, segment counts at the boundaries, template validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.sms.texts import (
    MAX_BODY_CHARS,
    SAMPLE_CONTEXT,
    TEMPLATES,
    TemplateTextError,
    count_segments,
    is_gsm7,
    render_sms,
    validate_template_text,
)

TEMPLATE_NAMES = sorted(p.name.removesuffix(".txt.j2") for p in TEMPLATES.glob("*.txt.j2"))


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # 160 septets
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        # Two parts by the total (306 septets), three because € may not straddle parts.
        ("a" * 152 + "€" + "a" * 152, 3),
        ("普" * 70, 1),
        ("普" * 71, 2),
        ("普" * 134, 2),
        ("普" * 135, 3),
        ("a" * 69 + "普", 1),  # one Chinese character makes the whole body UCS-2
        ("a" * 70 + "普", 2),
        ("😀" * 35, 1),  # 70 UTF-16 code units
        ("😀" * 36, 2),
        # 68 units fit the total of two parts, but the emoji cannot straddle the boundary.
        ("普" * 66 + "😀" + "普" * 66, 3),
    ],
)
def test_segment_counts_at_the_boundaries(body: str, segments: int) -> None:
    assert count_segments(body) == segments


def test_gsm7_detection() -> None:
    assert is_gsm7("Hello {world} €5 @home")
    assert not is_gsm7("普法")
    assert not is_gsm7("naïve")  # ï is not in GSM 03.38


@given(st.text(alphabet="ab€普😀", max_size=400))
def test_segments_are_never_fewer_than_the_total_divided_by_the_part_size(body: str) -> None:
    if is_gsm7(body):
        units, multi, single = len(body) + body.count("€"), 153, 160
    else:
        units, multi, single = len(body.encode("utf-16-le")) // 2, 67, 70
    expected_minimum = 1 if units <= single else -(-units // multi)
    assert count_segments(body) >= expected_minimum
    assert count_segments(body) <= expected_minimum + units // multi + 1


# The one message that carries a link, by design: an admin sends a staff member their page.
LINK_TEMPLATES = {"staff_link"}


@pytest.mark.parametrize("name", [n for n in TEMPLATE_NAMES if n not in LINK_TEMPLATES])
def test_every_template_renders_short_chinese_text_without_links(name: str) -> None:
    body = render_sms(name, SAMPLE_CONTEXT)
    assert body.startswith("【蟒河镇普法】")
    assert len(body) <= MAX_BODY_CHARS
    assert validate_template_text((TEMPLATES / f"{name}.txt.j2").read_text()) == body
    assert "\n" not in body


def test_the_staff_link_message_is_chinese_short_and_carries_only_the_link() -> None:
    body = render_sms("staff_link", SAMPLE_CONTEXT)
    assert body.startswith("【蟒河镇普法】欧阳晓明您好")
    assert body.count("https://") == 1 and SAMPLE_CONTEXT["link"] in body
    assert len(body) <= MAX_BODY_CHARS and "\n" not in body
    assert count_segments(body) <= 3


def test_templates_read_well_without_a_place_or_departments() -> None:
    body = render_sms(
        "campaign_day_before",
        {**SAMPLE_CONTEXT, "location": "", "departments": ""},
    )
    assert "在开展" not in body and "各相关站所" in body


def test_lecture_reminder_text_is_stable() -> None:
    # Carriers whitelist template text: a change here is a deliberate, reviewed change.
    body = render_sms(
        "lecture_audience",
        {
            "title": "机关职工每周一讲",
            "when": "3月6日（周五）16:00",
            "location": "三楼会议室",
            "speaker": "李明",
            "topic": "民法典",
        },
    )
    assert body == (
        "【蟒河镇普法】3月6日（周五）16:00，机关职工每周一讲在三楼会议室举行，"
        "主讲人：李明，主题：民法典。请准时参加。"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("【蟒河镇普法】" + "很长" * 260, "limit is 500"),
        ("【蟒河镇普法】{{ overdue_names }}" * 20, "limit is 500"),
        ("【蟒河镇普法】详见 https://example.org", "links"),
        ("【蟒河镇普法】详见 www.manghe.gov.cn", "links"),
        ("【蟒河镇普法】{{ secret }}", "does not render"),
        ("【蟒河镇普法】{% if %}", "does not render"),
        ("{{ '' }}", "empty"),
    ],
)
def test_validate_template_text_refuses_bad_templates(text: str, reason: str) -> None:
    with pytest.raises(TemplateTextError, match=reason):
        validate_template_text(text)


def test_templates_live_where_render_sms_looks() -> None:
    assert Path(TEMPLATES).is_dir() and "lecture_audience" in TEMPLATE_NAMES
