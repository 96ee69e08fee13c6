"""Turning "the gallery's ids were A, now they are B" into row removals and insertions.

A model that reports precise removals and insertions keeps the user's selection, current item
and scroll position when another process imports or removes items. When the order of the
surviving items changed, or the change is too scattered to be worth it, the plan is None and
the model resets instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_BLOCKS = 64


@dataclass(frozen=True)
class RowPlan:
    removals: list[tuple[int, int]]  # (first, last) rows of the old list, last block first
    insertions: list[tuple[int, list[int]]]  # (first row in the new list, ids), in order


def _blocks(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of ascending row numbers as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def plan_row_changes(
    old: Sequence[int], new: Sequence[int], max_blocks: int = MAX_BLOCKS
) -> RowPlan | None:
    """Removals then insertions that turn `old` into `new`, or None when a reset is better.

    Apply the removals in the given order (from the end, so earlier rows keep their numbers),
    then the insertions in the given order (each position counts the rows inserted before).
    """
    new_ids = set(new)
    old_ids = set(old)
    removed_rows = [row for row, item_id in enumerate(old) if item_id not in new_ids]
    kept = (item_id for item_id in old if item_id in new_ids)
    inserted_rows: list[int] = []
    for row, item_id in enumerate(new):
        if item_id not in old_ids:
            inserted_rows.append(row)
        elif item_id != next(kept):
            return None  # the surviving items changed order
    removals = _blocks(removed_rows)
    insertions = _blocks(inserted_rows)
    if len(removals) + len(insertions) > max_blocks:
        return None
    return RowPlan(
        removals=removals[::-1],
        insertions=[(first, list(new[first : last + 1])) for first, last in insertions],
    )


def apply_plan(ids: list[int], plan: RowPlan) -> list[int]:
    """The list `plan` makes of `ids` (what the model does, without the signals)."""
    result = list(ids)
    for first, last in plan.removals:
        del result[first : last + 1]
    for first, block in plan.insertions:
        result[first:first] = block
    return result
