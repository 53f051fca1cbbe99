""" "Why this digit?": the occlusion map, on pictures where the answer is known."""

import numpy as np
from strokes import draw_digit

from model.inference.explain import explain
from model.inference.preprocess import to_mnist
from ui.widgets.canvas import Drawing


def _top_left_decides(images):
    """A fake model: digit 3 as sure as the top-left quadrant is inked, else 8."""
    images = np.asarray(images, dtype=np.float32)
    share = images[:, :14, :14].sum(axis=(1, 2)) / (36 * 255)
    probabilities = np.zeros((len(images), 10), np.float32)
    probabilities[:, 3] = 0.5 + 0.4 * share
    probabilities[:, 8] = 0.5 - 0.4 * share
    return probabilities


def test_only_the_ink_the_model_looks_at_gets_weight():
    image = np.zeros((28, 28), np.uint8)
    image[4:10, 4:10] = 255  # ink the fake model reads
    image[18:24, 18:24] = 255  # ink it ignores
    found = explain(_top_left_decides, image)
    assert (found.digit, found.runner_up) == (3, 8)
    assert found.evidence[4:10, 4:10].min() > 0
    assert np.abs(found.evidence[20:22, 20:22]).max() == 0  # blanking it changes nothing
    assert found.margin > 0 and found.runner_up_probability < 0.5


def test_blank_parts_of_a_real_reading_get_no_weight(predictor):
    image28, _ = to_mnist(draw_digit(7))
    found = explain(predictor.predict_batch, image28)
    assert found.digit == 7 and found.runner_up != 7
    assert 0 <= found.runner_up_probability <= 1 - found.margin
    # Away from every patch that touches ink, the map is exactly zero.
    ink = image28 > 0
    near = np.zeros_like(ink)
    for top, left in zip(*np.nonzero(ink), strict=True):
        near[max(0, top - 5) : top + 6, max(0, left - 5) : left + 6] = True
    assert not np.any(found.evidence[~near])
    # The map agrees with the model: blanking the patch it marks most lowers the margin.
    top, left = np.unravel_index(np.argmax(found.evidence), found.evidence.shape)
    blanked = image28.copy()
    blanked[max(0, top - 2) : top + 4, max(0, left - 2) : left + 4] = 0
    after = predictor.predict_batch(blanked[None])[0]
    assert after[found.digit] - after[found.runner_up] < found.margin


def test_the_draw_page_says_why_when_asked(monkeypatch):

    from streamlit.testing.v1 import AppTest
    from support import ROOT

    image = draw_digit(7, canvas_size=360)
    monkeypatch.setattr(
        "ui.widgets.canvas.draw_canvas", lambda *arguments, **options: Drawing(image, None)
    )
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not any("Second choice" in block.value for block in app.markdown)  # not computed
    app.toggle(key="draw_probabilities_why").set_value(True).run()
    assert not app.exception
    (said,) = [block.value for block in app.markdown if "Second choice" in block.value]
    assert "rather than" in said and "say 7" in said
    assert len(app.get("image")) >= 2  # the model's view and the map over it


def test_the_draw_page_says_why_for_each_digit_of_a_number(monkeypatch):

    from streamlit.testing.v1 import AppTest
    from strokes import draw_number
    from support import ROOT

    image = np.pad(draw_number((4, 7), size=300), ((30, 30), (10, 10), (0, 0)), constant_values=255)
    monkeypatch.setattr(
        "ui.widgets.canvas.draw_canvas", lambda *arguments, **options: Drawing(image, None)
    )
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception
    app.toggle(key="draw_probabilities_why").set_value(True).run()
    (said,) = [block.value for block in app.markdown if "Second choice" in block.value]
    assert "say 4" in said  # the first digit, until another is picked
    app.radio(key="draw_probabilities_why_digit_2").set_value(1).run()
    assert not app.exception
    (said,) = [block.value for block in app.markdown if "Second choice" in block.value]
    assert "say 7" in said
