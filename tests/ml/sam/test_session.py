from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.ml.sam.decoder_export import predictor_with_embedding
from studio.ml.sam.embedding import ImageEmbedding
from studio.ml.sam.errors import SamError
from studio.ml.sam.onnx_decoder import OnnxPromptDecoder
from studio.ml.sam.session import PromptSession

HEIGHT, WIDTH = 96, 128  # the photograph's size (tests/ml/sam/conftest.py)


@pytest.fixture(scope="module")
def decoder(tiny_decoder: Path) -> OnnxPromptDecoder:
    return OnnxPromptDecoder(tiny_decoder)


@pytest.fixture
def session(decoder: OnnxPromptDecoder, photograph_embedding: ImageEmbedding) -> PromptSession:
    return PromptSession(decoder, photograph_embedding)


def test_a_single_click_gets_three_masks_and_the_best_is_chosen(session: PromptSession) -> None:
    answer = session.add_point(64, 40)
    assert answer.masks.shape == (3, HEIGHT, WIDTH)
    assert session.chosen == answer.best
    np.testing.assert_array_equal(session.result(), answer.masks[answer.best])


def test_a_second_click_gets_a_single_mask(session: PromptSession) -> None:
    session.add_point(64, 40)
    answer = session.add_point(20, 80, positive=False)
    assert answer.masks.shape == (1, HEIGHT, WIDTH)
    assert session.chosen == 0


def test_refining_a_chosen_mask_matches_sam_predictor(
    tiny_sam: tuple, session: PromptSession, photograph_embedding: ImageEmbedding
) -> None:
    first = session.add_point(64, 40)
    other = (first.best + 1) % 3  # not the default choice, so the choice must travel
    session.choose(other)
    refined = session.add_point(90, 30, positive=False)

    predictor = predictor_with_embedding(tiny_sam[0], photograph_embedding)
    _masks, _scores, low_res = predictor.predict(np.array([[64.0, 40.0]]), np.array([1]))
    expected, expected_scores, _ = predictor.predict(
        np.array([[64.0, 40.0], [90.0, 30.0]]),
        np.array([1, 0]),
        mask_input=low_res[other][None],
        multimask_output=False,
    )
    assert np.mean(refined.masks != expected) <= 1e-3
    np.testing.assert_allclose(refined.scores, expected_scores, atol=1e-4)


def test_a_box_alone_gets_the_single_mask_sam_predictor_gives(
    tiny_sam: tuple, session: PromptSession, photograph_embedding: ImageEmbedding
) -> None:
    answer = session.set_box((30, 10, 100, 90))
    predictor = predictor_with_embedding(tiny_sam[0], photograph_embedding)
    expected, _, _ = predictor.predict(box=np.array([30.0, 10, 100, 90]), multimask_output=False)
    assert answer.masks.shape == (1, HEIGHT, WIDTH)
    assert np.mean(answer.masks != expected) <= 1e-3


def test_box_and_clicks_are_kept_together(session: PromptSession) -> None:
    session.set_box((30, 10, 100, 90))
    session.add_point(64, 40)
    assert session.prompts["box_corners"] == [30.0, 10.0, 100.0, 90.0]
    assert session.prompts["points"] == [[64.0, 40.0, 1]]
    session.set_box(None)
    assert session.prompts["box_corners"] is None


def test_preview_changes_nothing_kept(session: PromptSession) -> None:
    session.add_point(64, 40)
    before, result = session.prompts, session.result().copy()
    session.preview(90, 30)
    session.preview(10, 10, positive=False)
    assert session.prompts == before
    np.testing.assert_array_equal(session.result(), result)


def test_preview_shows_what_the_click_will_keep(session: PromptSession) -> None:
    session.add_point(64, 40)
    previewed = session.preview(90, 30)
    kept = session.add_point(90, 30)
    np.testing.assert_array_equal(previewed.masks, kept.masks)


def test_undo_steps_back_to_empty(session: PromptSession) -> None:
    first = session.add_point(64, 40)
    session.set_box((30, 10, 100, 90))
    session.add_point(20, 80, positive=False)
    assert session.undo() is not None
    assert session.undo() is first
    assert session.prompts["points"] == [[64.0, 40.0, 1]]
    assert session.undo() is None
    assert session.undo() is None
    assert session.prompts == {"points": [], "box_corners": None, "mask": 0}
    assert not session.result().any()
    assert session.result().shape == (HEIGHT, WIDTH)


def test_undo_keeps_the_mask_chosen_before(session: PromptSession) -> None:
    first = session.add_point(64, 40)
    session.choose((first.best + 1) % 3)
    session.add_point(90, 30)
    session.undo()
    assert session.chosen == (first.best + 1) % 3


def test_prompts_round_trip_through_json(
    session: PromptSession, decoder: OnnxPromptDecoder, photograph_embedding: ImageEmbedding
) -> None:
    first = session.add_point(64.5, 40.25)
    session.choose((first.best + 2) % 3)
    session.add_point(20, 80, positive=False)
    stored = json.loads(json.dumps(session.prompts))
    assert stored == session.prompts

    replayed = PromptSession(decoder, photograph_embedding)
    (x, y, label), *others = stored["points"]
    replayed.add_point(x, y, positive=bool(label))
    replayed.choose((first.best + 2) % 3)
    for x, y, label in others:
        replayed.add_point(x, y, positive=bool(label))
    np.testing.assert_array_equal(replayed.result(), session.result())


def test_choosing_a_mask_that_does_not_exist_is_refused(session: PromptSession) -> None:
    with pytest.raises(SamError, match="no answer"):
        session.choose(0)
    session.add_point(64, 40)
    session.add_point(90, 30)
    with pytest.raises(SamError, match="mask 1 does not exist; choose 0 to 0"):
        session.choose(1)


@pytest.mark.parametrize(
    "bad", [(WIDTH + 1, 10), (-1, 10), (10, float("nan"))], ids=["right", "left", "nan"]
)
def test_a_point_outside_the_image_is_refused_and_changes_nothing(
    session: PromptSession, bad: tuple[float, float]
) -> None:
    session.add_point(64, 40)
    before = session.prompts
    with pytest.raises(SamError, match=f"outside the {WIDTH}×{HEIGHT} image"):
        session.add_point(*bad)
    assert session.prompts == before


@pytest.mark.parametrize("box", [(50, 10, 40, 90), (0, 0, WIDTH + 5, 10), (1, 2, 3)])
def test_a_box_that_is_not_inside_the_image_is_refused(session: PromptSession, box: tuple) -> None:
    with pytest.raises(SamError, match="is not x0, y0, x1, y1 corners"):
        session.set_box(box)
    assert session.undo() is None


def test_removing_the_only_prompt_by_box_is_refused(session: PromptSession) -> None:
    with pytest.raises(SamError, match="nothing to segment"):
        session.set_box(None)


def test_session_imports_no_torch(tiny_decoder: Path) -> None:
    script = (
        "import sys, numpy as np\n"
        "from studio.ml.sam.onnx_decoder import OnnxPromptDecoder\n"
        "from studio.ml.sam.embedding import ImageEmbedding\n"
        "from studio.ml.sam.session import PromptSession\n"
        "embedding = ImageEmbedding(np.zeros((1, 32, 8, 8), np.float16), (50, 70), (91, 128))\n"
        f"session = PromptSession(OnnxPromptDecoder({str(tiny_decoder)!r}), embedding)\n"
        "session.add_point(10, 10); session.preview(20, 20)\n"
        "heavy = ('torch', 'segment_anything', 'PySide6')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
