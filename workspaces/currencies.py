"""The currencies a workspace can report money in, and how amounts are written."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 code → (symbol written before the amount, or "" to write the code; decimals).
CURRENCIES: dict[str, tuple[str, int]] = {
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "JPY": ("¥", 0),
    "CHF": ("", 2),
    "CAD": ("CA$", 2),
    "AUD": ("A$", 2),
    "NZD": ("NZ$", 2),
    "SEK": ("", 2),
    "NOK": ("", 2),
    "DKK": ("", 2),
    "PLN": ("", 2),
    "CZK": ("", 2),
    "INR": ("₹", 2),
    "BRL": ("R$", 2),
    "MXN": ("MX$", 2),
    "CNY": ("CN¥", 2),
    "KRW": ("₩", 0),
    "SGD": ("S$", 2),
    "ZAR": ("", 2),
}
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCIES)]


def currency_format(amount: float, currency: str) -> str:
    """`1234.5, "EUR"` → "€1,234.50", `"CHF"` → "CHF 1,234.50": thousands separators and
    the currency's own decimals, the same everywhere."""
    symbol, decimals = CURRENCIES.get(currency, ("", 2))
    sign = "\u2212" if amount < 0 else ""  # a minus sign, not a hyphen
    # Half up, as people round money (format() would round 0.5 to even).
    rounded = Decimal(str(abs(amount))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    digits = f"{rounded:,.{decimals}f}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency}\u00a0{digits}"
