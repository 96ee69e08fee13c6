"""The model registry: versions per name, references, aliases, deletion and lineage.

Runs are written as rows through `studio.core.runs` (no training): a finished run with
`best.pt` and `last.pt` registered and a test evaluation of `best.pt`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.api import Project
from studio.core import model_registry as registry
from studio.core import runs
from studio.core.database import Database
from studio.core.enums import RunStatus
from studio.core.errors import ModelRegistryError, RunError
from studio.core.versions import VersionRecord, version_items

BEST_SHA = hashlib.sha256(b"best weights").hexdigest()
LAST_SHA = hashlib.sha256(b"last weights").hexdigest()
TEST_METRICS = {"accuracy": 0.75, "macro_f1": 0.7, "items": 4, "per_class": {"cat": 0.5}}


@pytest.fixture
def version(tagged_version: Callable[[int], VersionRecord]) -> VersionRecord:
    return tagged_version(10)


def make_run(
    database: Database,
    version: VersionRecord,
    *,
    status: str = RunStatus.FINISHED.value,
    files: tuple[str, ...] = ("best.pt", "last.pt"),
) -> runs.RunRecord:
    """A run as the worker leaves it, written row by row."""
    config = {"epochs": 2, "batch_size": 4, "learning_rate": 0.01, "input_size": 32}
    record = runs.create_run(
        database,
        task="classification",
        model="resnet18",
        version_id=version.id,
        config=config,
        seed=11,
    )
    if status == RunStatus.QUEUED.value:
        return record
    environment = {"python": "3.12", "torch": "2.14.1", "device_name": "cpu"}
    runs.mark_started(
        database,
        record.id,
        pid=1,
        host="here",
        device="cpu",
        environment=environment,
        pretrained="never",
    )
    for epoch in (1, 2):
        runs.record_epoch(database, record.id, epoch, {"train/loss": 1.0 / epoch})
    folder = runs.run_folder(record.id)
    for name in files:
        sha = BEST_SHA if name == "best.pt" else LAST_SHA
        runs.save_artifact(
            database,
            record.id,
            name=name,
            kind="checkpoint",
            path=f"{folder}/{name}",
            sha256=sha,
            size_bytes=12,
            epoch=2,
        )
    runs.save_artifact(
        database,
        record.id,
        name="train.log",
        kind="log",
        path=f"{folder}/train.log",
        sha256="",
        size_bytes=0,
    )
    runs.save_evaluation(
        database,
        record.id,
        checkpoint="best.pt",
        epoch=2,
        split="test",
        metrics=TEST_METRICS,
        predictions=[],
    )
    if status != RunStatus.RUNNING.value:
        summary = {"test": {"accuracy": 0.75}, "best_epoch": 2}
        runs.finish_run(database, record.id, status, summary=summary)
    return record


def resolve(database: Database, ref: str) -> registry.ModelVersionRecord:
    with database.read() as connection:
        return registry.resolve_model(connection, ref)


def every_version(database: Database, name: str | None = None) -> list[tuple[str, int]]:
    with database.read() as connection:
        found = registry.list_model_versions(connection, name)
    return [(record.name, record.version) for record in found]


# -- registering -----------------------------------------------------------------------------


def test_register_copies_the_run_and_numbers_versions_per_name(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    first = registry.register_model(
        database, run.id, name="digits", notes="first try", author="ana"
    )
    assert (first.name, first.version, first.ref) == ("digits", 1, "digits:1")
    assert (first.run_id, first.run_name) == (run.id, run.name)
    assert (first.checkpoint, first.checkpoint_sha256) == ("best.pt", BEST_SHA)
    assert (first.task, first.architecture) == ("classification", "resnet18")
    assert (first.dataset_version_id, first.dataset_version_name) == (version.id, version.name)
    assert (first.notes, first.author, first.aliases) == ("first try", "ana", ())
    second = registry.register_model(database, run.name, name="digits", checkpoint="last.pt")
    other = registry.register_model(database, run.id, name="other")
    assert (second.version, second.checkpoint_sha256, other.version) == (2, LAST_SHA, 1)
    assert every_version(database) == [("digits", 1), ("digits", 2), ("other", 1)]
    assert every_version(database, "digits") == [("digits", 1), ("digits", 2)]
    assert every_version(database, "nothing") == []
    with database.read() as connection:
        assert registry.model_names(connection) == ["digits", "other"]


def test_default_name_is_task_and_architecture(database: Database, version: VersionRecord) -> None:
    run = make_run(database, version)
    assert registry.register_model(database, run.id).ref == "classification-resnet18:1"
    assert registry.register_model(database, run.id, checkpoint="last").ref == (
        "classification-resnet18:2"
    )
    assert registry.default_model_name("detection", "odd name/v2") == "detection-odd-name-v2"


def test_metrics_are_the_numbers_of_the_checkpoints_test_evaluation(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    best = registry.register_model(database, run.id, name="m")
    assert best.metrics == {"split": "test", "accuracy": 0.75, "macro_f1": 0.7, "items": 4}
    # last.pt was never evaluated: its figures are not borrowed from best.pt.
    assert registry.register_model(database, run.id, name="m", checkpoint="last.pt").metrics == {}
    runs.save_evaluation(
        database,
        run.id,
        checkpoint="last.pt",
        epoch=2,
        split="val",
        metrics={"accuracy": 0.5},
        predictions=[],
    )
    later = registry.register_model(database, run.id, name="n", checkpoint="last.pt")
    assert later.metrics == {"split": "val", "accuracy": 0.5}


@pytest.mark.parametrize(
    ("status", "files", "message"),
    [
        (RunStatus.QUEUED.value, ("best.pt",), "status is queued; only a finished run"),
        (RunStatus.RUNNING.value, ("best.pt",), "status is running; only a finished run"),
        (RunStatus.FAILED.value, ("best.pt",), "status is failed; only a finished run"),
        (RunStatus.FINISHED.value, ("last.pt",), "has no file 'best.pt' (its files: last.pt"),
    ],
)
def test_only_a_finished_run_with_the_checkpoint_registers(
    database: Database, version: VersionRecord, status: str, files: tuple[str, ...], message: str
) -> None:
    run = make_run(database, version, status=status, files=files)
    with pytest.raises(ModelRegistryError, match=re.escape(message)) as caught:
        registry.register_model(database, run.id, name="m")
    assert run.name in str(caught.value)
    assert every_version(database) == []


def test_register_refuses_unknown_runs_logs_bad_names_and_duplicates(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    with pytest.raises(ModelRegistryError, match=rf"no such run \(finished runs: {run.name}\)"):
        registry.register_model(database, "ghost")
    with pytest.raises(ModelRegistryError, match=r"train\.log' is a log, not a checkpoint"):
        registry.register_model(database, run.id, checkpoint="train.log")
    for bad in ("", "-x", "a b", "a:b", "a/b"):
        with pytest.raises(ModelRegistryError, match="not a valid model name"):
            registry.register_model(database, run.id, name=bad)
    registry.register_model(database, run.id, name="m")
    with pytest.raises(ModelRegistryError, match=r"best.pt is already registered as m:1"):
        registry.register_model(database, run.id, name="m")
    assert every_version(database) == [("m", 1)]


def test_store_dir_requires_the_checkpoint_file_as_recorded(
    database: Database, version: VersionRecord, tmp_path: Path
) -> None:
    run = make_run(database, version)
    store = tmp_path / "store"
    with pytest.raises(ModelRegistryError, match=r"checkpoint best\.pt is missing"):
        registry.register_model(database, run.id, name="m", store_dir=store)
    path = store / runs.run_folder(run.id) / "best.pt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"swapped weights")
    with pytest.raises(ModelRegistryError, match="changed since the run recorded it"):
        registry.register_model(database, run.id, name="m", store_dir=store)
    path.write_bytes(b"best weights")
    record = registry.register_model(database, run.id, name="m", store_dir=store)
    assert record.checkpoint_sha256 == BEST_SHA


# -- references ------------------------------------------------------------------------------


def test_references_by_name_number_v_number_latest_and_alias(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    for checkpoint in ("best.pt", "last.pt"):
        registry.register_model(database, run.id, name="digits", checkpoint=checkpoint)
    registry.set_alias(database, "digits", 1, "production")
    assert resolve(database, "digits").version == 2
    assert resolve(database, "digits:latest").version == 2
    assert resolve(database, "digits:1").version == 1
    assert resolve(database, " digits:v2 ").version == 2
    assert resolve(database, "digits:V1").version == 1
    assert resolve(database, "digits:production").version == 1
    record = resolve(database, "digits:1")
    with database.read() as connection:
        assert registry.resolve_model(connection, record) == record


def test_unknown_references_list_what_exists(database: Database, version: VersionRecord) -> None:
    with pytest.raises(ModelRegistryError, match=r"unknown model 'x' \(models: none registered"):
        resolve(database, "x")
    run = make_run(database, version)
    registry.register_model(database, run.id, name="digits")
    registry.register_model(database, run.id, name="digits", checkpoint="last.pt")
    registry.set_alias(database, "digits", 2, "candidate")
    with pytest.raises(ModelRegistryError, match=r"unknown model 'digit' \(models: digits\)"):
        resolve(database, "digit:1")
    expected = r"has no version 7 \(versions: 1, 2; aliases: candidate → 2\)"
    with pytest.raises(ModelRegistryError, match=expected):
        resolve(database, "digits:v7")
    with pytest.raises(ModelRegistryError, match=r"no version or alias 'prod' \(versions: 1, 2"):
        resolve(database, "digits:prod")
    with pytest.raises(ModelRegistryError, match="names no model"):
        resolve(database, ":3")


# -- aliases ---------------------------------------------------------------------------------


def test_an_alias_moves_between_versions_and_is_per_name(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    for name, checkpoint in (("a", "best.pt"), ("a", "last.pt"), ("b", "best.pt")):
        registry.register_model(database, run.id, name=name, checkpoint=checkpoint)
    assert registry.set_alias(database, "a", 1, "production").aliases == ("production",)
    registry.set_alias(database, "a", 1, "candidate")
    moved = registry.set_alias(database, "a", "v2", "production")
    assert moved.aliases == ("production",)
    registry.set_alias(database, "b", 1, "production")
    with database.read() as connection:
        held = {r.ref: r.aliases for r in registry.list_model_versions(connection)}
    assert held == {"a:1": ("candidate",), "a:2": ("production",), "b:1": ("production",)}
    registry.remove_alias(database, "a", "production")
    assert resolve(database, "a:2").aliases == ()
    assert resolve(database, "b:production").ref == "b:1"
    with pytest.raises(ModelRegistryError, match=r"no alias 'production' \(versions: 1, 2; "):
        registry.remove_alias(database, "a", "production")
    with pytest.raises(ModelRegistryError, match="unknown model 'c'"):
        registry.remove_alias(database, "c", "production")


@pytest.mark.parametrize("alias", ["3", "v3", "V12", "latest", "LATEST", "", "-x", "a b", "a:b"])
def test_aliases_that_mean_a_version_or_are_malformed_are_refused(
    database: Database, version: VersionRecord, alias: str
) -> None:
    run = make_run(database, version)
    registry.register_model(database, run.id, name="m")
    with pytest.raises(ModelRegistryError, match=f"{alias.strip()!r}"):
        registry.set_alias(database, "m", 1, alias)
    assert resolve(database, "m").aliases == ()


def test_set_alias_on_an_unknown_version_writes_nothing(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    registry.register_model(database, run.id, name="m")
    with pytest.raises(ModelRegistryError, match=r"model 'm' has no version 4 \(versions: 1;"):
        registry.set_alias(database, "m", 4, "production")
    with pytest.raises(ModelRegistryError, match="'four' is not a version number"):
        registry.set_alias(database, "m", "four", "production")
    assert resolve(database, "m").aliases == ()


# -- deletion --------------------------------------------------------------------------------


def test_deleting_a_version_drops_its_aliases_and_keeps_the_others(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    for checkpoint in ("best.pt", "last.pt"):
        registry.register_model(database, run.id, name="m", checkpoint=checkpoint)
    registry.set_alias(database, "m", 2, "production")
    registry.set_alias(database, "m", 1, "old")
    registry.delete_model_version(database, "m", 2)
    assert every_version(database) == [("m", 1)]
    with pytest.raises(ModelRegistryError, match=r"no version or alias 'production'"):
        resolve(database, "m:production")
    assert resolve(database, "m:old").aliases == ("old",)
    with pytest.raises(ModelRegistryError, match=r"model 'm' has no version 2 \(versions: 1;"):
        registry.delete_model_version(database, "m", 2)
    # The run stays: it can be registered again, and the freed number is the next one.
    assert registry.register_model(database, run.id, name="m", checkpoint="last.pt").version == 2
    with database.read() as connection:
        assert runs.get_run(connection, run.id).status == RunStatus.FINISHED.value


# -- lineage and frozen records --------------------------------------------------------------


def test_lineage_holds_run_dataset_version_and_items_per_split(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    registry.register_model(database, run.id, name="m")
    registry.set_alias(database, "m", 1, "production")
    with database.read() as connection:
        found = registry.lineage(connection, "m:production")
        expected_items = {
            split: [item.item_id for item in version_items(connection, version.id, split)]
            for split in ("train", "val", "test")
        }
    assert found["items"] == expected_items
    assert sum(len(ids) for ids in found["items"].values()) == 10
    assert found["model_version"]["ref"] == "m:1"
    assert found["model_version"]["aliases"] == ["production"]
    assert found["model_version"]["checkpoint_path"] == f"{runs.run_folder(run.id)}/best.pt"
    assert found["model_version"]["checkpoint_unchanged"] is True
    assert found["run"]["config"] == run.config
    assert found["run"]["seed"] == 11
    assert found["run"]["status"] == "finished"
    assert found["run"]["environment"]["torch"] == "2.14.1"
    dataset = found["dataset_version"]
    assert (dataset["id"], dataset["name"]) == (version.id, version.name)
    assert dataset["content_hash"] == version.content_hash
    assert dataset["counts"] == dict(version.counts)
    assert [entry["name"] for entry in dataset["classes"]] == ["cat", "dog"]
    assert json.loads(json.dumps(found)) == found


def test_a_registered_version_keeps_its_figures_when_the_run_changes(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    before = registry.register_model(database, run.id, name="m")
    runs.save_evaluation(
        database,
        run.id,
        checkpoint="best.pt",
        epoch=2,
        split="test",
        metrics={"accuracy": 0.1},
        predictions=[],
    )
    runs.finish_run(database, run.id, "finished", summary={"test": {"accuracy": 0.1}})
    runs.save_artifact(
        database,
        run.id,
        name="best.pt",
        kind="checkpoint",
        path=f"{runs.run_folder(run.id)}/best.pt",
        sha256="f" * 64,
        size_bytes=1,
    )
    after = resolve(database, "m:1")
    assert after == before
    assert after.metrics["accuracy"] == 0.75
    with database.read() as connection:
        found = registry.lineage(connection, "m")
    assert found["model_version"]["checkpoint_sha256"] == BEST_SHA
    assert found["model_version"]["checkpoint_unchanged"] is False
    assert registry.register_model(database, run.id, name="m").metrics["accuracy"] == 0.1


def test_the_registry_survives_reopening_the_project(
    project: Project, database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    registry.register_model(database, run.id, name="m")
    registry.set_alias(database, "m", 1, "production")
    reopened = Database(project.path)
    try:
        with reopened.read() as connection:
            assert registry.resolve_model(connection, "m:production").ref == "m:1"
    finally:
        reopened.close()


def test_a_registered_run_cannot_be_deleted_until_its_versions_are(
    database: Database, version: VersionRecord
) -> None:
    run = make_run(database, version)
    registry.register_model(database, run.id, name="digits")
    with pytest.raises(RunError, match=r"registered as model digits:1"):
        runs.delete_run(database, run.id)
    registry.delete_model_version(database, "digits", 1)
    runs.delete_run(database, run.id)
    with database.read() as connection:
        assert runs.list_runs(connection) == []
