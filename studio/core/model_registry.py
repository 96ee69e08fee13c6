"""The model registry: a finished run's checkpoint under a model name, numbered 1, 2, ...

Registering copies what the model version must keep saying later (the checkpoint's sha256,
the task, the architecture, the dataset version, the evaluation figures), so evaluating or
re-recording the run afterwards never changes a registered version. Aliases (`production`,
`candidate`) are movable names for one version of a model: setting an alias that points at
another version of the same model moves it. Like runs, these rows are records, not undoable
edits: each change is one write transaction.

References ("refs") name a model version in the API, the CLI and bundles: `NAME` (the newest
version), `NAME:3` or `NAME:v3` (version 3), `NAME:latest`, `NAME:ALIAS`.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.core import runs, versions
from studio.core.database import Database
from studio.core.enums import RunStatus, Split
from studio.core.errors import ModelRegistryError, RunError
from studio.core.object_store import file_sha256
from studio.core.schema import dataset_version_table as dataset_versions
from studio.core.schema import model_alias_table as aliases
from studio.core.schema import model_version_table as model_versions
from studio.core.schema import run_table as run_rows

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# "latest" means the newest version; "3" and "v3" mean version 3: none can be an alias.
LATEST = "latest"
VERSION_PATTERN = re.compile(r"[vV]?(\d+)")
CHECKPOINT_KIND = "checkpoint"
# Evaluations whose figures a model version copies, most wanted first.
METRIC_SPLITS = (Split.TEST.value, Split.VAL.value)
LISTED_AT_MOST = 10


@dataclass(frozen=True)
class ModelVersionRecord:
    id: int
    name: str
    version: int
    run_id: int
    run_name: str
    checkpoint: str
    checkpoint_sha256: str
    task: str
    architecture: str
    dataset_version_id: int
    dataset_version_name: str
    # The numbers of the checkpoint's newest test evaluation (val when it has none), with
    # "split" naming which; empty when the checkpoint was never evaluated.
    metrics: Mapping[str, Any]
    notes: str
    author: str
    created_at: float
    aliases: tuple[str, ...]

    @property
    def ref(self) -> str:
        """The reference that names exactly this version ("digits:3")."""
        return f"{self.name}:{self.version}"

    @classmethod
    def from_row(cls, row: Mapping[str, Any], held: tuple[str, ...]) -> ModelVersionRecord:
        """From a model_version row joined with its run's and dataset version's names."""
        return cls(**{**row, "metrics": dict(row["metrics"]), "aliases": held})


# -- names -----------------------------------------------------------------------------------


def _listed(values: list[str], nothing: str) -> str:
    if not values:
        return nothing
    shown = ", ".join(values[:LISTED_AT_MOST])
    more = len(values) - LISTED_AT_MOST
    return f"{shown}, and {more} more" if more > 0 else shown


def checked_name(name: str) -> str:
    """A model name as given, or ModelRegistryError saying what a name may hold."""
    chosen = str(name).strip()
    if not NAME_PATTERN.fullmatch(chosen):
        raise ModelRegistryError(
            f"{chosen!r} is not a valid model name: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return chosen


def checked_alias(alias: str) -> str:
    """An alias as given, or ModelRegistryError: it must not look like a version or `latest`."""
    chosen = str(alias).strip()
    if not NAME_PATTERN.fullmatch(chosen):
        raise ModelRegistryError(
            f"{chosen!r} is not a valid alias: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    if chosen.lower() == LATEST or VERSION_PATTERN.fullmatch(chosen):
        raise ModelRegistryError(
            f"{chosen!r} cannot be an alias: it already means a version "
            "('latest', '3' and 'v3' are version references)"
        )
    return chosen


def default_model_name(task: str, architecture: str) -> str:
    """`<task>-<architecture>`, with any character a name cannot hold replaced by '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{task}-{architecture}").strip("-._")
    return cleaned or "model"


def _version_number(text: str | int, name: str) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    matched = VERSION_PATTERN.fullmatch(str(text).strip())
    if matched is None:
        raise ModelRegistryError(f"model {name!r}: {text!r} is not a version number")
    return int(matched.group(1))


# -- reading ---------------------------------------------------------------------------------


def _version_query() -> Any:
    return (
        select(
            model_versions,
            run_rows.c.name.label("run_name"),
            dataset_versions.c.name.label("dataset_version_name"),
        )
        .join(run_rows, run_rows.c.id == model_versions.c.run_id)
        .join(dataset_versions, dataset_versions.c.id == model_versions.c.dataset_version_id)
        .order_by(model_versions.c.name, model_versions.c.version)
    )


def _aliases_by_version(connection: Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    rows = connection.execute(
        select(aliases.c.model_version_id, aliases.c.alias)
        .where(aliases.c.model_version_id.in_(ids))
        .order_by(aliases.c.alias)
    )
    held: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        held[row.model_version_id].append(row.alias)
    return {key: tuple(values) for key, values in held.items()}


def _records(connection: Connection, query: Any) -> list[ModelVersionRecord]:
    rows = list(connection.execute(query).mappings())
    held = _aliases_by_version(connection, [row["id"] for row in rows])
    return [ModelVersionRecord.from_row(row, held.get(row["id"], ())) for row in rows]


def _by_id(connection: Connection, model_version_id: int) -> ModelVersionRecord:
    found = _records(connection, _version_query().where(model_versions.c.id == model_version_id))
    if not found:
        raise ModelRegistryError(f"unknown model version id {model_version_id!r}")
    return found[0]


def list_model_versions(
    connection: Connection, name: str | None = None
) -> list[ModelVersionRecord]:
    """Every registered version (of one model when `name` is given), by name then version."""
    query = _version_query()
    if name is not None:
        query = query.where(model_versions.c.name == str(name).strip())
    return _records(connection, query)


def model_names(connection: Connection) -> list[str]:
    """The names that have at least one version, sorted."""
    query = select(model_versions.c.name).distinct().order_by(model_versions.c.name)
    return list(connection.execute(query).scalars())


def _versions_of(connection: Connection, name: str) -> list[ModelVersionRecord]:
    found = list_model_versions(connection, name)
    if not found:
        known = _listed(model_names(connection), "none registered yet")
        raise ModelRegistryError(f"unknown model {name!r} (models: {known})")
    return found


def _what_exists(found: list[ModelVersionRecord]) -> str:
    numbers = ", ".join(str(record.version) for record in found)
    pointers = [f"{alias} → {record.version}" for record in found for alias in record.aliases]
    return f"versions: {numbers}; aliases: {_listed(sorted(pointers), 'none')}"


def _one_version(connection: Connection, name: str, version: int | str) -> ModelVersionRecord:
    found = _versions_of(connection, name)
    number = _version_number(version, name)
    for record in found:
        if record.version == number:
            return record
    raise ModelRegistryError(f"model {name!r} has no version {number} ({_what_exists(found)})")


def resolve_model(connection: Connection, ref: str | ModelVersionRecord) -> ModelVersionRecord:
    """The version `ref` names: NAME (newest), NAME:3, NAME:v3, NAME:latest or NAME:ALIAS."""
    if isinstance(ref, ModelVersionRecord):
        return _by_id(connection, ref.id)
    text = str(ref).strip()
    name, _, selector = text.partition(":")
    name, selector = name.strip(), selector.strip()
    if not name:
        raise ModelRegistryError(f"{text!r} names no model; write NAME, NAME:VERSION or NAME:ALIAS")
    found = _versions_of(connection, name)
    if not selector or selector.lower() == LATEST:
        return found[-1]
    if VERSION_PATTERN.fullmatch(selector):
        return _one_version(connection, name, selector)
    for record in found:
        if selector in record.aliases:
            return record
    raise ModelRegistryError(
        f"model {name!r} has no version or alias {selector!r} ({_what_exists(found)})"
    )


# -- registering -----------------------------------------------------------------------------


def _finished_run(connection: Connection, run: int | str) -> runs.RunRecord:
    try:
        record = runs.get_run(connection, run)
    except RunError:
        finished = [
            entry.name
            for entry in runs.list_runs(connection)
            if entry.status == RunStatus.FINISHED.value
        ]
        raise ModelRegistryError(
            f"cannot register run {run!r}: there is no such run "
            f"(finished runs: {_listed(finished, 'none')})"
        ) from None
    if record.status != RunStatus.FINISHED.value:
        raise ModelRegistryError(
            f"cannot register run {record.name!r}: its status is {record.status}; "
            "only a finished run can be registered"
        )
    return record


def _checkpoint(connection: Connection, run: runs.RunRecord, name: str) -> runs.ArtifactRecord:
    wanted = name if "." in name else f"{name}.pt"
    try:
        artifact = runs.get_artifact(connection, run.id, wanted)
    except RunError as error:
        raise ModelRegistryError(f"cannot register: {error}") from None
    if artifact.kind != CHECKPOINT_KIND:
        raise ModelRegistryError(
            f"cannot register run {run.name!r}: its file {wanted!r} is a {artifact.kind}, "
            "not a checkpoint"
        )
    return artifact


def _checked_sha256(artifact: runs.ArtifactRecord, store_dir: Path | None, run_name: str) -> str:
    """The checkpoint's sha256; with `store_dir`, the file must be there and unchanged."""
    if store_dir is None:
        return artifact.sha256
    path = Path(store_dir) / artifact.path
    if not path.is_file():
        raise ModelRegistryError(
            f"cannot register run {run_name!r}: its checkpoint {artifact.name} is missing ({path})"
        )
    actual = file_sha256(path)
    if artifact.sha256 and actual != artifact.sha256:
        raise ModelRegistryError(
            f"cannot register run {run_name!r}: {path} changed since the run recorded it "
            f"(sha256 {actual[:12]}…, recorded {artifact.sha256[:12]}…)"
        )
    return actual


def evaluation_figures(connection: Connection, run_id: int, checkpoint: str) -> dict[str, Any]:
    """The numbers of the newest test evaluation of this checkpoint (val when none), with
    "split"; {} when it was never evaluated. Nested figures (per class) are left out."""
    evaluated = runs.evaluations_of(connection, run_id)
    for split in METRIC_SPLITS:
        matching = [e for e in evaluated if e.split == split and e.checkpoint == checkpoint]
        if matching:
            numbers = {
                key: value
                for key, value in matching[-1].metrics.items()
                if isinstance(value, (int, float)) and not isinstance(value, bool)
            }
            return {"split": split, **numbers}
    return {}


def _same_registration(
    connection: Connection, name: str, run_id: int, checkpoint: str, sha256: str
) -> ModelVersionRecord | None:
    for record in list_model_versions(connection, name):
        same_file = record.checkpoint == checkpoint and record.checkpoint_sha256 == sha256
        if record.run_id == run_id and same_file:
            return record
    return None


def _next_version(connection: Connection, name: str) -> int:
    highest = connection.execute(
        select(func.max(model_versions.c.version)).where(model_versions.c.name == name)
    ).scalar_one()
    return int(highest or 0) + 1


def register_model(
    database: Database,
    run: int | str,
    *,
    name: str | None = None,
    checkpoint: str = "best.pt",
    notes: str = "",
    author: str = "",
    store_dir: Path | None = None,
) -> ModelVersionRecord:
    """Register a finished run's checkpoint as the next version of model `name`.

    The default name is `<task>-<architecture>`. With `store_dir` (the project's
    `NAME.studio.d`) the checkpoint file must exist and match the sha256 the run recorded.
    Registering the same file of the same run under the same name twice is refused.
    """
    with database.write() as connection:
        record = _finished_run(connection, run)
        artifact = _checkpoint(connection, record, checkpoint)
        chosen = (
            checked_name(name)
            if name is not None
            else default_model_name(record.task, record.model)
        )
        sha256 = _checked_sha256(artifact, store_dir, record.name)
        earlier = _same_registration(connection, chosen, record.id, artifact.name, sha256)
        if earlier is not None:
            raise ModelRegistryError(
                f"run {record.name!r}'s {artifact.name} is already registered as {earlier.ref}"
            )
        values = {
            "name": chosen,
            "version": _next_version(connection, chosen),
            "run_id": record.id,
            "checkpoint": artifact.name,
            "checkpoint_sha256": sha256,
            "task": record.task,
            "architecture": record.model,
            "dataset_version_id": record.version_id,
            "metrics": evaluation_figures(connection, record.id, artifact.name),
            "notes": notes,
            "author": author,
            "created_at": time.time(),
        }
        new_id = connection.execute(insert(model_versions).values(values)).inserted_primary_key[0]
        return _by_id(connection, new_id)


# -- aliases and deletion --------------------------------------------------------------------


def set_alias(database: Database, name: str, version: int | str, alias: str) -> ModelVersionRecord:
    """Point `alias` of model `name` at `version`, moving it from any other version."""
    chosen = checked_alias(alias)
    with database.write() as connection:
        target = _one_version(connection, str(name).strip(), version)
        statement = sqlite_insert(aliases).values(
            name=target.name, alias=chosen, model_version_id=target.id, updated_at=time.time()
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[aliases.c.name, aliases.c.alias],
                set_={
                    "model_version_id": statement.excluded.model_version_id,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
        return _by_id(connection, target.id)


def remove_alias(database: Database, name: str, alias: str) -> None:
    """Remove `alias` of model `name`; ModelRegistryError listing the aliases it has if absent."""
    with database.write() as connection:
        found = _versions_of(connection, str(name).strip())
        chosen = str(alias).strip()
        removed = connection.execute(
            delete(aliases).where(aliases.c.name == found[0].name, aliases.c.alias == chosen)
        )
        if removed.rowcount == 0:
            raise ModelRegistryError(
                f"model {found[0].name!r} has no alias {chosen!r} ({_what_exists(found)})"
            )


def delete_model_version(database: Database, name: str, version: int | str) -> None:
    """Delete one version of a model; the aliases pointing at it are removed with it.

    The run and its files stay. Version numbers come from the highest one left, so
    deleting the newest version frees its number for the next registration.
    """
    with database.write() as connection:
        target = _one_version(connection, str(name).strip(), version)
        connection.execute(delete(aliases).where(aliases.c.model_version_id == target.id))
        connection.execute(delete(model_versions).where(model_versions.c.id == target.id))


# -- lineage ---------------------------------------------------------------------------------


def _model_version_part(connection: Connection, record: ModelVersionRecord) -> dict[str, Any]:
    try:
        artifact = runs.get_artifact(connection, record.run_id, record.checkpoint)
    except RunError:
        artifact = None
    return {
        "id": record.id,
        "name": record.name,
        "version": record.version,
        "ref": record.ref,
        "aliases": list(record.aliases),
        "checkpoint": record.checkpoint,
        "checkpoint_sha256": record.checkpoint_sha256,
        # Where the checkpoint is (relative to NAME.studio.d), and whether the run's record of
        # it still has the sha256 it had when registered.
        "checkpoint_path": None if artifact is None else artifact.path,
        "checkpoint_unchanged": artifact is not None
        and artifact.sha256 == record.checkpoint_sha256,
        "task": record.task,
        "architecture": record.architecture,
        "metrics": dict(record.metrics),
        "notes": record.notes,
        "author": record.author,
        "created_at": record.created_at,
    }


def _run_part(run: runs.RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "task": run.task,
        "model": run.model,
        "status": run.status,
        "config": dict(run.config),
        "seed": run.seed,
        "device": run.device,
        "environment": dict(run.environment),
        "pretrained": run.pretrained,
        "epochs_done": run.epochs_done,
        "summary": dict(run.summary),
        "author": run.author,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def _dataset_version_part(version: versions.VersionRecord) -> dict[str, Any]:
    return {
        "id": version.id,
        "name": version.name,
        "content_hash": version.content_hash,
        "created_at": version.created_at,
        "seed": version.seed,
        "ratios": dict(version.ratios),
        "counts": dict(version.counts),
        "classes": [
            {"id": entry.id, "name": entry.name, "color": entry.color} for entry in version.classes
        ],
    }


def lineage(connection: Connection, ref: str | ModelVersionRecord) -> dict[str, Any]:
    """Where a model version came from, as JSON-ready data: the version itself, its run
    (configuration, seed, environment, status), its dataset version and the item ids of
    each split it was trained, validated and tested on."""
    record = resolve_model(connection, ref)
    run = runs.get_run(connection, record.run_id)
    version = versions.get_version(connection, record.dataset_version_id)
    return {
        "model_version": _model_version_part(connection, record),
        "run": _run_part(run),
        "dataset_version": _dataset_version_part(version),
        "items": versions.item_ids_by_split(connection, version.id),
    }
