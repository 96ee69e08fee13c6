"""The data-health service: duplicate images, duplicates across a version's splits, and the
dataset health figures.

    report = project.find_duplicates(DuplicateOptions(threshold=6))
    for group in report.groups: group.item_ids, group.exact, group.distance
    project.dismiss_duplicates(report.groups[0])      # "not duplicates": not shown again
    project.duplicate_leaks("v2")                      # groups straddling train and val/test
    project.health().class_balance["cat"]["train"]

Freezing a version (`create_version`) warns with `DuplicatesAcrossSplitsWarning` when groups
straddle its splits; the version is frozen all the same.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from studio.api.context import ProjectContext
from studio.core import duplicates, settings, stats, versions
from studio.core.duplicates import (
    DuplicateGroup,
    DuplicateOptions,
    DuplicateReport,
    Progress,
    SplitLeak,
)
from studio.core.stats import DatasetHealth
from studio.core.wording import counted

LEAKS_NAMED = 5  # groups a warning names; the rest are counted


class DuplicatesAcrossSplitsWarning(UserWarning):
    """Identical or near-identical images of a frozen version are in train and in val or
    test, so its scores flatter the model. `leaks` holds the groups."""

    def __init__(self, version: str, leaks: list[SplitLeak]) -> None:
        self.version = version
        self.leaks = leaks
        named = "; ".join(leak.describe() for leak in leaks[:LEAKS_NAMED])
        more = f"; and {len(leaks) - LEAKS_NAMED} more" if len(leaks) > LEAKS_NAMED else ""
        super().__init__(
            f"version {version}: {counted(len(leaks), 'group')} of duplicate images straddle "
            f"train and val/test: {named}{more} (`studio duplicates` lists them)"
        )


class DataHealthService:
    """Duplicates and health figures of a project; `Project` delegates to it."""

    def __init__(self, context: ProjectContext) -> None:
        self._context = context

    def find_duplicates(
        self, options: DuplicateOptions | None = None, progress: Progress | None = None
    ) -> DuplicateReport:
        """Groups of identical or near-identical images of the whole project, largest first,
        leaving out those marked "not duplicates". Hashes come from the user's cache."""
        with self._context.database.read() as connection:
            images = duplicates.project_images(connection, self._context.root)
            dismissed = settings.get_setting(connection, settings.NOT_DUPLICATES, [])
        return duplicates.find_duplicates(images, options, dismissed, progress=progress)

    def dismiss_duplicates(self, group: DuplicateGroup) -> None:
        """Remember (in the project's `not_duplicates` setting) that the images of `group` are
        not duplicates: the group is not shown or warned about again unless an image joins it.
        A setting, not an undo step."""
        with self._context.database.write() as connection:
            dismissed = settings.get_setting(connection, settings.NOT_DUPLICATES, [])
            entry = sorted(group.contents)
            if entry not in dismissed:
                settings.set_setting(connection, settings.NOT_DUPLICATES, [*dismissed, entry])

    def duplicate_leaks(
        self, version: int | str, options: DuplicateOptions | None = None
    ) -> list[SplitLeak]:
        """The duplicate groups of a version's items that straddle train and val or test."""
        with self._context.database.read() as connection:
            record = versions.get_version(connection, version)
            by_split = versions.item_ids_by_split(connection, record.id)
        splits = {item_id: split for split, ids in by_split.items() for item_id in ids}
        return self.leaks_in(splits, options)

    def leaks_in(
        self, splits: Mapping[int, str], options: DuplicateOptions | None = None
    ) -> list[SplitLeak]:
        """The duplicate groups straddling train and val/test if items had these splits
        (item id → split; a version's, or a preview's)."""
        with self._context.database.read() as connection:
            images = [
                image
                for image in duplicates.project_images(connection, self._context.root)
                if image.item_id in splits
            ]
            dismissed = settings.get_setting(connection, settings.NOT_DUPLICATES, [])
        report = duplicates.find_duplicates(images, options, dismissed)
        names = {image.item_id: image.path.name for image in images}
        return duplicates.split_leaks(report.groups, splits, names)

    def warn_about_leaks(self, version: versions.VersionRecord) -> None:
        """Warn (DuplicatesAcrossSplitsWarning) when duplicates straddle the version's splits."""
        leaks = self.duplicate_leaks(version.id)
        if leaks:
            warnings.warn(DuplicatesAcrossSplitsWarning(version.name, leaks), stacklevel=3)

    def health(self) -> DatasetHealth:
        """Class balance per split (of the latest version), objects per image, box sizes and
        aspect ratios, shapes outside their image and items never reviewed."""
        with self._context.database.read() as connection:
            return stats.dataset_health(connection)
