"""Streamlit pieces that more than one page shows."""

import math
import re

import streamlit as st

from ui.artifacts import escape_markdown
from ui.figures import number_probabilities, probability_bars

BIG = "font-size:7rem;font-weight:700;line-height:1;letter-spacing:0.05em"


def plain_text(text):
    """Text (a file name, an error message) shown as it is where Streamlit renders Markdown:
    on one line, its Markdown, links, pictures, colours and maths escaped."""
    return escape_markdown(re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text)))


def _big(text, css_class="predicted-digit"):
    st.markdown(f"<div class='{css_class}' style='{BIG}'>{text}</div>", unsafe_allow_html=True)


def show_prediction(result, key):
    """One digit in large type, its confidence, all ten probabilities and the 28x28 model view."""
    _big(result.digit)
    st.metric("Confidence", f"{result.confidence:.1%}")
    st.plotly_chart(probability_bars(result.probabilities, result.digit), width="stretch", key=key)
    st.image(result.image28, caption="What the model saw (28×28, MNIST format)", width=140)


def show_unsure(result):
    """Says the picture could not be read, instead of guessing."""
    st.warning(
        f"Can't read that as a digit: {result.reason}. "
        f"Best guess {result.digit}, but only {result.confidence:.0%} sure. "
        "Try writing one clear digit."
    )
    st.image(result.image28, caption="What the model saw (28×28)", width=112)


def show_reading(reading, key):
    """A whole reading: one digit, or a number with a column per digit."""
    if len(reading.digits) == 1:
        result = reading.digits[0]
        if result.uncertain:
            show_unsure(result)
        else:
            show_prediction(result, key=key)
        return
    _big(reading.text)
    st.metric("Confidence (whole number)", f"{math.prod(d.confidence for d in reading.digits):.1%}")
    if reading.uncertain:
        unsure = [str(i + 1) for i, d in enumerate(reading.digits) if d.uncertain]
        st.warning(f"Not sure about digit {', '.join(unsure)} (counting from the left).")
    for column, digit in zip(st.columns(len(reading.digits)), reading.digits, strict=True):
        column.image(digit.image28, width=72)
        column.caption(f"**{digit.digit}** · {digit.confidence:.0%}")
    st.plotly_chart(
        number_probabilities([d.probabilities for d in reading.digits], reading.text),
        width="stretch",
        key=key,
    )
    st.caption("Each digit as the model saw it (28×28), and its ten probabilities.")
