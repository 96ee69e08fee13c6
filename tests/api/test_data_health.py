"""The data-health service: duplicates of a project, leaks across a version's splits, and
the health figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from sqlalchemy import update

from studio.api import DuplicatesAcrossSplitsWarning, InvalidEditError, Project
from studio.core.schema import item_table
from tests.duplicate_photos import write_photographs


@pytest.fixture
def photo_project(project: Project, tmp_path: Path) -> Project:
    """The photographs and their copies, labeled "photo", astronaut in train and its copy in
    test, coffee and its copy both in val, the rest in train."""
    write_photographs(tmp_path / "photos")
    project.add_classes(["photo"])
    project.import_media([str(tmp_path / "photos")])
    splits = {"astronaut_copy.jpg": "test", "coffee.png": "val", "coffee_copy.jpg": "val"}
    for item in project.items():
        project.set_image_tags(item.id, ["photo"])
        project.set_split(item.id, splits.get(Path(item.path).name, "train"))
    project.set_status(project.item_ids(), "done")
    return project


def item_id(project: Project, name: str) -> int:
    return next(item.id for item in project.items() if Path(item.path).name == name)


def test_a_version_with_near_duplicates_in_train_and_test_warns_and_is_frozen(
    photo_project: Project,
) -> None:
    with pytest.warns(DuplicatesAcrossSplitsWarning) as caught:
        version = photo_project.create_version()
    leaks = caught[0].message.leaks
    astronaut = item_id(photo_project, "astronaut.png")
    copy = item_id(photo_project, "astronaut_copy.jpg")
    assert [dict(leak.splits) for leak in leaks] == [{astronaut: "train", copy: "test"}]
    assert "1 group of duplicate images straddle train and val/test" in str(caught[0].message)
    assert photo_project.latest_version() == version


def test_a_group_marked_not_duplicates_is_neither_listed_nor_warned_about(
    photo_project: Project,
) -> None:
    report = photo_project.find_duplicates()
    assert len(report.groups) == 2
    straddling = next(
        group
        for group in report.groups
        if item_id(photo_project, "astronaut.png") in group.item_ids
    )
    photo_project.dismiss_duplicates(straddling)
    after = photo_project.find_duplicates()
    assert straddling not in after.groups
    assert after.dismissed == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicatesAcrossSplitsWarning)
        photo_project.create_version()


def test_health_figures_of_a_small_project_with_known_contents(
    project: Project, image_folder: Path
) -> None:
    project.add_classes(["cat", "dog"])
    project.import_media([str(image_folder)])
    first, second, third, fourth, *_ = project.item_ids()  # six 64×48 images
    project.annotate(first, "cat", box=[0, 0, 32, 16])
    project.annotate(first, "dog", box=[10, 10, 20, 20])
    project.annotate(second, "cat", box=[40, 30, 24, 18])
    project.set_status([first, second], "done")
    project.set_status([third], "reviewed")
    project.create_version(ratios={"train": 1.0, "val": 0.0, "test": 0.0})
    project.annotate(fourth, "dog", box=[0, 0, 8, 8])  # not labeled: in no version
    with project.context.database.write() as connection:  # a relink to a smaller image
        connection.execute(
            update(item_table).where(item_table.c.id == second).values(width=50, height=40)
        )
    health = project.health()
    assert health.version == "v1"
    assert health.class_balance == {
        "cat": {"train": 2, "val": 0, "test": 0, "none": 0},
        "dog": {"train": 1, "val": 0, "test": 0, "none": 1},
    }
    assert health.objects_per_image == {0: 3, 1: 2, 2: 1}
    assert sorted(health.box_sizes) == [(8, 8), (20, 20), (24, 18), (32, 16)]
    assert sorted(health.aspect_ratios) == [1.0, 1.0, 24 / 18, 2.0]
    assert [(shape.item_id, shape.image_size) for shape in health.outside] == [(second, (50, 40))]
    assert set(health.never_reviewed) == set(project.item_ids()) - {third}


def test_the_not_duplicates_setting_refuses_values_that_are_not_lists_of_digests(
    project: Project,
) -> None:
    with pytest.raises(InvalidEditError, match="setting not_duplicates: expected a list of lists"):
        project.set_setting("not_duplicates", [["not a digest"]])
    assert project.setting("not_duplicates") is None
