"""Planning row removals and insertions between two id lists."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from studio.gui.gallery.row_diff import RowPlan, apply_plan, plan_row_changes


def test_appended_ids_are_one_insertion() -> None:
    plan = plan_row_changes([1, 2, 3], [1, 2, 3, 7, 8])

    assert plan == RowPlan(removals=[], insertions=[(3, [7, 8])])


def test_removals_come_last_block_first() -> None:
    plan = plan_row_changes([1, 2, 3, 4, 5, 6], [1, 4, 6])

    assert plan == RowPlan(removals=[(4, 4), (1, 2)], insertions=[])


def test_removals_and_insertions_together() -> None:
    old, new = [1, 2, 3, 4], [9, 1, 3, 8, 4, 10]

    plan = plan_row_changes(old, new)

    assert plan == RowPlan(removals=[(1, 1)], insertions=[(0, [9]), (3, [8]), (5, [10])])
    assert apply_plan(old, plan) == new


def test_a_changed_order_needs_a_reset() -> None:
    assert plan_row_changes([1, 2, 3], [1, 3, 2]) is None


def test_too_many_blocks_need_a_reset() -> None:
    old = list(range(100))
    new = old[::2]

    assert plan_row_changes(old, new, max_blocks=10) is None
    assert plan_row_changes(old, new, max_blocks=50) is not None


def test_no_change_is_an_empty_plan() -> None:
    assert plan_row_changes([4, 5], [4, 5]) == RowPlan(removals=[], insertions=[])


@given(
    old=st.lists(st.integers(0, 60), unique=True, max_size=40),
    new=st.lists(st.integers(0, 60), unique=True, max_size=40),
)
def test_a_plan_always_turns_old_into_new(old: list[int], new: list[int]) -> None:
    plan = plan_row_changes(old, new, max_blocks=1000)

    common = set(old) & set(new)
    same_order = [i for i in old if i in common] == [i for i in new if i in common]
    assert (plan is not None) == same_order
    if plan is not None:
        assert apply_plan(old, plan) == new
