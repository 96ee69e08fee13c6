"""How unsure a model is of an image, and a spread of the most unsure over feature space.

The active-learning queue (docs/queue.md) orders unlabeled images by these numbers, highest
first. Every measure lies in [0, 1]:

- classification, `margin`: 1 − (p₁ − p₂), the gap between the two most probable classes
  (1: a tie, 0: certain);
- classification, `entropy`: the entropy of the class probabilities divided by log(K);
- multi-label: the same per label, each label a yes/no question, averaged over labels;
- detection and segmentation: each box's score s asks "is this object there?"; its margin is
  |2s − 1| and its entropy the binary entropy of s. The boxes near s = 0.5 are the ones the
  model's threshold splits (kept at 0.5, dropped just below): the image's uncertainty is the
  mean of its `LEAST_CONFIDENT_BOXES` least confident boxes, 0 when the model found nothing.

`spread_by_features` re-orders the most uncertain items by k-center greedy over the model's
penultimate-layer features, so the top of the queue does not hold twenty near-copies of one
confusing image.

NumPy only: the worker hands model outputs in as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import numpy as np

LEAST_CONFIDENT_BOXES = 3
_TINY = 1e-12


class Strategy(str, Enum):
    MARGIN = "margin"
    ENTROPY = "entropy"


def _binary(probabilities: np.ndarray, strategy: Strategy) -> np.ndarray:
    """The uncertainty of each yes/no probability."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    if strategy is Strategy.MARGIN:
        return 1.0 - np.abs(2.0 * p - 1.0)
    q = np.clip(p, _TINY, 1.0 - _TINY)
    return -(q * np.log(q) + (1.0 - q) * np.log(1.0 - q)) / np.log(2.0)


def class_uncertainty(probabilities: np.ndarray, strategy: Strategy) -> float:
    """The uncertainty of one single-label prediction (a probability per class)."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size < 2:
        return 0.0
    if strategy is Strategy.MARGIN:
        top = np.sort(p)[-2:]
        return float(np.clip(1.0 - (top[1] - top[0]), 0.0, 1.0))
    q = np.clip(p / max(p.sum(), _TINY), _TINY, 1.0)
    return float(np.clip(-(q * np.log(q)).sum() / np.log(p.size), 0.0, 1.0))


def multilabel_uncertainty(probabilities: np.ndarray, strategy: Strategy) -> float:
    """The mean uncertainty of the labels of a multi-label prediction (a sigmoid each)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return float(_binary(p, strategy).mean()) if p.size else 0.0


def box_uncertainty(scores: Sequence[float], strategy: Strategy) -> float:
    """The mean uncertainty of an image's `LEAST_CONFIDENT_BOXES` least confident boxes."""
    if len(scores) == 0:
        return 0.0
    each = np.sort(_binary(np.asarray(scores), strategy))[::-1]
    return float(each[:LEAST_CONFIDENT_BOXES].mean())


def spread_by_features(order: Sequence[int], features: np.ndarray, pool: int) -> list[int]:
    """`order` (row numbers, most uncertain first) with its first `pool` rows re-ordered by
    k-center greedy: start from the most uncertain, then always take the row farthest (in
    cosine distance of `features`) from every row taken so far. The rest keep their order."""
    order = list(order)
    head, tail = order[:pool], order[pool:]
    if len(head) < 3:
        return order
    vectors = np.asarray(features, dtype=np.float64)[head]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), _TINY)
    nearest = 1.0 - vectors @ vectors[0]
    chosen = [0]
    nearest[0] = -np.inf
    for _ in range(len(head) - 1):
        farthest = int(np.argmax(nearest))
        chosen.append(farthest)
        nearest = np.minimum(nearest, 1.0 - vectors @ vectors[farthest])
        nearest[chosen] = -np.inf
    return [head[position] for position in chosen] + tail
