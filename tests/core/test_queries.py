"""Gallery queries: every filter and sort against a plain-Python computation, SQL-looking text
taken literally, and query plans that use the schema's indexes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.api import ItemRecord, Project
from studio.core.enums import ItemStatus
from studio.core.queries import ItemQuery, select_item_ids
from tests.core.image_files import save_image

WORDS = ["cat", "Cat", "dog", "hot-dog", "Ünïcödé", "bird", "CAT"]
SPECIAL_NAMES = {5: "100% sure.jpg", 6: "snake_case.png", 7: "x'; DROP TABLE item; --.jpg"}
STATUS_ORDER = [status.value for status in ItemStatus]
COUNT = 60


def _file_name(index: int) -> str:
    if index in SPECIAL_NAMES:
        return SPECIAL_NAMES[index]
    extension = "jpg" if index % 2 else "png"
    return f"{WORDS[index % len(WORDS)]} {index:02d}.{extension}"


@dataclass
class World:
    project: Project
    items: list[ItemRecord]
    annotations: dict[int, list[Any]]
    class_ids: dict[str, int]


def _label_everything(project: Project, ids: list[int], rng: np.random.Generator) -> None:
    project.add_classes(["cat", "dog", "bird"])
    statuses = rng.choice(STATUS_ORDER, size=len(ids))
    for status in STATUS_ORDER:
        project.set_status([i for i, s in zip(ids, statuses, strict=True) if s == status], status)
    splits = rng.choice(["train", "val", "test", "none"], size=len(ids))
    for split in ("train", "val", "test"):
        project.set_split([i for i, s in zip(ids, splits, strict=True) if s == split], split)
    project.tag_items(ids[::4], add="hard")
    project.tag_items(ids[::6], add=["blurry", "hard"])
    specs = []
    for item_id in ids:
        for _ in range(int(rng.integers(0, 4))):
            source = str(rng.choice(["human", "model", "sam"]))
            score = None if source == "human" else round(float(rng.random()), 2)
            spec = {"item_id": item_id, "label": str(rng.choice(["cat", "dog", "bird"]))}
            if rng.random() < 0.7:
                spec["box"] = [1, 1, 4, 3]
            specs.append({**spec, "source": source, "score": score})
    project.add_annotations(specs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("queries")
    for index in range(COUNT):
        save_image(root / "images" / f"batch{index % 3}" / _file_name(index), (8, 6), seed=index)
    with Project.create(root / "q.studio") as project:
        for batch in range(3):  # three imports: three distinct `added_at` values
            project.import_media([root / "images" / f"batch{batch}"])
        ids = [item.id for item in project.items()]
        assert len(ids) == COUNT
        _label_everything(project, ids, np.random.default_rng(42))
        items = project.items()
        yield World(
            project,
            items,
            {item.id: project.annotations(item.id) for item in items},
            {c.name: c.id for c in project.classes()},
        )


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _fold(text: str) -> str:
    """SQLite's LIKE ignores the case of ASCII letters only."""
    return "".join(c.lower() if c.isascii() else c for c in text)


def _annotation_matches(world: World, annotation: Any, query: dict[str, Any]) -> bool:
    if "label" in query:
        wanted = {world.class_ids.get(v, v) for v in _as_list(query["label"])}
        if annotation.class_id not in wanted:
            return False
    if "source" in query and annotation.source not in _as_list(query["source"]):
        return False
    score = annotation.score
    if "score_min" in query and (score is None or score < query["score_min"]):
        return False
    return not ("score_max" in query and (score is None or score > query["score_max"]))


def _item_matches(world: World, item: ItemRecord, query: dict[str, Any]) -> bool:
    if "status" in query and item.status not in [
        getattr(s, "value", s) for s in _as_list(query["status"])
    ]:
        return False
    if "split" in query:
        splits = [None if s == "none" else s for s in _as_list(query["split"])]
        if item.split not in splits:
            return False
    annotation_keys = {"label", "source", "score_min", "score_max"} & set(query)
    if annotation_keys and not any(
        _annotation_matches(world, a, query) for a in world.annotations[item.id]
    ):
        return False
    if "text" in query and _fold(query["text"]) not in _fold(item.path):
        return False
    return not ("tag" in query and query["tag"] not in item.tags)


def _sort_key(world: World, item: ItemRecord, sort: str) -> Any:
    if sort == "name":
        return item.path
    if sort == "date":
        return item.added_at
    if sort == "status":
        return STATUS_ORDER.index(item.status)
    scores = [a.score for a in world.annotations[item.id] if a.score is not None]
    return max(scores) if scores else None


def expected_ids(world: World, **query: Any) -> list[int]:
    """The plain-Python answer: filter, then sort by key and id, items without a key last."""
    sort = query.pop("sort", "name")
    descending = query.pop("descending", False)
    found = [item for item in world.items if _item_matches(world, item, query)]
    keyed = [(_sort_key(world, item, sort), item.id) for item in found]
    with_key = sorted((pair for pair in keyed if pair[0] is not None), reverse=descending)
    without_key = sorted((pair for pair in keyed if pair[0] is None), reverse=descending)
    return [item_id for _, item_id in with_key + without_key]


FILTERS = [
    {},
    {"status": "done"},
    {"status": ["new", "rejected"]},
    {"status": ItemStatus.REVIEWED},
    {"split": "train"},
    {"split": "none"},
    {"split": [None, "val"]},
    {"label": "cat"},
    {"label": ["bird", "dog"]},
    {"source": "model"},
    {"source": ["human", "sam"]},
    {"score_min": 0.5},
    {"score_max": 0.3},
    {"score_min": 0.2, "score_max": 0.6},
    {"label": "cat", "source": "model", "score_min": 0.4},
    {"text": "cat"},
    {"text": "CAT 0"},
    {"text": "Ünïcödé"},
    {"text": "batch1/"},
    {"tag": "hard"},
    {"tag": "blurry"},
    {"status": ["done", "in_progress"], "split": "train", "tag": "hard"},
    {"label": "dog", "text": "dog"},
]


@pytest.mark.parametrize("query", FILTERS, ids=[repr(q) for q in FILTERS])
def test_each_filter_matches_plain_python(world: World, query: dict[str, Any]) -> None:
    expected = expected_ids(world, **query)
    assert world.project.item_ids(**query) == expected
    assert [item.id for item in world.project.items(**query)] == expected
    assert world.project.count_items(**query) == len(expected)


def test_the_filters_are_not_trivial(world: World) -> None:
    """Each filter above keeps some items and drops others, so the comparison means something."""
    for query in FILTERS[1:]:
        assert 0 < len(expected_ids(world, **query)) < COUNT, query


@pytest.mark.parametrize("sort", ["name", "date", "status", "score"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("query", [{}, {"split": "train"}, {"label": "dog"}])
def test_each_sort_matches_plain_python(
    world: World, sort: str, descending: bool, query: dict[str, Any]
) -> None:
    expected = expected_ids(world, sort=sort, descending=descending, **query)
    assert world.project.item_ids(sort=sort, descending=descending, **query) == expected


def test_the_label_filter_takes_a_class_id(world: World) -> None:
    by_name = world.project.item_ids(label="bird")
    assert world.project.item_ids(label=world.class_ids["bird"]) == by_name
    assert world.project.item_ids(label=["bird", world.class_ids["cat"]]) == expected_ids(
        world, label=["bird", "cat"]
    )


def test_limit_and_offset_page_through_the_order(world: World) -> None:
    everything = expected_ids(world, sort="date", descending=True)
    page = world.project.items(limit=7, offset=10, sort="date", descending=True)
    assert [item.id for item in page] == everything[10:17]
    tail = world.project.items(offset=55, sort="date", descending=True)
    assert [item.id for item in tail] == everything[55:]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("'; DROP TABLE item; --", ["x'; DROP TABLE item; --.jpg"]),
        ("%", ["100% sure.jpg"]),
        ("_", ["snake_case.png"]),
        ("\\", []),
    ],
)
def test_sql_in_the_text_filter_is_taken_literally(
    world: World, text: str, names: list[str]
) -> None:
    found = world.project.items(text=text)
    assert [Path(item.path).name for item in found] == names
    assert world.project.count_items() == COUNT


def test_bad_query_arguments_raise(world: World) -> None:
    with pytest.raises(ValueError, match="unknown sort 'path; DROP TABLE item'"):
        world.project.items(sort="path; DROP TABLE item")
    with pytest.raises(ValueError, match="unknown status 'finished'"):
        world.project.item_ids(status="finished")
    with pytest.raises(ValueError, match="unknown split"):
        world.project.item_ids(split="training")
    with pytest.raises(ValueError, match="unknown source"):
        world.project.count_items(source="robot")
    with pytest.raises(ValueError, match="score_min must be a number"):
        world.project.items(score_min="0.5")
    with pytest.raises(TypeError):
        world.project.items(colour="red")


def _plan(world: World, **query: Any) -> list[str]:
    statement = select_item_ids(ItemQuery(**query))
    with world.project.context.database.read() as connection:
        sql = str(
            statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
        )
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    return [row[3] for row in rows]


def _index_columns(world: World, index: str) -> list[str]:
    with world.project.context.database.read() as connection:
        rows = connection.exec_driver_sql(f"PRAGMA index_info('{index}')").fetchall()
    return [row[2] for row in rows]


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({"status": "done"}, "ix_item_status_path"),
        ({"split": "train"}, "ix_item_split"),
        ({"label": "cat"}, "ix_annotation_class_id_item_id"),
        ({"source": "model"}, "ix_annotation_source_item_id"),
    ],
)
def test_filtered_queries_search_through_an_index(
    world: World, query: dict[str, Any], index: str
) -> None:
    plan = _plan(world, **query)
    assert any(index in row and row.startswith("SEARCH") for row in plan), plan
    assert not any(row.startswith("SCAN item") for row in plan), plan


def test_the_status_filter_in_name_order_needs_no_sort_step(world: World) -> None:
    plan = _plan(world, status="done", sort="name")
    assert not any("TEMP B-TREE" in row for row in plan), plan


@pytest.mark.parametrize(("sort", "column"), [("name", "path"), ("date", "added_at")])
def test_sorted_queries_walk_an_index_instead_of_sorting(
    world: World, sort: str, column: str
) -> None:
    (row,) = _plan(world, sort=sort)
    assert row.startswith("SCAN item USING COVERING INDEX "), row
    index = row.removeprefix("SCAN item USING COVERING INDEX ").split()[0]
    assert _index_columns(world, index) == [column]
