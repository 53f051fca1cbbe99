"""How a reading is shown (`ui.widgets.views.show_reading`), in AppTest: a number with an unsure
digit is "Can't read that" like one unsure digit, and captions and charts give the same
figures."""

import json

from streamlit.testing.v1 import AppTest


def _page(sure):
    """Shows a two-digit reading whose digits are 68% and 90% likely, supposing each is a
    digit; `sure`: the gate says both are digits, else the first is not (a scribble)."""
    import numpy as np

    from model.inference.calibration import confidence_of
    from model.inference.predictor import Prediction, Reading
    from ui.widgets.views import show_reading

    digits = []
    for digit, top, is_digit in ((2, 0.68, 0.99 if sure else 0.001), (3, 0.9, 0.99)):
        probabilities = np.full(10, (1 - top) / 9, np.float32)
        probabilities[digit] = top
        confidence = float(confidence_of(top, is_digit))
        uncertain = confidence < 0.5
        reason = "this does not look like a digit (a scribble, a letter?)" if uncertain else None
        image = np.zeros((28, 28), np.uint8)
        digits.append(
            Prediction(digit, confidence, probabilities, image, reason, uncertain, None, is_digit)
        )
    reason = None if sure else "digit 1 of 2 (from the left): " + digits[0].reason
    show_reading(Reading("23", digits, reason), key="view")


def test_a_number_with_a_scribbled_digit_is_not_shown_as_a_number():
    app = AppTest.from_function(_page, args=(False,), default_timeout=60).run()
    assert not app.exception
    warning = app.warning[0].value
    assert warning.startswith("Can't read that as a number: digit 1 of 2 (from the left): ")
    assert "Best guess 23, but only 0% sure" in warning
    assert not [m for m in app.markdown if "predicted-digit" in m.value]  # no digits in big type
    assert not app.metric  # no "Confidence (whole number)"
    assert [c.value for c in app.caption][:2] == ["**2** · 0%", "**3** · 90%"]


def test_a_sure_numbers_captions_and_chart_agree():
    app = AppTest.from_function(_page, args=(True,), default_timeout=60).run()
    assert not app.exception and not app.warning
    # The gate (0.99: a digit) does not lower a digit's confidence.
    assert app.metric[0].value == f"{0.68 * 0.9:.1%}"
    captions = [c.value for c in app.caption][:2]
    assert captions == ["**2** · 68%", "**3** · 90%"]
    cells = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]["text"]
    assert [row[digit] for row, digit in zip(cells, (2, 3), strict=True)] == ["68%", "90%"]


def _paired_page():
    """A digit the pair reader read with its neighbour, its "Why?" opened."""
    import numpy as np

    from model.inference.predictor import Prediction
    from ui.widgets.views import show_why

    probabilities = np.full(10, 0.01, np.float32)
    probabilities[4] = 0.91
    digit = Prediction(4, 0.91, probabilities, np.zeros((28, 28), np.uint8), is_digit=0.97)
    digit.paired = True
    show_why(digit, predictor=None, key="paired")


def test_why_of_a_paired_digit_says_the_pair_reader_read_it():
    app = AppTest.from_function(_paired_page, default_timeout=60).run()
    app.toggle(key="paired_why").set_value(True).run()
    assert not app.exception, app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "pair reader read both at once" in text and "97.0% sure" in text
