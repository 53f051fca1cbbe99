"""Streamlit pieces that more than one page shows."""

import re

import numpy as np
import streamlit as st

from ui.artifacts import escape_markdown
from ui.figures import CHART_CONFIG, number_probabilities, probability_bars

BIG = "font-weight:700;line-height:1;letter-spacing:0.05em;white-space:nowrap;overflow-x:auto"
# Up to BIG_DIGITS digits are shown 7rem tall; a longer number smaller, so that it stays on one
# line in a result column (a 9-digit number wrapped into "75432" above "1007" read as two).
BIG_DIGITS = 4

# Where GitHub Markdown would start a link of its own (escaping does not stop it: it links
# the text that is left): "http://", "https://", "www." and an e-mail address's "@". An
# invisible word joiner just before each stops it, as a link must follow a space, punctuation
# or the start of the text (and an address's name must touch its "@").
_LINK_STARTS = re.compile(r"(?i)(?=https?:|www\.|@)")
WORD_JOINER = "\u2060"


def plain_text(text):
    """Text (a file name, an error message) shown as it is where Streamlit renders Markdown:
    on one line, its Markdown, links, pictures, colours and maths escaped, and no address
    made a link."""
    one_line = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text))
    return escape_markdown(_LINK_STARTS.sub(WORD_JOINER, one_line))


def big_style(text):
    """The inline style of a reading shown large: smaller the more digits, never wrapped."""
    size = 7.0 if len(text) <= BIG_DIGITS else max(2.5, 7.0 * BIG_DIGITS / len(text))
    return f"font-size:{size:.2f}rem;{BIG}"


def _big(text, marker=""):
    # `marker` says which picture this reading is of ("final", or "partial-N" while the pen
    # moves): the benchmark and the tests tell them apart by it.
    style = big_style(str(text))
    st.markdown(
        f"<div class='predicted-digit' data-reading='{marker}' style='{style}'>{text}</div>",
        unsafe_allow_html=True,
    )


def evidence_picture(image28, evidence):
    """The 28x28 view in grey with the map over it: red where the ink made the model choose
    this digit, blue where it pulled towards the runner-up; 6x larger, pixels kept square."""
    grey = np.asarray(image28, np.float32)[..., None].repeat(3, axis=2) * 0.45
    scale = float(np.abs(evidence).max()) or 1.0
    strength = np.clip(evidence / scale, -1.0, 1.0)[..., None]
    red, blue = np.array([255.0, 40, 40]), np.array([40.0, 110, 255])
    tinted = grey + np.clip(strength, 0, 1) * red * 0.8 + np.clip(-strength, 0, 1) * blue * 0.8
    picture = np.clip(tinted, 0, 255).astype(np.uint8)
    return picture.repeat(6, axis=0).repeat(6, axis=1)


def show_why(result, predictor, key):
    """ "Why this digit?": the runner-up, and an occlusion map computed when asked for."""
    if st.toggle("Why this digit?", key=f"{key}_why"):
        _explain(result, predictor)


def show_why_number(reading, predictor, key, label="Why these digits?"):
    """ "Why these digits?": the same for one digit of a number, picked by the visitor."""
    if not st.toggle(label, key=f"{key}_why"):
        return
    digits = reading.digits
    index = st.radio(
        "Which digit",
        range(len(digits)),
        format_func=lambda i: f"{i + 1}: {digits[i].digit}",
        horizontal=True,
        key=f"{key}_why_digit_{len(digits)}",  # a number of another length starts afresh
    )
    _explain(digits[index], predictor)


def _explain(result, predictor):
    from model.inference.explain import explain

    if result.paired:
        st.write(
            "This digit and its neighbour were written into each other: no cut between them "
            "read well, so the pair reader read both at once, as one picture of two digits. "
            f"Its probabilities for this one are summed over the other's; it is "
            f"{result.is_digit:.1%} sure the piece is two digits. Below: this digit's half."
        )
        st.image(result.image28, width=168)
        return
    found = explain(predictor.predict_batch, result.image28)
    st.write(
        f"Second choice: **{found.runner_up}** at {found.runner_up_probability:.1%}. "
        f"Each 6×6 patch of the model's view was blanked in turn: red marks the ink that made "
        f"it say {found.digit} rather than {found.runner_up}, blue the ink that pulled the "
        "other way."
    )
    st.image(evidence_picture(result.image28, found.evidence), width=168)


def show_prediction(result, key, predictor=None, marker=""):
    """One digit in large type, its confidence, all ten probabilities and the 28x28 model view
    (and, given the predictor, why it chose this digit). The bars are the digits' `scores`,
    so the highlighted one is the confidence shown above it."""
    _big(result.digit, marker)
    st.metric("Confidence", f"{result.confidence:.1%}")
    st.plotly_chart(
        probability_bars(result.scores, result.digit),
        width="stretch",
        key=key,
        config=CHART_CONFIG,
    )
    st.image(result.image28, caption="What the model saw (28×28, MNIST format)", width=140)
    if predictor is not None:
        show_why(result, predictor, key)


def show_unsure(reading):
    """Says the picture could not be read, instead of guessing: one digit or a whole number
    of which some digit is unsure (a scribble in two parts), the same way."""
    several = len(reading.digits) > 1
    st.warning(
        f"Can't read that as {'a number' if several else 'a digit'}: {reading.reason}. "
        f"Best guess {reading.text}, but only {reading.confidence:.0%} sure. "
        + ("Try writing each digit clearly, apart." if several else "Try writing one clear digit.")
    )
    if not several:
        st.image(reading.digits[0].image28, caption="What the model saw (28×28)", width=112)
        return
    _digit_views(reading.digits)
    st.caption("Each part as the model saw it (28×28), and how sure it is that it is that digit.")


def _digit_views(digits):
    """A column per digit: its 28x28 view and caption, the digit and its confidence."""
    for column, digit in zip(st.columns(len(digits)), digits, strict=True):
        column.image(digit.image28, width=72)
        column.caption(f"**{digit.digit}** · {digit.confidence:.0%}")


def show_reading(reading, key, predictor=None, marker=""):
    """A whole reading: one digit, or a number with a column per digit; "Can't read that"
    when any digit of it is unsure. With the predictor, it also says why each digit was
    chosen, when asked; `marker` names the picture read. Every figure shown is a digit's
    `confidence` or its `scores`: they agree."""
    if reading.uncertain:
        show_unsure(reading)
        return
    if len(reading.digits) == 1:
        show_prediction(reading.digits[0], key=key, predictor=predictor, marker=marker)
        return
    _big(reading.text, marker)
    st.metric("Confidence (whole number)", f"{reading.confidence:.1%}")
    _digit_views(reading.digits)
    st.plotly_chart(
        number_probabilities([d.scores for d in reading.digits], reading.text),
        width="stretch",
        key=key,
        config=CHART_CONFIG,
    )
    st.caption("Each digit as the model saw it (28×28), and its ten probabilities.")
    if predictor is not None:
        show_why_number(reading, predictor, key)


def show_reading_so_far(reading, seq):
    """The reading of a stroke still being drawn: the digits in large type and how sure, no
    more (a chart redrawn ten times a second would slow the pen down)."""
    _big(reading.text, marker=f"partial-{seq}")
    sure = reading.confidence
    unsure = " — not sure yet" if reading.uncertain else ""
    st.caption(f"Reading as you draw: {sure:.0%} sure{unsure}.")
