"""What an assistant plugin needs, in one public place.

An interactive assistant (`AssistantSpec`, kind "interactive") answers `Prompts` (`Point`s and
a box) on one image with masks (`encode_mask`). One that runs an image encoder keeps its
embeddings in Studio's shared embedding cache (`EmbeddingCache`, keyed by `EmbeddingKey`: image
sha256, checkpoint sha256, input size), so they are bounded by the user's cache limit and
evicted with Studio's own. A plugin's own settings file lives in `config_dir()`.

These live in `studio.core`; a plugin imports them from here, so the core modules can move
without breaking plugins.
"""

from studio.core.embedding_cache import (
    CachedEmbedding,
    EmbeddingCache,
    EmbeddingCacheError,
    EmbeddingKey,
    EmbeddingMeta,
)
from studio.core.errors import StudioError
from studio.core.geometry import decode_mask, encode_mask
from studio.core.object_store import file_sha256
from studio.core.prompts import Point, PromptError, Prompts
from studio.core.user_config import config_dir
from studio.plugins.specs import AssistantSpec

__all__ = [
    "AssistantSpec",
    "CachedEmbedding",
    "EmbeddingCache",
    "EmbeddingCacheError",
    "EmbeddingKey",
    "EmbeddingMeta",
    "Point",
    "PromptError",
    "Prompts",
    "StudioError",
    "config_dir",
    "decode_mask",
    "encode_mask",
    "file_sha256",
]
