"""Active learning on the digits: the uncertainty queue against random order.

Each seed splits scikit-learn's 1,797 digits into a test set (500) and a pool (the rest),
labels 50 pool digits at random, then in rounds of 50 up to 400 labels: trains the quick
model on the labels so far, measures its test accuracy, and labels the next 50 pool digits
in queue order (the queue side) or in random order (the baseline side). Both sides start
from the same 50 digits and train the same model with the same seed.

The order is Studio's own: `studio.core.active_queue.order_queue` with its default options
(margin uncertainty, the top 200 spread by k-center greedy over the model's penultimate
features). The quick model is scikit-learn's `MLPClassifier` (one hidden layer of 64 on the
8×8 pixels; its hidden activations are the penultimate features), not the resnet18 that
Studio's trainer runs: 48 trainings of a resnet18 in worker processes would take far longer
than the few minutes a benchmark row may take on 2 CPU cores, and the order is what is
measured here, not the model.

Rows: the test accuracy of each side at each round (the two learning curves), then the area
under each curve (trapezoids over 50 → 400 labels) divided by its width, so a mean accuracy;
their ratio is the ratio of the areas: above 1, the queue learns faster.
Quick mode: one seed, 50 → 150 labels.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.harness import Measurement, Session
from studio.core.active_queue import QueueOptions, UnlabeledItem, order_queue
from studio.core.queue_cache import ModelOutputs

TEST_DIGITS = 500
FIRST_LABELS = 50
ROUND = 50
LAST_LABELS = 400
QUICK_LAST_LABELS = 150
SEEDS = 3
HIDDEN = 64
NO_BOXES = np.zeros(0, dtype=np.float32)


def _fit(images: np.ndarray, labels: np.ndarray, seed: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), max_iter=400, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(images, labels)
    return model


def _penultimate(model, images: np.ndarray) -> np.ndarray:
    """The hidden layer's activations (ReLU), the features the queue spreads over."""
    return np.maximum(images @ model.coefs_[0] + model.intercepts_[0], 0.0)


def _queue_order(model, images: np.ndarray, pool: list[int]) -> list[int]:
    """The pool's indices in the order of Studio's queue."""
    probabilities = np.zeros((len(pool), 10))
    probabilities[:, model.classes_] = model.predict_proba(images[pool])
    features = _penultimate(model, images[pool])
    candidates = [UnlabeledItem(index, str(index), str(index), 8, 8) for index in pool]
    outputs = {
        str(index): ModelOutputs(probabilities[row], NO_BOXES, features[row])
        for row, index in enumerate(pool)
    }
    entries = order_queue(candidates, outputs, "classification", QueueOptions())
    return [entry.item_id for entry in entries]


def learning_curve(
    images: np.ndarray, labels: np.ndarray, seed: int, last: int, queue: bool
) -> list[float]:
    """Test accuracy at 50, 100, … `last` labels, labeling by the queue or at random."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    test, pool = order[:TEST_DIGITS], list(order[TEST_DIGITS:])
    labeled, pool = pool[:FIRST_LABELS], pool[FIRST_LABELS:]
    accuracies = []
    while True:
        model = _fit(images[labeled], labels[labeled], seed)
        accuracies.append(float(model.score(images[test], labels[test])))
        if len(labeled) >= last:
            return accuracies
        if queue:
            chosen = _queue_order(model, images, pool)[:ROUND]
        else:
            chosen = list(rng.permutation(pool)[:ROUND])
        labeled = labeled + chosen
        taken = set(chosen)
        pool = [index for index in pool if index not in taken]


def _mean_accuracy(accuracies: list[float]) -> float:
    """The area under the learning curve (trapezoids) over its width: a mean accuracy."""
    return float(np.trapezoid(accuracies, dx=ROUND)) / (ROUND * (len(accuracies) - 1))


def run(session: Session) -> list[Measurement]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.data / 16.0, digits.target
    last = QUICK_LAST_LABELS if session.quick else LAST_LABELS
    seeds = [session.seed + offset for offset in range(1 if session.quick else SEEDS)]
    with session.studio_side("queue"):
        queue = np.mean([learning_curve(images, labels, s, last, True) for s in seeds], axis=0)
    random = np.mean([learning_curve(images, labels, s, last, False) for s in seeds], axis=0)
    seeds_text = "1 seed" if len(seeds) == 1 else f"{len(seeds)} seeds"
    name = f"active learning on the digits ({seeds_text}, MLP, queue vs random)"
    rows = [
        Measurement(
            benchmark=name,
            metric=f"test accuracy at {FIRST_LABELS + ROUND * step} labels",
            unit="accuracy",
            studio=float(queue[step]),
            baseline=float(random[step]),
            higher_is_better=True,
        )
        for step in range(len(queue))
    ]
    rows.append(
        Measurement(
            benchmark=name,
            metric=f"area under the learning curve ÷ its width, {FIRST_LABELS} → {last} labels",
            unit="accuracy",
            studio=_mean_accuracy(list(queue)),
            baseline=_mean_accuracy(list(random)),
            higher_is_better=True,
            target=1.0,
            note="queue: Studio's order_queue, margin + k-center spread; baseline: random",
        )
    )
    return rows
