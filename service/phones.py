"""Mobile numbers: parsed and stored in E.164 with ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CN"


class PhoneError(ValueError):
    pass


def normalize_mobile(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a mobile number, or PhoneError saying what is wrong with it."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"{raw!r} is not a valid phone number")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise PhoneError(f"{raw!r} is not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
