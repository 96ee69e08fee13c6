"""Value types that plugins return from the registry hooks of the window and of assistance.

They name what a plugin contributes without importing Qt or torch, so a headless process can
list them (`studio plugins list`) and only the window builds the widgets they describe. The
label format (`studio.core.formats.LabelFormat`) and the model architecture
(`studio.ml.architectures.ArchitectureSpec`) live beside the code that uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class ToolSpec:
    """A canvas tool: the toolbar, the shortcut registry and the help overlay all read these.

    name: identifier, unique across plugins ("box").
    title: what the toolbar and help show ("Box").
    key: the single-key shortcut ("B"); users may rebind it.
    icon: an icon name from Studio's resources, or a path to an SVG/PNG file.
    factory: called with the canvas view, returns the tool object
        (a `studio.gui.canvas.tools.base.Tool`); runs in the GUI process only.
    tip: one line for the tooltip and the help overlay.
    """

    name: str
    title: str
    key: str
    icon: str
    factory: Callable[[Any], Any]
    tip: str = ""


PanelArea = Literal["left", "right", "bottom"]


@dataclass(frozen=True)
class PanelSpec:
    """A window panel (a dock): the window, its View menu and the Plugins dialog read these.

    name: identifier, unique across plugins ("class_balance").
    title: the dock's title ("Class balance").
    factory: called with the window's `PanelContext` (the open project and the window's
        signals), returns the panel's QWidget; runs in the GUI process only.
    area: where the dock opens the first time.
    key: an optional shortcut that shows or hides it ("Ctrl+Shift+B").
    """

    name: str
    title: str
    factory: Callable[[Any], Any]
    area: PanelArea = "right"
    key: str = ""


AssistantKind = Literal["pre-labeler", "interactive"]


@dataclass(frozen=True)
class AssistantSpec:
    """Model help for labeling: a pre-labeler suggests annotations for whole images; an
    interactive assistant answers prompts (points, boxes) on one image, as Segment Anything does.

    create: called once per process with no arguments; returns the assistant object. A
        pre-labeler has `suggest(image_path, classes) -> list of annotation mappings`
        (the mappings `Project.add_annotations` takes, without `item_id`); an interactive
        assistant has `answer(image_path, prompts) -> list of annotation mappings` (without
        `item_id` and `label`: the person picks the class), where `prompts` is a
        `studio.core.prompts.Prompts`: `points`, each a `Point(x, y, positive)`, and an
        optional `box` `(x, y, width, height)`, in pixels of the upright image, already
        checked to lie inside it. Answer with masks (`{"mask": rle, "source": ...}`, best
        first); `Project.answer` turns them into polygons when the caller asks for those.
    tasks: the project tasks it helps with ("detection", "segmentation", …); empty means all.
    """

    name: str
    title: str
    kind: AssistantKind
    create: Callable[[], Any]
    tasks: frozenset[str] = frozenset()
    description: str = ""
