from __future__ import annotations

import pytest

from llm.redaction import luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # E-mail addresses.
        ("mail jane.doe@example.com today", "mail [email] today"),
        ("JANE+survey@Mail.Example.co.uk.", "[email]."),
        ("<ops-team_1@sub.example.io>", "<[email]>"),
        # International phone numbers.
        ("call +44 20 7946 0958 please", "call [phone] please"),
        ("+44 (0)20 7946 0958", "[phone]"),
        ("+1 (555) 123-4567", "[phone]"),
        ("+49-151-12345678", "[phone]"),
        ("+33612345678", "[phone]"),
        ("+91 98765 43210", "[phone]"),
        # National formats.
        ("(555) 123-4567", "[phone]"),
        ("555-123-4567", "[phone]"),
        ("555.123.4567", "[phone]"),
        ("555 123 4567", "[phone]"),
        ("020 7946 0958", "[phone]"),
        ("07700 900123", "[phone]"),
        ("06 12 34 56 78", "[phone]"),
        ("06.12.34.56.78", "[phone]"),
        ("030 12345678", "[phone]"),
        ("0171-1234567", "[phone]"),
        ("015112345678", "[phone]"),
        ("ring me on 555-123-4567.", "ring me on [phone]."),
        # Card-like numbers that pass the Luhn check.
        ("card 4111 1111 1111 1111 exp 12/27", "card [card] exp 12/27"),
        ("4111-1111-1111-1111", "[card]"),
        ("5500005555555559", "[card]"),
        ("amex 3782 822463 10005", "amex [card]"),
        ("4222222222222", "[card]"),
        # IBANs.
        ("IBAN DE89 3704 0044 0532 0130 00, thanks", "IBAN [iban], thanks"),
        ("GB82WEST12345698765432", "[iban]"),
        ("FR14 2004 1010 0505 0001 3M02 606", "[iban]"),
        # Several at once.
        (
            "I'm bob@example.org, +1 555 123 4567, card 4111111111111111",
            "I'm [email], [phone], card [card]",
        ),
    ],
)
def test_redact_replaces_personal_data_with_typed_placeholders(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Dates and times.
        "on 2024-05-12",
        "on 12/05/2024",
        "on 12.05.2024 at 10:30",
        "on 01.02.2024 10:30",
        "2024-05-12T10:30:00Z",
        "from 2024-05-12 to 2024-06-01",
        # Order numbers of six digits, years, counts.
        "order 482913 arrived late",
        "order #123456",
        "ticket 000123",
        "since 1999, again in 2024",
        "we have 123 456 789 users",
        "1,234,567,890 events",
        # Prices.
        "$1,299.99 per year",
        "1 299,00 € a year",
        "EUR 49.99",
        "£12 000 budget",
        # Other numbers.
        "version 3.11.2",
        "between 9-5",
        "score 10/10",
        "ISO 8601",
        "a 16-digit number that fails Luhn: 1234 5678 9012 3456",
        # Words that look like codes, and an @ that is not an address.
        "ABCD EFGH IJKL MNOP",
        "ping @support on the forum",
        "",
    ],
)
def test_redact_leaves_near_misses_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True)],
)
def test_luhn_valid(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid
