"""Plugins inside a training run (in this process, as the worker runs it): the run's events
after each commit, training callbacks that stop it early or fail, plugin augmentations by
name, plugin metrics stored with the evaluation. A failing plugin never fails the run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from studio.api import Project
from studio.core import runs
from studio.core.project_file import open_project_file
from studio.core.runs import RunRecord
from studio.core.versions import VersionRecord
from studio.jobs.training_job import train_run
from studio.ml.augment import AugmentationSpec
from studio.ml.callbacks import STOP
from studio.ml.metrics import MetricSpec
from studio.plugins import hookimpl
from studio.plugins.manager import PluginSettings, StudioPlugins, use_plugins
from tests.jobs.projects import TINY_CLASSIFIER, digits_project

BUILT: list[tuple[str, int]] = []  # (task, input size) of each built "identity" augmentation


def _identity(image: Any) -> Any:
    return image


def _build_identity(task: str, input_size: int) -> Any:
    from torchvision.transforms import v2

    BUILT.append((task, input_size))
    return v2.Lambda(_identity)


def _item_count(task: str, items: Any, predictions: Any, class_index: Any) -> float:
    return float(len(items))


class StopAfterFirstEpoch:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def on_train_start(self) -> None:
        self.calls.append("start")

    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> str | None:
        self.calls.append(f"epoch {epoch}")
        return STOP

    def on_train_end(self, status: str) -> None:
        self.calls.append(f"end {status}")


class FailingCallback:
    def on_epoch_end(self, epoch: int, metrics: Mapping[str, float]) -> None:
        raise RuntimeError("the tracker is down")


class RunFollower:
    """Records the run's events, checking each epoch's metrics are already committed."""

    STUDIO_PLUGIN_API = 1

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.callback_calls: list[str] = []

    @hookimpl
    def studio_run_started(self, project_path: Path, run: RunRecord, version: VersionRecord):
        self.seen.append(("started", run.status, version.name))

    @hookimpl
    def studio_epoch_ended(self, project_path: Path, run: RunRecord, epoch: int, metrics):
        database = open_project_file(project_path)
        try:
            with database.read() as connection:
                stored = runs.metrics_of(connection, run.id)["train/loss"]
        finally:
            database.close()
        self.seen.append(("epoch", epoch, stored[-1] == (epoch, metrics["train/loss"])))

    @hookimpl
    def studio_run_finished(self, project_path: Path, run: RunRecord, status: str, artifacts):
        self.seen.append(("finished", status, sorted(artifacts)))
        assert all(Path(path).is_file() for path in artifacts.values())

    @hookimpl
    def studio_training_callbacks(self, run: RunRecord) -> list[Any]:
        return [FailingCallback(), StopAfterFirstEpoch(self.callback_calls)]

    @hookimpl
    def studio_augmentations(self) -> list[AugmentationSpec]:
        return [AugmentationSpec("identity", "leaves the image as it is", _build_identity)]

    @hookimpl
    def studio_metrics(self) -> list[MetricSpec]:
        return [
            MetricSpec("item_count", "items evaluated", frozenset({"classification"}), _item_count)
        ]


class BrokenFollower:
    STUDIO_PLUGIN_API = 1

    @hookimpl
    def studio_epoch_ended(self, project_path: Path, run: RunRecord, epoch: int) -> None:
        raise RuntimeError("cannot follow")


@dataclass
class TrainedWithPlugins:
    project: Project
    follower: RunFollower
    events: list[dict]
    plugins: StudioPlugins


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedWithPlugins]:
    """A digits run asked for 3 epochs, trained in this process with the follower's plugins
    (and one that fails) as the only ones besides Studio's."""
    folder = tmp_path_factory.mktemp("plugins")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDIO_CONFIG_DIR", str(folder / "config"))
        settings = PluginSettings(third_party=False, config_dir=folder / "config")
        manager = StudioPlugins(settings).load()
        follower = RunFollower()
        manager.register(follower, "follower")
        manager.register(BrokenFollower(), "broken-follower")
        previous = use_plugins(manager)
        try:
            path = digits_project(folder, 40)
            project = Project.open(path, author="tester")
            config = {**TINY_CLASSIFIER, "augmentations": ["hflip", "identity"]}
            run = project.new_run(task="classification", epochs=3, **config)
            events: list[dict] = []
            assert train_run(path, run.id, emit=events.append) == "finished"
            yield TrainedWithPlugins(project, follower, events, manager)
            project.close()
        finally:
            use_plugins(previous)


def test_plugins_follow_a_run_and_a_callback_stops_it_early(trained: TrainedWithPlugins) -> None:
    follower, events = trained.follower, trained.events
    run = trained.project.runs()[0]
    assert follower.seen == [
        ("started", "running", "v1"),
        ("epoch", 1, True),
        ("finished", "finished", ["best.pt", "last.pt"]),
    ]
    assert follower.callback_calls == ["start", "epoch 1", "end early_stopped"]
    assert run.summary["epochs_done"] == 1
    assert run.summary["early_stopped"] is True
    messages = [event.get("message", "") for event in events]
    assert any("StopAfterFirstEpoch asked" in message for message in messages)
    assert any("FailingCallback failed in on_epoch_end" in message for message in messages)


@pytest.mark.usefixtures("trained")
def test_a_plugin_augmentation_named_in_the_settings_is_built_for_training() -> None:
    assert BUILT == [("classification", 32)]


def test_a_plugin_metric_is_stored_with_the_evaluation(trained: TrainedWithPlugins) -> None:
    run = trained.project.runs()[0]
    evaluation = run.evaluation(run.summary["test_split"])
    assert evaluation.metrics["item_count"] == evaluation.metrics["items"]
    assert run.summary["test"]["item_count"] == evaluation.metrics["items"]


def test_a_plugin_failing_in_an_event_is_disabled_and_the_run_goes_on(
    trained: TrainedWithPlugins,
) -> None:
    broken = next(info for info in trained.plugins.infos() if info.name == "broken-follower")
    assert broken.failed
    assert broken.errors == ["studio_epoch_ended: RuntimeError: cannot follow"]
