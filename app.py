"""Draw a digit: the recognizer reads it as soon as the stroke ends."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from ui.loaders import load_predictor
from ui.views import show_prediction

st.set_page_config(page_title="Digit recognizer", page_icon="✍️", layout="wide")
st.title("✍️ Draw a digit")
st.caption("Draw one digit, 0 to 9, with your mouse or finger. Use the toolbar to undo or clear.")

predictor = load_predictor()
draw_column, result_column = st.columns([3, 2], gap="large")

with draw_column:
    brush = st.slider("Brush size", min_value=4, max_value=48, value=22, key="draw_brush")
    canvas = st_canvas(
        stroke_width=brush,
        stroke_color="#000000",
        background_color="#FFFFFF",
        height=400,
        width=400,
        drawing_mode="freedraw",
        return_image_data=True,
        key="draw_canvas",
    )

image = canvas.image_data
with result_column:
    if image is None:
        st.info("Draw a digit on the canvas to see what the model reads.")
        st.stop()
    result = predictor.predict(image)
    if result.digit is None:
        st.info("The canvas is empty: draw a digit to see what the model reads.")
        st.stop()
    show_prediction(result, key="draw_probabilities")
