"""`Project`: one context, its plugin folder (run only once trusted), and the project events
plugins hear after each commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.api import Project, ProjectContext, StudioError
from studio.plugins.manager import PluginSettings, StudioPlugins, use_plugins
from studio.plugins.trust import TrustStore
from tests.api.plugins import EVENT_HOOKS, EventRecorder, Raising, committed_annotations
from tests.conftest import write_images
from tests.jobs.projects import finished_run

PLUGIN_SOURCE = """
from pathlib import Path

from studio.api import PLUGIN_API_VERSION, hookimpl

STUDIO_PLUGIN_API = PLUGIN_API_VERSION
Path(__file__).parent.parent.joinpath("{marker}").write_text("ran")


@hookimpl
def studio_project_opened(project):
    project.set_setting("opened_by_plugin", True)
"""


def project_with_plugin_folder(tmp_path: Path, marker: str = "marker.txt") -> Path:
    """A project whose plugin folder holds a module that, when imported, writes `marker`
    into the project's store folder (so running it shows)."""
    with Project.create(tmp_path / "shared.studio") as project:
        project.plugin_folder.mkdir(parents=True)
        (project.plugin_folder / "marking.py").write_text(PLUGIN_SOURCE.format(marker=marker))
        return project.path


def labeled_project(tmp_path: Path, name: str = "birds.studio") -> Project:
    project = Project.create(tmp_path / name, author="tester")
    project.add_classes(["crow", "sparrow"])
    project.import_media(write_images(tmp_path / "images", 3))
    return project


def test_the_project_holds_one_context_that_its_services_share(tmp_path: Path) -> None:
    with labeled_project(tmp_path) as project:
        context = project.context
        assert isinstance(context, ProjectContext)
        assert (context.path, context.author, context.root) == (
            project.path,
            "tester",
            tmp_path,
        )
        assert context.store_dir == project.store_dir == tmp_path / "birds.studio.d"
        services = (project.labels, project.experiments, project.models, project.analysis)
        assert all(service._context is context for service in services)
        with pytest.raises(AttributeError):
            context.author = "someone else"  # type: ignore[misc]


def test_an_untrusted_plugin_folder_does_not_run(tmp_path: Path) -> None:
    path = project_with_plugin_folder(tmp_path)
    with Project.open(path) as project:
        assert project.plugin_folder_status() == "untrusted"
        assert not (project.store_dir / "marker.txt").exists()
        assert project.setting("opened_by_plugin") is None


def test_a_trusted_folder_loads_and_is_unloaded_on_close(
    tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    path = project_with_plugin_folder(tmp_path)
    with Project.open(path) as project:
        infos = project.trust_plugins()
        assert [(info.name, info.source, info.hooks) for info in infos] == [
            ("marking", "project", ("studio_project_opened",))
        ]
        assert project.plugin_folder_status() == "loaded"
        assert (project.store_dir / "marker.txt").read_text() == "ran"
    assert "marking" not in [info.name for info in studio_plugins.infos()]
    with Project.open(path) as reopened:
        assert reopened.plugin_folder_status() == "loaded"
        assert reopened.setting("opened_by_plugin") is True


def test_a_changed_plugin_file_is_untrusted_again(tmp_path: Path) -> None:
    path = project_with_plugin_folder(tmp_path)
    with Project.open(path) as project:
        project.trust_plugins()
        marker = project.store_dir / "marker.txt"
        (project.plugin_folder / "marking.py").write_text(PLUGIN_SOURCE.format(marker="other"))
        assert project.plugin_folder_status() == "untrusted"
    marker.unlink()
    with Project.open(path) as reopened:
        assert reopened.plugin_folder_status() == "untrusted"
        assert not marker.exists()
        assert not (reopened.store_dir / "other").exists()


def test_trust_is_the_users_not_the_projects(tmp_path: Path) -> None:
    path = project_with_plugin_folder(tmp_path)
    with Project.open(path) as project:
        project.trust_plugins()
        assert TrustStore(tmp_path / "another user").is_trusted(project.plugin_folder) is False
        assert not list(project.store_dir.glob("*.json"))


def test_no_plugin_folder_reads_none_and_cannot_be_trusted(tmp_path: Path) -> None:
    with labeled_project(tmp_path) as project:
        assert project.plugin_folder == project.store_dir / "plugins"
        assert project.plugin_folder_status() == "none"
        with pytest.raises(StudioError, match="there is no plugin folder to trust"):
            project.trust_plugins()


def test_with_third_party_plugins_off_a_trusted_folder_stays_disabled(
    tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    path = project_with_plugin_folder(tmp_path)
    config = studio_plugins.settings.config_dir
    use_plugins(StudioPlugins(PluginSettings(third_party=False, config_dir=config)).load())
    with Project.open(path) as project:
        assert project.trust_plugins() == []
        assert project.plugin_folder_status() == "disabled"
        assert not (project.store_dir / "marker.txt").exists()


# -- events --------------------------------------------------------------------------------


def test_opening_and_closing_are_announced(tmp_path: Path, studio_plugins: StudioPlugins) -> None:
    recorder = EventRecorder()
    studio_plugins.register(recorder, "recorder")
    project = labeled_project(tmp_path)
    project.close()
    assert recorder.named("studio_project_opened") == [{"project": project}]
    assert recorder.named("studio_project_closing") == [{"items": 3}]


def test_annotation_edits_undo_redo_and_label_imports_are_announced_after_commit(
    tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    recorder = EventRecorder()
    with labeled_project(tmp_path) as project:
        first, second, third = project.item_ids()
        studio_plugins.register(recorder, "recorder")
        project.annotate(first, "crow", box=[1, 2, 10, 10])
        project.add_annotations([{"item_id": second, "label": "sparrow", "box": [0, 0, 5, 5]}])
        project.set_status([third], "done")  # not an annotation change
        project.undo()  # the status change
        project.undo()
        project.redo()
        project.export_labels(tmp_path / "coco", "coco", images="none")
        project.clear_annotations([first, second])
        project.import_labels(tmp_path / "coco", format="coco")
    events = [
        (arguments["item_ids"], arguments["description"], arguments["annotations_in_file"])
        for arguments in recorder.named("studio_annotations_committed")
    ]
    assert events == [
        ([first], "Add box (crow) on image_0000.jpg", 1),
        ([second], "Add box (sparrow) on image_0001.jpg", 2),
        ([second], "undo Add box (sparrow) on image_0001.jpg", 1),
        ([second], "redo Add box (sparrow) on image_0001.jpg", 2),
        ([first, second], "Clear the labels of 2 images", 0),
        ([first, second], "import labels from coco", 2),
    ]


def test_versions_and_registered_models_are_announced(
    tmp_path: Path, studio_plugins: StudioPlugins
) -> None:
    recorder = EventRecorder()
    studio_plugins.register(recorder, "recorder")
    with labeled_project(tmp_path) as project:
        project.set_image_tags(project.item_ids()[0], ["crow"])
        project.set_status(project.item_ids(), "done")
        version = project.create_version()
        run = finished_run(project, "first")
        model = project.register_model(run.id, name="birds")
    assert recorder.named("studio_version_created") == [{"project": project, "version": version}]
    assert recorder.named("studio_model_registered") == [{"project": project, "model": model}]


@pytest.mark.parametrize("hook", EVENT_HOOKS)
def test_a_plugin_raising_in_an_event_is_disabled_and_the_change_stands(
    tmp_path: Path, studio_plugins: StudioPlugins, hook: str
) -> None:
    def arm(event: str) -> None:
        """Register the raising plugin just before the event the test is about."""
        if event == hook:
            studio_plugins.register(Raising(), "raising")

    arm("studio_project_opened")
    project = labeled_project(tmp_path)
    item = project.item_ids()[0]
    arm("studio_annotations_committed")
    project.annotate(item, "crow")
    project.set_status(project.item_ids(), "done")
    arm("studio_version_created")
    version = project.create_version()
    run = finished_run(project, "first")
    arm("studio_model_registered")
    model = project.register_model(run.id, name="birds")
    arm("studio_project_closing")
    project.close()
    [info] = [info for info in studio_plugins.infos() if info.name == "raising"]
    assert info.failed
    assert info.errors == [f"{hook}: RuntimeError: broken {hook}"]
    assert committed_annotations(tmp_path / "birds.studio") == 1
    with Project.open(tmp_path / "birds.studio") as reopened:
        assert reopened.version(version.id) == version
        assert reopened.model("birds") == model
        reopened.annotate(item, "sparrow")
        assert len(reopened.annotations(item)) == 2
