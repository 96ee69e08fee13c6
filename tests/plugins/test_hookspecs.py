"""Meta-tests of the hook specifications: each is documented in its docstring and in
docs/plugins.md (with its exact signature), and each is implemented by a test plugin."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from studio.plugins import hookspecs
from studio.plugins.manager import HOOK_NAMES
from studio.plugins.markers import PROJECT_NAME

ROOT = Path(__file__).parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
HOOKIMPL = re.compile(r"@hookimpl(?:\([^)]*\))?\s*\n\s*def (studio_\w+)\(")


def hookspec(name: str) -> Callable[..., object]:
    return getattr(hookspecs, name)


def signature_line(name: str) -> str:
    """`def NAME(arg: Type, …) -> Return:` as the guide writes it."""
    signature = inspect.signature(hookspec(name))
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"def {name}({parameters}) -> {signature.return_annotation}:"


def implemented_hooks(files: Iterable[Path]) -> set[str]:
    """Hook names that some `@hookimpl` function in `files` implements."""
    return {name for path in files for name in HOOKIMPL.findall(path.read_text(encoding="utf-8"))}


def test_every_studio_function_of_hookspecs_is_a_hook_specification() -> None:
    assert HOOK_NAMES
    for name in HOOK_NAMES:
        assert hasattr(hookspec(name), f"{PROJECT_NAME}_spec"), name


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_has_a_docstring_saying_in_which_process(name: str) -> None:
    docstring = inspect.getdoc(hookspec(name)) or ""

    assert re.search(r"\b(process|worker)\b", docstring), f"{name}: no docstring naming its process"


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_every_hook_has_a_section_with_its_signature_in_the_plugin_guide(name: str) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    heading = f"\n### `{name}`\n"

    assert heading in guide, f"docs/plugins.md has no section {heading.strip()}"
    section = guide.split(heading, 1)[1].split("\n### ", 1)[0]
    assert f"```python\n{signature_line(name)}\n```" in section
    assert "@hookimpl" in section or "[Writing a plugin]" in section, f"{name}: no example"


def test_the_plugin_guide_documents_no_hook_that_does_not_exist() -> None:
    documented = re.findall(r"^### `(studio_\w+)`$", GUIDE.read_text(encoding="utf-8"), re.M)

    assert sorted(documented) == sorted(HOOK_NAMES)


def test_the_implementation_scan_finds_decorated_hooks_only(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "@hookimpl\ndef studio_metrics():\n    return []\n\n"
        "@hookimpl(tryfirst=True)\ndef studio_assistants():\n    return []\n\n"
        "def studio_window_panels():\n    return []\n",
        encoding="utf-8",
    )

    assert implemented_hooks([plugin]) == {"studio_metrics", "studio_assistants"}


def test_every_hook_is_implemented_by_a_plugin_that_a_test_exercises() -> None:
    """Test plugins live in tests/ (as modules or as source written to tmp); the example
    plugins in plugins/ are exercised by their own tests."""
    files = [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]

    missing = sorted(set(HOOK_NAMES) - implemented_hooks(files))

    assert not missing, f"no test plugin implements {', '.join(missing)}"
