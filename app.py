"""The app: the draw page, and the navigation to the other pages.

Draw a digit or a whole number: the recognizer reads it as the pen moves, and again as soon as
the stroke ends.
"""

import time

import streamlit as st

from ui.widgets.canvas import draw_canvas
from ui.widgets.feedback import ask_if_right
from ui.widgets.loaders import load_predictor
from ui.widgets.navigation import continue_to_wanted_page, run_page
from ui.widgets.views import show_reading, show_reading_so_far


def draw_page():
    """The canvas and what the model reads on it."""
    st.title("✍️ Draw a digit")
    st.caption(
        "Draw a digit, 0 to 9, with your mouse or finger, or several side by side for a number. "
        "Undo and Clear are under the canvas."
    )

    draw_and_read()


@st.fragment
def draw_and_read():
    """The canvas and its reading: a stroke reruns this part of the page only (with the
    model version live at that moment)."""
    predictor = load_predictor()
    draw_column, result_column = st.columns([3, 2], gap="large")

    with draw_column:
        brush = st.slider("Brush size", min_value=4, max_value=48, value=22, key="draw_brush")
        drawing = draw_canvas(brush, max_width=460, max_height=360, key="draw_canvas")

    image, partial = drawing.image_data, drawing.partial_seq is not None
    with result_column:
        if image is None:
            st.info("Draw a digit on the canvas to see what the model reads.")
            return
        started = time.perf_counter()
        # The strokes, in the order drawn, tell digits apart where the pixels touch.
        strokes = drawing.strokes
        reading = predictor.read_strokes(strokes, brush) if strokes else predictor.read(image)
        milliseconds = (time.perf_counter() - started) * 1000
        if not reading.digits:
            if reading.reason and "blank" not in reading.reason:
                st.warning(f"No digit there: {reading.reason}. Draw a digit, 0 to 9.")
            else:
                st.info("The canvas is empty: draw a digit to see what the model reads.")
            return
        if partial:
            # While the pen moves: the reading so far, light enough to follow the pen.
            show_reading_so_far(reading, drawing.partial_seq)
            return
        show_reading(reading, key="draw_probabilities", predictor=predictor, marker="final")
        st.caption(f"Read in {milliseconds:.1f} ms ({predictor.engine.name} engine).")
        ask_if_right(reading, image, source="canvas", key="draw_feedback")


st.set_page_config(page_title="Digit recognizer", page_icon="✍️", layout="wide")
page = st.navigation(
    [
        # The draw page is served at the root URL, and at /draw for links and reloads that
        # name it: the default page's own url_path is reserved but never resolved, and an
        # unknown URL reruns the app's main page, which remounts the canvas and loses the first
        # stroke drawn on it.
        st.Page(draw_page, title="Draw", icon=":material/draw:", url_path="home", default=True),
        st.Page(draw_page, title="Draw", url_path="draw", visibility="hidden"),
        st.Page(
            "pages/1_Upload.py", title="Upload", icon=":material/photo_camera:", url_path="Upload"
        ),
        st.Page(
            "pages/2_Evaluation.py",
            title="Evaluation",
            icon=":material/analytics:",
            url_path="Evaluation",
        ),
        st.Page(
            "pages/3_Comparison.py",
            title="Comparison",
            icon=":material/leaderboard:",
            url_path="Comparison",
        ),
        st.Page(
            "pages/4_Monitoring.py",
            title="Monitoring",
            icon=":material/monitoring:",
            url_path="Monitoring",
        ),
    ]
)
continue_to_wanted_page()
run_page(page)
