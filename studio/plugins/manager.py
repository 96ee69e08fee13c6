"""Finding, loading, calling and disabling plugins: one `StudioPlugins` per process.

Where plugins come from, in the order they load:
1. Studio's default plugins (`DEFAULT_PLUGINS`): its own formats, architectures, tools, panels.
2. Installed packages that declare an entry point in the group `studio.plugins`.
3. A project's own `NAME.studio.d/plugins/` folder, only after the user trusts it
   (`studio.plugins.trust`); loaded when that project opens, unloaded when it closes.

`STUDIO_NO_PLUGINS=1` (or `studio --no-plugins`) keeps only the defaults;
`STUDIO_TRACE_PLUGINS=1` logs every hook call. A worker process loads exactly the set that was
enabled in the process that started it: `worker_environment()` writes that set to
`STUDIO_PLUGIN_SET`, which a new process reads instead of discovering.

A plugin that raises, at load or in any hook, is reported (which plugin, which hook, the
traceback in the log) and disabled until restart; the caller carries on without it. Code a
plugin contributed to a registry (a format's `read`, say) runs under `guard`, which does the same
and re-raises as `PluginError`, so a transaction around it rolls back.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pluggy

from studio.core.errors import StudioError
from studio.core.formats import registry as label_formats
from studio.core.user_config import config_dir
from studio.plugins import hookspecs
from studio.plugins.markers import PLUGIN_API_VERSION, PROJECT_NAME
from studio.plugins.trust import folder_fingerprint

log = logging.getLogger("studio.plugins")

ENTRY_POINT_GROUP = "studio.plugins"
NO_PLUGINS_ENV = "STUDIO_NO_PLUGINS"
TRACE_ENV = "STUDIO_TRACE_PLUGINS"
PLUGIN_SET_ENV = "STUDIO_PLUGIN_SET"
SETTINGS_FILE = "plugins.json"

# Studio's own registry entries, registered through the same hooks as any plugin's (as
# datasette's DEFAULT_PLUGINS). Imported by name so that this package imports nothing above core.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "studio.plugins.builtin_formats",
    "studio.plugins.builtin_assistants",
    "studio.plugins.builtin_colourings",
    "studio.ml.builtin_plugin",
)

Source = Literal["built-in", "installed", "project", "script"]
HOOK_NAMES = tuple(sorted(name for name in vars(hookspecs) if name.startswith("studio_")))


class PluginError(StudioError):
    """A plugin raised where Studio called it; the plugin is disabled until restart."""

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        self.plugin, self.hook, self.error = plugin, hook, error
        super().__init__(
            f"plugin {plugin!r} failed in {hook} and was disabled: {type(error).__name__}: {error}"
        )


@dataclass(frozen=True)
class PluginSettings:
    """What a process loads. `third_party`: installed and project plugins too (not just the
    defaults); `trace`: log every hook call; `only`: the exact set a parent process enabled
    (None: discover); `config_dir`: where the user's enabled/disabled choices live."""

    third_party: bool = True
    trace: bool = False
    only: tuple[dict[str, str], ...] | None = None
    config_dir: Path | None = None

    @classmethod
    def from_environment(cls) -> PluginSettings:
        only = os.environ.get(PLUGIN_SET_ENV)
        return cls(
            third_party=os.environ.get(NO_PLUGINS_ENV, "") in ("", "0"),
            trace=os.environ.get(TRACE_ENV, "") not in ("", "0"),
            only=tuple(json.loads(only)) if only else None,
        )


@dataclass
class PluginInfo:
    """What the Plugins dialog and `studio plugins list` show about one plugin."""

    name: str
    source: Source
    version: str = ""
    location: str = ""  # the module's file, or the distribution that installed it
    hooks: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)
    enabled: bool = True  # the user's choice, remembered
    failed: bool = False  # raised since this process started: off until restart
    api_version: int | None = None

    @property
    def active(self) -> bool:
        """Whether Studio calls it now."""
        return self.enabled and not self.failed and bool(self.hooks)


def _version_of(plugin: object) -> str:
    return str(getattr(plugin, "__version__", ""))


class StudioPlugins:
    """The process's plugins: a pluggy manager plus who came from where, errors and choices."""

    def __init__(self, settings: PluginSettings | None = None) -> None:
        self.settings = settings or PluginSettings.from_environment()
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._objects: dict[str, object] = {}
        # id(registry entry) -> (the entry, its plugin); holding the entry keeps its id unique
        self._owners: dict[int, tuple[object, str]] = {}
        self._cache: dict[str, list[Any]] = {}
        self._lock = threading.RLock()
        self._project_plugins: list[str] = []
        self._folder: tuple[Path, str] | None = None  # the loaded project folder, fingerprint
        self._disabled = set(self._read_choices().get("disabled", []))

    # -- loading -------------------------------------------------------------------------

    def load(self) -> StudioPlugins:
        """Load the defaults, then (unless turned off) installed plugins; returns self."""
        for module_name in DEFAULT_PLUGINS:
            self._load_module_named(module_name, "built-in")
        if self.settings.only is not None:
            self._load_exact_set(self.settings.only)
        elif self.settings.third_party:
            self._load_entry_points()
        return self

    def register(self, plugin: object, name: str, source: Source = "script") -> PluginInfo:
        """Register a plugin object (a module or an instance with hook methods).

        Scripts and tests use this directly; its hooks are called like any other plugin's.
        """
        with self._lock:
            return self._register(plugin, name, source, _version_of(plugin), "")

    def _load_module_named(self, module_name: str, source: Source) -> None:
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # a plugin's import may raise anything
            self._load_failed(module_name, source, module_name, error)
            return
        self._register(module, module_name, source, _version_of(module), module.__file__ or "")

    def _load_entry_points(self, names: set[str] | None = None) -> None:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if names is not None and entry_point.name not in names:
                continue
            distribution = entry_point.dist
            version = distribution.version if distribution else ""
            location = distribution.name if distribution else entry_point.value
            if entry_point.name in self._disabled:
                self._infos[entry_point.name] = PluginInfo(
                    entry_point.name, "installed", version, location, enabled=False
                )
                continue
            try:
                plugin = entry_point.load()
            except Exception as error:
                self._load_failed(entry_point.name, "installed", location, error, version)
                continue
            self._register(plugin, entry_point.name, "installed", version, location)

    def _load_exact_set(self, entries: Sequence[dict[str, str]]) -> None:
        """Load what a parent process had enabled (see `worker_environment`)."""
        installed = {entry["name"] for entry in entries if entry["source"] == "installed"}
        if installed:
            self._load_entry_points(installed)
        folders = {entry["folder"]: entry["fingerprint"] for entry in entries if "folder" in entry}
        for folder, fingerprint in folders.items():
            path = Path(folder)
            if path.is_dir() and folder_fingerprint(path) == fingerprint:
                self.load_project_folder(path)
            else:
                log.warning(
                    "project plugins in %s changed since they were trusted; not loaded", folder
                )

    def load_project_folder(self, folder: Path) -> list[PluginInfo]:
        """Load every `*.py` module and package in a project's plugin folder.

        The caller checks trust first (`TrustStore.is_trusted`): this runs the folder's code.
        Nothing loads when third-party plugins are off (`STUDIO_NO_PLUGINS`).
        """
        if not self.settings.third_party:
            log.info("plugins are off; the project plugins in %s were not loaded", folder)
            return []
        loaded = []
        for path in sorted(folder.iterdir()):
            if path.name.startswith((".", "_")):
                continue
            if path.is_dir() and (path / "__init__.py").is_file():
                path = path / "__init__.py"
            elif path.suffix != ".py":
                continue
            name = path.parent.name if path.name == "__init__.py" else path.stem
            if name in self._disabled:
                self._infos[name] = PluginInfo(name, "project", "", str(path), enabled=False)
                continue
            info = self._load_file(path, name)
            if info is not None:
                self._project_plugins.append(name)
                info.location = str(path)
                loaded.append(info)
        self._folder = (folder, folder_fingerprint(folder))
        return loaded

    def _load_file(self, path: Path, name: str) -> PluginInfo | None:
        module_name = f"studio_project_plugins.{name}"
        spec = importlib.util.spec_from_file_location(
            module_name,
            path,
            submodule_search_locations=[str(path.parent)] if path.name == "__init__.py" else None,
        )
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            sys.modules.pop(module_name, None)
            self._load_failed(name, "project", str(path), error)
            return None
        return self._register(module, name, "project", _version_of(module), str(path))

    def unload_project_plugins(self) -> None:
        """Unregister the plugins of the project that is closing."""
        with self._lock:
            for name in self._project_plugins:
                plugin = self._objects.pop(name, None)
                if plugin is not None:
                    self._pm.unregister(plugin, name)
                self._infos.pop(name, None)
                sys.modules.pop(f"studio_project_plugins.{name}", None)
            self._project_plugins.clear()
            self._folder = None
            self._changed()

    def _register(
        self, plugin: object, name: str, source: Source, version: str, location: str
    ) -> PluginInfo:
        info = PluginInfo(name, source, version, location, enabled=name not in self._disabled)
        self._infos[name] = info
        if source != "built-in":
            declared = getattr(plugin, "STUDIO_PLUGIN_API", None)
            info.api_version = declared
            if declared != PLUGIN_API_VERSION:
                found = (
                    f"declares none; it sets STUDIO_PLUGIN_API = {PLUGIN_API_VERSION} once it "
                    f"works with version {PLUGIN_API_VERSION}"
                    if declared is None
                    else f"was written for version {declared}; install a release of it "
                    f"written for version {PLUGIN_API_VERSION}"
                )
                message = (
                    f"refused: Studio offers plugin API version {PLUGIN_API_VERSION} and this "
                    f"plugin {found}"
                )
                info.errors.append(message)
                info.failed = True
                log.error("plugin %r %s", name, message)
                return info
        unknown = self._unknown_hooks(plugin)
        if unknown:
            info.errors.append(
                f"refused: no such hook {', '.join(unknown)} (see docs/plugins.md for the hooks)"
            )
            info.failed = True
            log.error("plugin %r implements unknown hooks: %s", name, ", ".join(unknown))
            return info
        try:
            self._pm.register(plugin, name)
        except Exception as error:  # pluggy's validation of hook signatures
            self._mark_failed(info, "load", error)
            return info
        self._objects[name] = plugin
        info.hooks = tuple(sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or ()))
        self._changed()
        return info

    def _unknown_hooks(self, plugin: object) -> list[str]:
        """Names that look like hooks but name none: `studio_*` attributes and `@hookimpl`
        functions (pluggy would otherwise keep a misspelt one and never call it)."""
        unknown = set()
        for attribute in dir(plugin):
            marked = self._pm.parse_hookimpl_opts(plugin, attribute) is not None
            if (marked or attribute.startswith("studio_")) and attribute not in HOOK_NAMES:
                unknown.add(attribute)
        return sorted(unknown)

    def _load_failed(
        self, name: str, source: Source, location: str, error: BaseException, version: str = ""
    ) -> None:
        info = PluginInfo(name, source, version, location, enabled=name not in self._disabled)
        self._infos[name] = info
        self._mark_failed(info, "load", error)

    # -- calling -------------------------------------------------------------------------

    def _implementations(self, hook_name: str) -> Iterator[tuple[str, Any]]:
        """(plugin name, function) of each active implementation, defaults first."""
        hook = getattr(self._pm.hook, hook_name)
        for implementation in hook.get_hookimpls():
            info = self._infos.get(implementation.plugin_name)
            if info is not None and info.enabled and not info.failed:
                yield implementation.plugin_name, implementation

    def _call_one(
        self, plugin: str, implementation: Any, hook_name: str, kwargs: dict[str, Any]
    ) -> Any:
        arguments = {name: kwargs[name] for name in implementation.argnames}
        if self.settings.trace:
            log.info("hook %s -> %s(%s)", hook_name, plugin, ", ".join(arguments))
        return implementation.function(**arguments)

    def collect(self, hook_name: str) -> list[Any]:
        """The entries every active plugin returns from a registry hook, defaults first.

        Remembered until a plugin is loaded, enabled, disabled or fails; a plugin that raises
        is reported and disabled, and the others' entries are still returned.
        """
        with self._lock:
            cached = self._cache.get(hook_name)
            if cached is not None:
                return list(cached)
            entries: list[Any] = []
            for plugin, implementation in self._implementations(hook_name):
                try:
                    result = self._call_one(plugin, implementation, hook_name, {})
                except Exception as error:
                    self._mark_failed(self._infos[plugin], hook_name, error)
                    continue
                for entry in result or ():
                    self._owners[id(entry)] = (entry, plugin)
                    entries.append(entry)
            self._cache[hook_name] = entries
            return list(entries)

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Tell every active plugin of an event; one that raises is reported and disabled."""
        for plugin, implementation in list(self._implementations(hook_name)):
            try:
                self._call_one(plugin, implementation, hook_name, kwargs)
            except Exception as error:
                self._mark_failed(self._infos[plugin], hook_name, error)

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Every active plugin's return value of a hook that takes arguments (for example
        `studio_training_callbacks`); a plugin that raises is reported and disabled."""
        results = []
        for plugin, implementation in list(self._implementations(hook_name)):
            try:
                result = self._call_one(plugin, implementation, hook_name, kwargs)
            except Exception as error:
                self._mark_failed(self._infos[plugin], hook_name, error)
                continue
            if result is not None:
                results.append(result)
        return results

    def owner(self, entry: object) -> str | None:
        """The plugin that contributed a registry entry (None: not from a registry hook)."""
        owned = self._owners.get(id(entry))
        return owned[1] if owned is not None and owned[0] is entry else None

    @contextmanager
    def guard(self, entry: object, what: str) -> Iterator[None]:
        """Run code a plugin contributed (`what`: "read", "write", "build"…).

        Studio's own errors (bad input, cancelled) pass through unchanged. Anything else
        disables the plugin and becomes a `PluginError`, so the caller's transaction rolls back.
        """
        try:
            yield
        except StudioError:
            raise
        except Exception as error:
            plugin = self.owner(entry)
            info = self._infos.get(plugin) if plugin is not None else None
            if info is None or info.source == "built-in":
                raise
            self._mark_failed(info, what, error)
            raise PluginError(plugin, what, error) from error

    def _mark_failed(self, info: PluginInfo, hook: str, error: BaseException) -> None:
        details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        log.error(
            "plugin %r failed in %s and is disabled until restart:\n%s", info.name, hook, details
        )
        info.errors.append(f"{hook}: {type(error).__name__}: {error}")
        info.failed = True
        self._changed()

    def _changed(self) -> None:
        self._cache.clear()

    # -- what users see and choose -------------------------------------------------------

    def infos(self) -> list[PluginInfo]:
        """Every plugin known to this process, defaults first, each with its state."""
        order = {"built-in": 0, "installed": 1, "project": 2, "script": 3}
        return sorted(
            (replace(info, errors=list(info.errors)) for info in self._infos.values()),
            key=lambda info: (order[info.source], info.name),
        )

    def set_enabled(self, name: str, enabled: bool) -> PluginInfo:
        """Remember the user's choice; an installed plugin disabled at start loads now."""
        with self._lock:
            info = self._infos.get(name)
            if info is None:
                raise StudioError(f"no plugin named {name!r}; see `studio plugins list`")
            if info.source == "built-in" and not enabled:
                raise StudioError(f"{name!r} is part of Studio and cannot be disabled")
            (self._disabled.discard if enabled else self._disabled.add)(name)
            self._write_choices()
            info.enabled = enabled
            loadable = name not in self._objects and not info.failed
            if enabled and loadable and info.source == "installed":
                self._load_entry_points({name})
            self._changed()
            return self._infos[name]

    def _choices_path(self) -> Path:
        return (self.settings.config_dir or config_dir()) / SETTINGS_FILE

    def _read_choices(self) -> dict[str, Any]:
        try:
            data = json.loads(self._choices_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_choices(self) -> None:
        path = self._choices_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(
            json.dumps({"disabled": sorted(self._disabled)}, indent=2), encoding="utf-8"
        )
        os.replace(partial, path)

    def worker_environment(self) -> dict[str, str]:
        """Environment variables that make a worker load exactly this process's enabled set."""
        entries: list[dict[str, str]] = []
        for info in self._infos.values():
            if info.source == "installed" and info.active:
                entries.append({"name": info.name, "source": "installed"})
        folder = self._folder
        if folder is not None and any(
            self._infos[name].active for name in self._project_plugins if name in self._infos
        ):
            entries.append(
                {
                    "name": "project",
                    "source": "project",
                    "folder": str(folder[0]),
                    "fingerprint": folder[1],
                }
            )
        environment = {PLUGIN_SET_ENV: json.dumps(entries)}
        if self.settings.trace:
            environment[TRACE_ENV] = "1"
        return environment


_process_plugins: StudioPlugins | None = None
_process_lock = threading.Lock()


def plugins() -> StudioPlugins:
    """This process's plugins, loaded on first use from the environment's settings."""
    global _process_plugins
    with _process_lock:
        if _process_plugins is None:
            _process_plugins = StudioPlugins().load()
        return _process_plugins


def use_plugins(manager: StudioPlugins | None) -> StudioPlugins | None:
    """Make `manager` this process's plugins (None: load afresh on next use); returns the
    previous one. For tests and for the CLI's `--no-plugins`."""
    global _process_plugins
    with _process_lock:
        previous, _process_plugins = _process_plugins, manager
        return previous


def _plugin_label_formats() -> list[Any]:
    return plugins().collect("studio_label_formats")


# Core cannot import this package, so its registries are pointed at the process's plugins
# here: any process that imports this module (the API, the CLI, the window) lists the formats
# of its plugins, loaded on first use, whether or not a project is open.
label_formats.use_source(_plugin_label_formats)
