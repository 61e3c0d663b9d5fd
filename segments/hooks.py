"""How the apps downstream of segments hear that people entered a segment.

Data flows one way (DESIGN.md): `segments` imports no app to its right. Those apps
subscribe here instead, from their `AppConfig.ready()`:

- `members_entered` is sent once the transaction that stored new entrants of a
  segment has committed (a rule/RFM/cluster recompute, a static list, a push to an
  external segment). It carries no list of people: the entrants are, set-based,
  the segment's open memberships whose `entered_at` equals the one sent (every
  row a membership diff inserts shares the diff's timestamp), which
  `entrants_filter()` spells as ORM lookups and `ENTRANTS_SQL` as SQL. `studies`
  invites them (continuous listening).

Sent with `workspace_id` (int), `segment_id` (int), `entered_at` (datetime) and
`entered` (int, how many rows the diff inserted; some may have exited since).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from django.db import transaction
from django.dispatch import Signal

members_entered = Signal()

# The entrants of one diff, as a condition over segments_segmentmembership `m`:
# parameters (segment_id, entered_at).
ENTRANTS_SQL: Final = "m.segment_id = %s AND m.entered_at = %s AND m.exited_at IS NULL"


def entrants_filter(*, segment_id: int, entered_at: datetime) -> dict[str, Any]:
    """ORM lookups on SegmentMembership selecting the entrants of one diff still inside."""
    return {"segment_id": segment_id, "entered_at": entered_at, "exited_at__isnull": True}


def announce_entrants(
    *, workspace_id: int, segment_id: int, entered_at: datetime, entered: int
) -> None:
    """Send `members_entered` after the current transaction commits (at once outside
    one); nothing when nobody entered."""
    if entered <= 0:
        return
    transaction.on_commit(
        lambda: members_entered.send(
            sender=None,
            workspace_id=workspace_id,
            segment_id=segment_id,
            entered_at=entered_at,
            entered=entered,
        ),
        robust=True,
    )
