"""Redaction: personal data is replaced by typed placeholders before text leaves.

`redact` replaces e-mail addresses, phone numbers, payment-card numbers and
IBANs with `[email]`, `[phone]`, `[card]` and `[iban]`. It errs on the side of
leaving ordinary numbers alone: dates, years, prices, times, version numbers
and short order numbers pass through, which is why phone numbers are
recognised by their shape (an international `+` prefix, a national trunk `0`,
or digit groups with one consistent separator) rather than by digit count,
and card numbers must pass the Luhn check.

Known gaps, chosen over redacting ordinary numbers: a phone written as three
groups of three digits without a trunk `0` ("612 345 678") reads as a number
with thousands separators and is kept, and so is a card number with a typo
(it fails the Luhn check).
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)

# Country code, two check digits, then 11-30 letters or digits, written compact
# or in groups of four.
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")

# 13-19 digits, optionally broken by single spaces or dashes.
_CARD_RE = re.compile(r"(?<![\w+])(?:\d[ -]?){12,18}\d(?![\w])")

# "+44 20 7946 0958", "+1 (555) 123-4567", "+49-151-12345678", "+33612345678".
_INTL_PHONE_RE = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\)|[ .-]?\d{1,5}){1,6}(?![\w])")

# "(555) 123-4567", "(030) 1234 5678".
_PAREN_PHONE_RE = re.compile(r"(?<![\w(])\(\d{2,5}\) ?\d{2,5}(?:[ .-]?\d{2,5}){0,3}(?![\w])")

# Digit groups joined by one repeated separator: "555-123-4567", "06 12 34 56 78",
# "020 7946 0958", "0171-1234567". The backreference keeps "01.02.2024 10:30"
# from reading as one number.
_GROUPED_PHONE_RE = re.compile(
    r"(?<![\w.,+-])\d{2,5}(?P<sep>[ .-])\d{2,8}(?:(?P=sep)\d{2,8}){0,4}(?![\w]|[.,-]\d)"
)

# A national number written without separators: a trunk 0 and 9-11 more digits.
_TRUNK_RUN_RE = re.compile(r"(?<![\w.,+-])0\d{9,11}(?![\w])")


def redact(text: str) -> str:
    """Replace e-mail addresses, phone numbers, card numbers and IBANs in `text`."""
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _IBAN_RE.sub(_iban, text)
    text = _INTL_PHONE_RE.sub(_international_phone, text)
    text = _CARD_RE.sub(_card, text)
    text = _PAREN_PHONE_RE.sub(_national_phone, text)
    text = _GROUPED_PHONE_RE.sub(_grouped_phone, text)
    return _TRUNK_RUN_RE.sub(PHONE, text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _iban(match: re.Match[str]) -> str:
    compact = match.group().replace(" ", "")
    # The BBAN of every IBAN country carries digits; an all-letter code is a word.
    if 15 <= len(compact) <= 34 and sum(c.isdigit() for c in compact[4:]) >= 6:
        return IBAN
    return match.group()


def _card(match: re.Match[str]) -> str:
    digits = _digits(match.group())
    if 13 <= len(digits) <= 19 and luhn_valid(digits):
        return CARD
    return match.group()


def _international_phone(match: re.Match[str]) -> str:
    return PHONE if 8 <= len(_digits(match.group())) <= 15 else match.group()


def _national_phone(match: re.Match[str]) -> str:
    return PHONE if 9 <= len(_digits(match.group())) <= 13 else match.group()


def _grouped_phone(match: re.Match[str]) -> str:
    candidate = match.group()
    digits = _digits(candidate)
    if not 9 <= len(digits) <= 13:
        return candidate
    groups = re.split(r"[ .-]", candidate)
    # "123 456 789" and "12.345.678.901" are thousands separators, not a phone.
    thousands = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if thousands and not candidate.startswith("0"):
        return candidate
    return PHONE
