"""SQL fragments: text with `%s` placeholders and the parameters that fill them, in order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SQL:
    text: str
    params: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return self.text


def param(value: Any) -> SQL:
    return SQL("%s", (value,))


def sql(template: str, *parts: SQL | str) -> SQL:
    """Fill each `{}` of `template` with a fragment (or raw SQL text), keeping parameter order."""
    fragments = [part if isinstance(part, SQL) else SQL(part) for part in parts]
    params: tuple[Any, ...] = ()
    for fragment in fragments:
        params += fragment.params
    return SQL(template.format(*(fragment.text for fragment in fragments)), params)


def join(separator: str, parts: Iterable[SQL]) -> SQL:
    fragments = list(parts)
    return sql(separator.join("{}" for _ in fragments), *fragments)


def params_list(values: Iterable[Any]) -> SQL:
    return join(", ", (param(value) for value in values))


def truth(predicate: SQL) -> SQL:
    """Two-valued: NULL (an absent key, a non-number) counts as false, so NOT stays exact."""
    return sql("COALESCE(({}), FALSE)", predicate)
