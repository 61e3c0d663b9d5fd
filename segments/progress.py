"""How a long compute says how far it is: a callback taking a percentage and a stage."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, str], None]


def no_progress(percent: int, stage: str) -> None:
    """For computes nobody follows (the demo, the API's synchronous compute)."""
