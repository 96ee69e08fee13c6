"""The choices of a label import, as one frozen object.

`studio import-labels`'s flags, `Project.import_labels` and the import dialog's checkboxes all
fill a `LabelImportOptions`, and the importer reads only it, so a choice cannot reach one of
them and not the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LabelImportOptions:
    """How to import a label file.

    format: a registered format's name; None detects it.
    class_map: file class → project class, for classes to rename on the way in.
    copy_images: copy new images into the project's store (a zip's always are).
    replace: drop the matched items' annotations first (else identical ones are not doubled).
    skip_missing_images: skip images that cannot be found rather than refuse the file.
    keep_duplicates: byte-identical images under different names become one item each,
        with its own labels, instead of one item that records the other names.
    """

    format: str | None = None
    class_map: Mapping[str, str] = field(default_factory=dict)
    copy_images: bool = False
    replace: bool = False
    skip_missing_images: bool = False
    keep_duplicates: bool = False

    def __post_init__(self) -> None:
        # A copy, so the caller's dict cannot change the options afterwards; None means none.
        object.__setattr__(self, "class_map", dict(self.class_map or {}))
