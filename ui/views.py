"""Streamlit pieces that more than one page shows."""

import streamlit as st

from ui.figures import probability_bars


def show_prediction(result, key):
    """The digit in large type, its confidence, all ten probabilities and the 28x28 model view."""
    st.markdown(
        f"<div class='predicted-digit' style='font-size:7rem;font-weight:700;line-height:1'>"
        f"{result.digit}</div>",
        unsafe_allow_html=True,
    )
    st.metric("Confidence", f"{result.confidence:.1%}")
    st.plotly_chart(probability_bars(result.probabilities, result.digit), width="stretch", key=key)
    st.image(result.image28, caption="What the model saw (28×28, MNIST format)", width=140)
