"""Streamlit pieces that more than one page shows."""

import cv2
import streamlit as st

from model.image_io import load_image
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


def preview(data, longest_side=1000):
    """An image file's pixels for display (EXIF-rotated, shrunk so a phone photo loads fast)."""
    image = load_image(data)
    scale = longest_side / max(image.shape[:2])
    if scale < 1:
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return image
