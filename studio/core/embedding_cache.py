"""An on-disk cache of image embeddings (Segment Anything's encoder output, and the map of the
data's image features), shared by processes.

An embedding is what an image encoder made of one image with one checkpoint at one input
size, so it is keyed by those three (`EmbeddingKey`): a moved or renamed image, or another
project holding the same image, finds the same entry. Entries live in the user's cache folder
(`cache_dir() / "embeddings"`, like thumbnails), so read-only projects work too:

    embeddings/ab/<image sha256>-<checkpoint sha256>-<input size>.emb

One file per entry holds everything: a magic line, a JSON header (the key, the `EmbeddingMeta`
and the names of the arrays) and each array in NumPy's `.npy` format, as float16 (a ViT-B
embedding, 1×256×64×64, is 2 MiB). One file means one rename publishes the whole entry.

Safe against a crash and shared by processes (the GUI reads while a worker writes): a writer
writes a hidden temporary file in the same folder (`.<name>.<pid>.<random>.partial`), fsyncs
it and renames it over the entry's name, so a reader sees the old entry or the new one, never
half of one; two writers of one key both rename a whole file and the last one wins. A killed
writer's temporary file is never read, and the next eviction deletes it once its process is
gone. A file that is not a valid entry is a miss, never an error.

Least recently used goes first: `put` and `get` set the entry's modification time explicitly
(not relying on the file system's atime options), and every `put` ends with `evict_to(limit)`,
which deletes the oldest entries until the total is under the limit. The limit is a user
setting (`embedding_cache_limit`): `$STUDIO_EMBEDDING_CACHE_LIMIT`, else the config folder's
`embedding-cache.json`, else 2 GiB.

NumPy only: no torch, no Qt. The encoder (a worker) hands arrays in and the canvas takes them
out; neither needs to know the file format.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import struct
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from studio.core.errors import StudioError
from studio.core.object_store import fsync_directory, write_atomically
from studio.core.processes import pid_alive
from studio.core.thumbnails import cache_dir
from studio.core.user_config import config_dir

log = logging.getLogger(__name__)

LIMIT_ENV = "STUDIO_EMBEDDING_CACHE_LIMIT"
LIMIT_FILE = "embedding-cache.json"  # in the user's config folder: {"limit": "2GiB"}
DEFAULT_LIMIT_BYTES = 2 * 1024**3
FOLDER_NAME = "embeddings"
ENTRY_SUFFIX = ".emb"
PARTIAL_SUFFIX = ".partial"
MAGIC = b"STUDIO-EMBEDDING 1\n"
_HEADER_LENGTH = struct.Struct("<I")
MAIN_ARRAY = "embedding"
# A temporary file whose writer still runs is left alone, unless it is older than this (its
# pid was reused by another process after the writer was killed).
STALE_PARTIAL_S = 3600.0
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([kmgt]i?b|b)?\s*", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


class EmbeddingCacheError(StudioError):
    """The cache's limit setting or an array handed to it is unusable; the message says which."""


@dataclass(frozen=True)
class EmbeddingKey:
    """What an embedding depends on: the image's content, the checkpoint's content and the
    encoder's input size (the side of its square input, 1024 for the official SAM models)."""

    image_sha256: str
    checkpoint_sha256: str
    input_size: int

    def __post_init__(self) -> None:
        for name in ("image_sha256", "checkpoint_sha256"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _SHA256.fullmatch(value):
                raise ValueError(f"{name} is not a lower-case sha256 hex digest: {value!r}")
        if isinstance(self.input_size, bool) or not isinstance(self.input_size, int):
            raise ValueError(f"input_size must be an int, not {self.input_size!r}")
        if self.input_size <= 0:
            raise ValueError(f"input_size must be positive, not {self.input_size}")

    @property
    def file_name(self) -> str:
        return f"{self.image_sha256}-{self.checkpoint_sha256}-{self.input_size}{ENTRY_SUFFIX}"

    def as_json(self) -> dict[str, Any]:
        return {
            "image_sha256": self.image_sha256,
            "checkpoint_sha256": self.checkpoint_sha256,
            "input_size": self.input_size,
        }


@dataclass(frozen=True)
class EmbeddingMeta:
    """What a decoder needs besides the array to map its masks back onto the image.

    `original_size` is the image's (height, width); `resized_size` its (height, width) once
    scaled so its long side is the key's input size, before padding (what segment-anything's
    `SamPredictor` calls `input_size`); `model_kind` names the model ("vit_b", "vit_h",
    "custom", "sam2.1_hiera_tiny"…).
    """

    original_size: tuple[int, int]
    resized_size: tuple[int, int]
    model_kind: str

    def as_json(self) -> dict[str, Any]:
        return {
            "original_size": list(self.original_size),
            "resized_size": list(self.resized_size),
            "model_kind": self.model_kind,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EmbeddingMeta:
        """The meta of a stored header; ValueError when a field is missing or mistyped."""
        try:
            original = tuple(int(side) for side in data["original_size"])
            resized = tuple(int(side) for side in data["resized_size"])
            kind = data["model_kind"]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"bad meta {dict(data)!r}: {error}") from None
        if len(original) != 2 or len(resized) != 2 or not isinstance(kind, str):
            raise ValueError(f"bad meta {dict(data)!r}")
        return cls(original, resized, kind)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CachedEmbedding:
    """One cache entry as read: the embedding (float16), its meta, and any further arrays the
    model needs (SAM 2's high-resolution features, say), by name, float16 too."""

    array: np.ndarray
    meta: EmbeddingMeta
    extra_arrays: Mapping[str, np.ndarray] = field(default_factory=dict)


def parse_size(text: str | int) -> int:
    """Bytes from an int or a string such as "2147483648", "500MB" (10⁶) or "2GiB" (2³⁰).

    ValueError when it is not a size; 0 is one (a cache that keeps nothing).
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"{text} is negative")
        return text
    match = _SIZE.fullmatch(str(text))
    if match is None:
        raise ValueError(f"{text!r} is not a size (write bytes, or e.g. 500MB or 2GiB)")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "b").lower()])


def embedding_cache_limit() -> int:
    """The user's size limit of the embedding cache, in bytes.

    `$STUDIO_EMBEDDING_CACHE_LIMIT` when set (bytes or "500MB", "2GiB"), else the `limit` of
    `embedding-cache.json` in the user's config folder (written by `set_embedding_cache_limit`),
    else `DEFAULT_LIMIT_BYTES` (2 GiB). An unusable value raises EmbeddingCacheError naming
    where it came from.
    """
    override = os.environ.get(LIMIT_ENV)
    if override is not None:
        try:
            return parse_size(override)
        except ValueError as error:
            raise EmbeddingCacheError(f"${LIMIT_ENV}: {error}") from None
    path = config_dir() / LIMIT_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DEFAULT_LIMIT_BYTES
    except (OSError, ValueError) as error:
        raise EmbeddingCacheError(f"{path}: unreadable ({error})") from None
    if not isinstance(stored, dict) or "limit" not in stored:
        raise EmbeddingCacheError(f'{path}: expected {{"limit": SIZE}}, found {stored!r}')
    try:
        return parse_size(stored["limit"])
    except ValueError as error:
        raise EmbeddingCacheError(f"{path}: limit {error}") from None


def set_embedding_cache_limit(limit: int | str) -> int:
    """Remember `limit` (bytes or "500MB"…) as the user's cache limit; returns it in bytes.

    `$STUDIO_EMBEDDING_CACHE_LIMIT`, when set, still wins over what is stored here.
    """
    try:
        size = parse_size(limit)
    except ValueError as error:
        raise EmbeddingCacheError(f"embedding cache limit: {error}") from None
    document = json.dumps({"limit": size}).encode("utf-8")
    path = config_dir() / LIMIT_FILE
    try:
        write_atomically(path, lambda out: out.write(document))
    except OSError as error:
        raise EmbeddingCacheError(f"cannot write {path}: {error}") from None
    return size


def _as_float16(name: str, array: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # overflow is reported below, naming the array
        half = np.ascontiguousarray(array, dtype=np.float16)
    if not np.isfinite(half).all():
        raise EmbeddingCacheError(
            f"embedding array {name!r} has values that are not finite as float16 "
            f"(float16 holds up to ±65504)"
        )
    return half


def _write_entry(
    stream: BinaryIO,
    key: EmbeddingKey,
    meta: EmbeddingMeta,
    arrays: Mapping[str, np.ndarray],
) -> None:
    header = json.dumps(
        {"key": key.as_json(), "meta": meta.as_json(), "arrays": list(arrays)}
    ).encode("utf-8")
    stream.write(MAGIC + _HEADER_LENGTH.pack(len(header)) + header)
    for array in arrays.values():
        np.lib.format.write_array(stream, array, allow_pickle=False)


def _read_entry(stream: BinaryIO, key: EmbeddingKey) -> CachedEmbedding:
    """The entry in `stream`; ValueError when it is not a whole entry for `key`."""
    if stream.read(len(MAGIC)) != MAGIC:
        raise ValueError("not an embedding file")
    (length,) = _HEADER_LENGTH.unpack(stream.read(_HEADER_LENGTH.size))
    header = json.loads(stream.read(length).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    if header.get("key") != key.as_json():
        raise ValueError(f"holds the embedding of {header.get('key')}")
    meta = EmbeddingMeta.from_json(header["meta"])
    names = header["arrays"]
    if not names or names[0] != MAIN_ARRAY:
        raise ValueError(f"arrays {names!r} do not start with {MAIN_ARRAY!r}")
    arrays = {name: np.lib.format.read_array(stream, allow_pickle=False) for name in names}
    if any(array.dtype != np.float16 for array in arrays.values()):
        raise ValueError("an array is not float16")
    main = arrays.pop(MAIN_ARRAY)
    return CachedEmbedding(main, meta, arrays)


def _touch(path: Path) -> None:
    """Mark `path` as used now, to the nanosecond (file systems' own stamps are coarser)."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    used_ns: int


class EmbeddingCache:
    """Embeddings on disk under `directory` (by default `cache_dir() / "embeddings"`), kept
    under `limit_bytes` (by default the user's `embedding_cache_limit()`).

    Any number of processes may use one folder at once; see the module doc for why that is
    safe. Reading is cheap (one open, one `fromfile` per array); writing fsyncs.
    """

    def __init__(self, directory: Path | None = None, limit_bytes: int | None = None) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir() / FOLDER_NAME
        self.limit_bytes = embedding_cache_limit() if limit_bytes is None else limit_bytes
        if self.limit_bytes < 0:
            raise ValueError(f"limit_bytes must not be negative, not {self.limit_bytes}")

    def path_of(self, key: EmbeddingKey) -> Path:
        """Where the entry of `key` lives (whether or not it exists)."""
        return self.directory / key.image_sha256[:2] / key.file_name

    def get(self, key: EmbeddingKey) -> CachedEmbedding | None:
        """The cached embedding of `key`, or None; a hit marks the entry as just used.

        An entry that cannot be read whole (damaged from outside, or another version's) is a
        miss; the next `put` of the key replaces it.
        """
        path = self.path_of(key)
        try:
            with open(path, "rb") as stream:
                entry = _read_entry(stream, key)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, struct.error) as error:
            log.warning(
                "embedding cache: %s is not a usable entry (%s); treated as missing", path, error
            )
            return None
        # Evicted meanwhile, or a read-only cache: the entry read is whole all the same.
        with contextlib.suppress(OSError):
            _touch(path)
        return entry

    def contains(self, key: EmbeddingKey) -> bool:
        """Whether an entry for `key` is on disk (not read, and not counted as a use)."""
        return self.path_of(key).is_file()

    def put(
        self,
        key: EmbeddingKey,
        array: np.ndarray,
        meta: EmbeddingMeta,
        extra_arrays: Mapping[str, np.ndarray] | None = None,
    ) -> Path:
        """Store `array` (and `extra_arrays`) as float16 under `key`, replacing any entry of it,
        then evict down to the limit (an entry larger than the limit goes at once). Returns
        the entry's path.

        Raises EmbeddingCacheError, naming the array or the file, when an array is not finite
        as float16 or the folder cannot be written; the cache is unchanged either way.
        """
        target = self._store(key, array, meta, extra_arrays)
        self.evict_to(self.limit_bytes)
        return target

    def put_many(
        self, entries: Iterable[tuple[EmbeddingKey, np.ndarray, EmbeddingMeta]]
    ) -> list[Path]:
        """`put` for many small entries (the map's image features): each is published as
        `put` does, and the folder is scanned for eviction once at the end, not once per entry."""
        targets = [self._store(key, array, meta, None) for key, array, meta in entries]
        self.evict_to(self.limit_bytes)
        return targets

    def _store(
        self,
        key: EmbeddingKey,
        array: np.ndarray,
        meta: EmbeddingMeta,
        extra_arrays: Mapping[str, np.ndarray] | None,
    ) -> Path:
        arrays = {MAIN_ARRAY: _as_float16(MAIN_ARRAY, array)}
        for name, extra in (extra_arrays or {}).items():
            if name in arrays:
                raise ValueError(f"extra array name {name!r} is taken")
            arrays[name] = _as_float16(name, extra)
        target = self.path_of(key)
        try:
            self._publish(target, key, meta, arrays)
        except OSError as error:
            raise EmbeddingCacheError(f"cannot write the embedding {target}: {error}") from None
        return target

    @staticmethod
    def _publish(
        target: Path, key: EmbeddingKey, meta: EmbeddingMeta, arrays: Mapping[str, np.ndarray]
    ) -> None:
        """Write the entry beside `target`, fsync it and rename it over `target`."""
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.parent / (
            f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}"
        )
        try:
            with open(partial, "xb") as stream:
                _write_entry(stream, key, meta, arrays)
                stream.flush()
                os.fsync(stream.fileno())
            _touch(partial)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        fsync_directory(target.parent)

    def _entries(self) -> Iterator[_Entry]:
        for path in self.directory.glob(f"??/*{ENTRY_SUFFIX}"):
            try:
                status = path.stat()
            except FileNotFoundError:
                continue  # evicted by another process meanwhile
            yield _Entry(path, status.st_size, status.st_mtime_ns)

    def size_bytes(self) -> int:
        """The total size of the entries on disk (temporary files of writers not counted)."""
        return sum(entry.size for entry in self._entries())

    def evict_to(self, limit_bytes: int) -> int:
        """Delete least recently used entries until the rest total at most `limit_bytes`, and
        the temporary files of killed writers; returns the bytes of entries deleted."""
        self._remove_leftovers()
        entries = sorted(self._entries(), key=lambda entry: (entry.used_ns, entry.path.name))
        total = sum(entry.size for entry in entries)
        freed = 0
        for entry in entries:
            if total <= limit_bytes:
                break
            entry.path.unlink(missing_ok=True)
            total -= entry.size
            freed += entry.size
        return freed

    def clear(self) -> None:
        """Delete every entry (and killed writers' temporary files)."""
        self.evict_to(0)

    def _remove_leftovers(self) -> None:
        """Delete the temporary files of writers that were killed before their rename."""
        stale_before = time.time() - STALE_PARTIAL_S
        for path in self.directory.glob(f"??/.*{PARTIAL_SUFFIX}"):
            try:
                writer_alive = pid_alive(int(path.name.rsplit(".", 3)[1]))
            except (IndexError, ValueError):
                writer_alive = True  # no pid in the name: judged by age alone
            try:
                if writer_alive and path.stat().st_mtime > stale_before:
                    continue
                path.unlink()
            except FileNotFoundError:
                continue
