"""Every keyboard shortcut of the window, by name, with user overrides kept in QSettings.

Actions are made from the registry (`make_action`), so the help overlay, the shortcut editor
and the conflict check all read one list. A user's keys for an action are stored under
`shortcuts/<name>` as a list of portable key texts (["Ctrl+K", "/"]); an empty text there
means "no key".
Canvas tools and plugin panels join at run time (`add`), from the plugin registries.
Two actions never share a key: Qt would then fire neither (an "ambiguous" shortcut).

A held key auto-repeats (about 30 presses a second on X11). Only the actions a spec marks
`repeats` (zoom, brush size: pure view) fire again while their key is held; every other
action, above all those that change data or move to another image, fires once per press.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence

from studio.plugins.specs import ToolSpec

log = logging.getLogger(__name__)

SETTINGS_GROUP = "shortcuts"
PORTABLE = QKeySequence.SequenceFormat.PortableText
NATIVE = QKeySequence.SequenceFormat.NativeText


@dataclass(frozen=True)
class ShortcutSpec:
    name: str
    title: str
    group: str
    keys: tuple[str, ...]
    repeats: bool = False  # fires again while its key is held (only for pure view actions)


def _spec(name: str, title: str, group: str, *keys: str) -> ShortcutSpec:
    return ShortcutSpec(name, title, group, keys)


def _repeating(name: str, title: str, group: str, *keys: str) -> ShortcutSpec:
    """An action that fires again and again while its key is held: zoom, brush size."""
    return ShortcutSpec(name, title, group, keys, repeats=True)


def tool_shortcut(tool: ToolSpec) -> ShortcutSpec:
    """The shortcut that chooses a canvas tool (the registry's single source of tool keys)."""
    return ShortcutSpec(f"tool_{tool.name}", tool.title, "Tools", (tool.key,) if tool.key else ())


CLASS_SLOTS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")

DEFAULT_SHORTCUTS: tuple[ShortcutSpec, ...] = (
    _spec("new_project", "New project…", "File", "Ctrl+N"),
    _spec("open", "Open project…", "File", "Ctrl+O"),
    _spec("import", "Import images…", "File", "Ctrl+I"),
    _spec("import_folder", "Import folder…", "File", "Ctrl+Shift+I"),
    _spec("relink", "Relink missing files…", "File", "Ctrl+L"),
    _spec("import_labels", "Import labels…", "File", "Ctrl+Shift+L"),
    _spec("export_labels", "Export labels…", "File", "Ctrl+Shift+E"),
    _spec("quit", "Quit", "File", "Ctrl+Q"),
    _spec("undo", "Undo", "Edit", "Ctrl+Z"),
    _spec("redo", "Redo", "Edit", "Ctrl+Shift+Z", "Ctrl+Y"),
    _spec("delete_shapes", "Delete the selected shapes", "Edit", "Delete"),
    _spec("accept_suggestions", "Accept the selected suggestions", "Edit", "Y"),
    _spec("reject_suggestions", "Reject the selected suggestions", "Edit", "Ctrl+Del"),
    _spec("sam_checkpoint", "SAM checkpoint…", "Edit", "Ctrl+Alt+S"),
    _spec("boxes_to_masks", "Selected boxes to SAM masks", "Edit", "Shift+M"),
    _spec("sam_everything", "Segment everything (SAM)…", "Edit", "Shift+S"),
    _spec("copy_previous", "Copy the previous image's annotations", "Edit", "Ctrl+Shift+V"),
    _spec("copy_shapes", "Copy the selected shapes", "Edit", "Ctrl+C"),
    _spec("paste_shapes", "Paste shapes", "Edit", "Ctrl+V"),
    _spec("bring_to_front", "Bring the selected shapes to the front", "Edit", "Ctrl+]"),
    _spec("send_to_back", "Send the selected shapes to the back", "Edit", "Ctrl+["),
    _repeating("brush_bigger", "Bigger brush", "Tools", "]"),
    _repeating("brush_smaller", "Smaller brush", "Tools", "["),
    # One degree a press, and no auto-repeat: each turn is an edit (an undo step); the rotation
    # handle is for large turns.
    _spec("turn_anticlockwise", "Turn the selected rotated boxes 1° anticlockwise", "Edit", "Z"),
    _spec("turn_clockwise", "Turn the selected rotated boxes 1° clockwise", "Edit", "X"),
    *(
        _spec(f"class_{slot}", f"Class with the key {slot}", "Classes", slot)
        for slot in CLASS_SLOTS
    ),
    _spec("class_picker", "Find a class by name…", "Classes", "Ctrl+K", "/"),
    _spec("add_class", "Add a class…", "Classes", "Ctrl+Shift+N"),
    _spec("rename_class", "Rename the active class…", "Classes", "F2"),
    _spec("recolor_class", "Recolour the active class…", "Classes", "Ctrl+Shift+C"),
    _spec("class_schema", "Attributes and keypoints of the active class…", "Classes", "Shift+F2"),
    _spec("toggle_class_visibility", "Hide or show the active class", "Classes", "H"),
    _spec("next_image", "Next image", "Navigation", "D", "Right", "PgDown"),
    _spec("previous_image", "Previous image", "Navigation", "A", "Left", "PgUp"),
    _spec("next_unlabeled", "Next new (unlabeled) image", "Navigation", "N"),
    _spec("mark_done_next", "Mark done and go to the next image", "Review", "Space"),
    _spec("mark_done", "Mark done", "Review", "Ctrl+Return"),
    _spec("mark_done_empty", "Mark done: no objects", "Review", "Shift+E"),
    _spec("mark_reviewed", "Mark reviewed", "Review", "Shift+A"),
    _spec("mark_rejected", "Reject, with a reason…", "Review", "Shift+X"),
    _spec("toggle_gallery", "Show or hide the gallery", "View", "G"),
    _spec("panel_classes", "Classes", "View", "F6"),
    _spec("panel_tags", "Image tags", "View", "F7"),
    _spec("panel_shapes", "Shapes", "View", "F8"),
    _spec("panel_train", "Train", "View", "Ctrl+Shift+M"),
    _spec("panel_runs", "Runs", "View", "Ctrl+R"),
    _spec("panel_models", "Models", "View", "Ctrl+Alt+M"),
    _spec("reset_layout", "Reset layout", "View", "Ctrl+Alt+Shift+R"),
    _repeating("thumbnails_bigger", "Bigger thumbnails", "View", "Ctrl+Alt+="),
    _repeating("thumbnails_smaller", "Smaller thumbnails", "View", "Ctrl+Alt+-"),
    _spec("fit", "Fit the image", "View", "F"),
    _spec("crosshair", "Crosshair guides while drawing", "View", "Shift+C"),
    _spec("actual_size", "Actual size (1:1)", "View", "Ctrl+1"),
    _repeating("zoom_in", "Zoom in", "View", "+", "Ctrl+="),
    _repeating("zoom_out", "Zoom out", "View", "-", "Ctrl+-"),
    _spec("duplicates", "Duplicates…", "Data", "Ctrl+Alt+D"),
    _spec("dataset_health", "Dataset health", "Data", "Ctrl+Alt+H"),
    _spec("prelabel", "Pre-label with a model…", "Data", "Ctrl+Alt+P"),
    _spec("accept_above", "Accept suggestions above a threshold…", "Data", "Ctrl+Alt+Y"),
    _spec("data_map", "Map of the data", "Data", "Ctrl+Alt+J"),
    _spec("follow_queue", "Follow the uncertainty queue", "Data", "Ctrl+Alt+Q"),
    _spec("freeze_version", "Freeze a dataset version…", "Train", "Ctrl+Alt+V"),
    _spec("delete_version", "Delete the chosen dataset version", "Train", "Ctrl+Alt+Shift+V"),
    _spec("start_training", "Start training", "Train", "F5"),
    _spec("cancel_training", "Cancel the training run", "Train", "Shift+F5"),
    _spec("resume_run", "Resume the selected run", "Train", "Ctrl+F5"),
    _spec("compare_runs", "Compare the selected runs", "Train", "Ctrl+Shift+D"),
    _spec("run_evaluation", "Evaluation of the selected run", "Train", "Ctrl+E"),
    _spec("register_model", "Register a run's checkpoint as a model…", "Models", "Ctrl+Alt+R"),
    _spec("edit_aliases", "Aliases of the selected model version…", "Models", "Ctrl+Alt+A"),
    _spec("export_model", "Export a model as a deployment bundle…", "Models", "Ctrl+Alt+X"),
    _spec("find_label_errors", "Find label errors…", "Data", "Ctrl+Alt+E"),
    _spec(
        "fix_label_error", "Fix the label error (take the suggested class)", "Data", "Ctrl+Alt+F"
    ),
    _spec("keep_label", "Keep the label the finder doubts", "Data", "Ctrl+Alt+K"),
    _spec("help", "Keyboard shortcuts", "Help", "F1", "?"),
    _spec("edit_shortcuts", "Change keyboard shortcuts…", "Help", "Ctrl+Shift+K"),
    _spec("plugins", "Plugins…", "Help", "Ctrl+Shift+P"),
)


class ShortcutConflictError(ValueError):
    """A key asked for one action is taken by another."""


def normalized(key: str | QKeySequence) -> str:
    """Portable text of a key sequence ("ctrl+k" → "Ctrl+K"); "" for an invalid one."""
    sequence = key if isinstance(key, QKeySequence) else QKeySequence(key)
    return sequence.toString(PORTABLE)


class ShortcutRegistry(QObject):
    """Names → keys (defaults, overridden by the user), and the actions bound to them."""

    changed = Signal(str)  # the name whose keys changed

    def __init__(
        self,
        settings: QSettings,
        specs: Iterable[ShortcutSpec] = DEFAULT_SHORTCUTS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._specs = {spec.name: spec for spec in specs}
        self._actions: dict[str, QAction] = {}
        self._added: set[str] = set()

    def add(self, spec: ShortcutSpec) -> ShortcutSpec:
        """Add an action that a plugin registry contributes (a canvas tool, a panel), first
        in its group after those added before it. A default key another action already has
        is left off (logged): the user can give it another in the shortcut editor."""
        taken = [key for key in spec.keys if self.owner_of(key, ignore=spec.name) is not None]
        if taken:
            log.warning("%r: the key %s is taken; it has no key", spec.name, ", ".join(taken))
            spec = ShortcutSpec(
                spec.name, spec.title, spec.group, tuple(k for k in spec.keys if k not in taken)
            )
        items = [(name, old) for name, old in self._specs.items() if name != spec.name]
        in_group = [i for i, (_, old) in enumerate(items) if old.group == spec.group]
        added = [i for i in in_group if items[i][0] in self._added]
        position = added[-1] + 1 if added else (in_group[0] if in_group else len(items))
        items.insert(position, (spec.name, spec))
        self._specs = dict(items)
        self._added.add(spec.name)
        self._apply(spec.name)
        return spec

    def remove(self, name: str) -> None:
        """Forget an added action (a closed project's plugin panel); its action goes too."""
        self._specs.pop(name, None)
        self._added.discard(name)
        self._actions.pop(name, None)

    def specs(self) -> list[ShortcutSpec]:
        return list(self._specs.values())

    def spec(self, name: str) -> ShortcutSpec:
        return self._specs[name]

    def defaults(self, name: str) -> list[str]:
        return [normalized(key) for key in self._specs[name].keys]

    def keys(self, name: str) -> list[str]:
        """The keys of `name` in portable text: the user's choice, else the defaults."""
        stored = self._settings.value(f"{SETTINGS_GROUP}/{name}")
        if stored is None:
            return self.defaults(name)
        texts = stored if isinstance(stored, list) else [str(stored)]
        return [key for key in (normalized(text) for text in texts if text) if key]

    def owner_of(self, key: str, ignore: str | None = None) -> str | None:
        """The action (other than `ignore`) that has `key`, if any."""
        wanted = normalized(key)
        for name in self._specs:
            if name != ignore and wanted in self.keys(name):
                return name
        return None

    def set_keys(self, name: str, keys: Iterable[str]) -> None:
        """Give `name` these keys; refuses (ShortcutConflictError) a key another action has."""
        chosen = list(dict.fromkeys(key for key in (normalized(k) for k in keys) if key))
        for key in chosen:
            owner = self.owner_of(key, ignore=name)
            if owner is not None:
                raise ShortcutConflictError(
                    f"{key} is already the shortcut of “{self._specs[owner].title}”"
                )
        if chosen == self.defaults(name):
            self._settings.remove(f"{SETTINGS_GROUP}/{name}")
        else:
            self._settings.setValue(f"{SETTINGS_GROUP}/{name}", chosen or [""])
        self._apply(name)
        self.changed.emit(name)

    def reset_all(self) -> None:
        self._settings.remove(SETTINGS_GROUP)
        for name in self._specs:
            self._apply(name)
            self.changed.emit(name)

    def conflicts(self) -> dict[str, list[str]]:
        """Keys held by more than one action (empty when the shortcuts are sound)."""
        holders: dict[str, list[str]] = {}
        for name in self._specs:
            for key in self.keys(name):
                holders.setdefault(key, []).append(name)
        return {key: names for key, names in holders.items() if len(names) > 1}

    def display_keys(self, name: str) -> str:
        """The keys as the platform writes them, for menus and the help overlay."""
        return ", ".join(QKeySequence(key).toString(NATIVE) for key in self.keys(name))

    # -- actions -----------------------------------------------------------------------

    def make_action(self, name: str, parent: QObject, slot: Callable[[], object]) -> QAction:
        """A QAction titled and keyed from the registry, kept up to date when keys change;
        a held key fires it once unless its spec `repeats`."""
        spec = self._specs[name]
        action = QAction(spec.title, parent)
        action.setObjectName(name)
        action.setAutoRepeat(spec.repeats)
        action.triggered.connect(slot)
        self._actions[name] = action
        self._apply(name)
        return action

    def action(self, name: str) -> QAction:
        return self._actions[name]

    def _apply(self, name: str) -> None:
        action = self._actions.get(name)
        if action is None:
            return
        action.setShortcuts([QKeySequence(key) for key in self.keys(name)])
        shown = self.display_keys(name)
        title = self._specs[name].title
        action.setToolTip(f"{title} ({shown})" if shown else title)
