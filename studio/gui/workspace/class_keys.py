"""Which digit key picks which class.

A class whose `hotkey` is a digit keeps it; the other classes get the free digits 1–9 and
then 0 in their panel order. A digits project can so give class "3" the key 3, and a
project that never set a hotkey still has keys for its first ten classes.
"""

from __future__ import annotations

from collections.abc import Sequence

from studio.api import LabelClassRecord

DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")


def class_hotkeys(classes: Sequence[LabelClassRecord]) -> dict[int, str]:
    """Class id → its digit key, for the classes that have one."""
    keys: dict[int, str] = {}
    taken: set[str] = set()
    for label_class in classes:
        if label_class.hotkey in DIGITS and label_class.hotkey not in taken:
            keys[label_class.id] = label_class.hotkey
            taken.add(label_class.hotkey)
    free = iter(digit for digit in DIGITS if digit not in taken)
    for label_class in classes:
        if label_class.id not in keys:
            digit = next(free, None)
            if digit is None:
                break
            keys[label_class.id] = digit
    return keys


def class_for_key(classes: Sequence[LabelClassRecord], key: str) -> LabelClassRecord | None:
    by_id = {label_class.id: label_class for label_class in classes}
    for class_id, digit in class_hotkeys(classes).items():
        if digit == key:
            return by_id[class_id]
    return None
