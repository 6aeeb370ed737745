"""The SMS records say in Chinese why a message went, did not go or failed."""

from __future__ import annotations

import pytest

from service.sms.reasons import delivery_reason, provider_error


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("staff turned SMS off on their page", "本人在个人页面关闭了短信提醒"),
        ("retried by an admin after failed", "管理员在发送失败后重发"),
        ("occurrence cancelled: 主讲人出差", "这一次活动已取消：主讲人出差"),
        (
            "occurrence holiday_moved: 2026-10-01 is not a working day; moved to 2026-10-09",
            "这一次活动因节假日调整：2026-10-01 不是工作日，改到 2026-10-09",
        ),
        ("occurrence cancelled: cancelled by an admin", "这一次活动已取消：已由管理员取消"),
        ("rota assign: no longer the speaker", "轮值调整后已不是主讲人"),
        ("refused: The 'To' number +8613900008000 is not a valid mobile", "短信平台拒绝发送"),
        ("", ""),
    ],
)
def test_a_reason_reads_in_chinese(reason: str, shown: str) -> None:
    assert delivery_reason(reason) == shown


def test_a_provider_error_says_what_to_do() -> None:
    assert "不是手机号码" in provider_error("21614")
    assert "代码 99999" in provider_error("99999")
    assert provider_error(None) == ""


def test_no_english_reason_of_the_outbox_is_left_untranslated() -> None:
    known = [
        "recipient was deleted",
        "recipient is no longer active",
        "recipient opted out of SMS",
        "recipient turned SMS off",
        "recipient has no mobile number",
        "recipient is no longer the speaker",
        "recipient confirmed the study item",
        "recipient is no longer in the audience",
        "schedule was deleted",
        "reminder rule was disabled or deleted",
        "confirmed: study item completed",
        "quiet hours until 08:00; no longer useful by then",
    ]
    for reason in known:
        assert not any("a" <= c <= "z" for c in delivery_reason(reason)), reason
