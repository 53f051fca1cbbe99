"""Upload photos or scans of handwritten digits or numbers; each is read on its own."""

from pathlib import Path

import streamlit as st

from model import InvalidImageError
from model.inference.image_io import load_image
from ui.annotate import annotate, annotate_page
from ui.widgets.feedback import ask_if_right
from ui.widgets.loaders import load_predictor
from ui.widgets.navigation import through_the_app
from ui.widgets.sheet import show_page
from ui.widgets.views import plain_text, show_reading

through_the_app("pages/1_Upload.py")

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
MODES = ["one number", "a sheet of numbers"]
SHEET_SAMPLE = "sheet.png"  # the sample read as a sheet
TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"]

st.set_page_config(page_title="Upload a photo", page_icon="📷", layout="wide")
st.title("Upload a photo")
limit_mb = st.get_option("server.maxUploadSize")
st.caption(
    "A photo or scan of a handwritten digit or number: dark ink on light paper or light on dark. "
    f"Formats: {', '.join(TYPES)}; up to {limit_mb} MB each."
)

predictor = load_predictor()
uploads = st.file_uploader("Images", type=TYPES, accept_multiple_files=True, key="upload_files")
st.caption(
    f"A file over {limit_mb} MB is refused: it stays in red in the list above and is not read. "
    "Shrink or crop it, then upload it again."
)
st.write("Or try a sample:")
samples = sorted(SAMPLES.iterdir())
for column, path in zip(st.columns(len(samples)), samples, strict=True):
    if column.button(path.name, key=f"upload_sample_{path.name}", width="stretch"):
        st.session_state["upload_sample"] = path.name
        st.session_state["upload_mode"] = MODES[path.name == SHEET_SAMPLE]

sheet = (
    st.radio(
        "Each picture holds",
        MODES,
        horizontal=True,
        key="upload_mode",
        help="A sheet: a form, a list or a table, with several numbers on several lines.",
    )
    == MODES[1]
)

images = []
for upload in uploads or []:
    if upload.size > limit_mb * 1024 * 1024:
        st.error(
            f"{plain_text(upload.name)} is {upload.size / 1024 / 1024:.1f} MB, over the "
            f"{limit_mb} MB limit: it was not read. Shrink or crop it, then upload it again."
        )
        continue
    images.append((upload.name, upload.getvalue()))
if not images and not uploads and st.session_state.get("upload_sample"):
    name = st.session_state["upload_sample"]
    images = [(name, (SAMPLES / name).read_bytes())]
if not images:
    if not uploads:
        st.info("Upload an image, or click a sample above.")
    st.stop()

for position, (name, data) in enumerate(images):
    st.divider()
    st.subheader(plain_text(name))
    try:
        image = load_image(data)
    except InvalidImageError as error:
        st.error(f"Could not read {plain_text(name)}: {plain_text(error)}.")
        continue
    photo_column, result_column = st.columns([1, 1], gap="large")
    if sheet:
        page = predictor.read_page(image)
        photo_column.image(annotate_page(image, page), width="stretch")
        with result_column:
            show_page(page, predictor, key=f"upload_page_{position}")
        continue
    reading = predictor.read(image)
    photo_column.image(annotate(image, reading), width="stretch")
    with result_column:
        if not reading.digits:
            st.warning(f"No digit found in this image ({reading.reason}).")
        else:
            show_reading(reading, key=f"upload_probabilities_{position}", predictor=predictor)
            ask_if_right(reading, image, source="photo", key=f"upload_feedback_{position}")
