"""Upload photos or scans of handwritten digits or numbers; each is read on its own."""

from pathlib import Path

import streamlit as st

from model import InvalidImageError
from model.inference.image_io import load_image
from ui.annotate import annotate
from ui.feedback import ask_if_right
from ui.loaders import load_predictor
from ui.navigation import through_the_app
from ui.views import show_reading

through_the_app("pages/1_Upload.py")

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"
TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff"]

st.set_page_config(page_title="Upload a photo", page_icon="📷", layout="wide")
st.title("Upload a photo")
st.caption(
    "A photo or scan of a handwritten digit or number: dark ink on light paper or light on dark. "
    f"Formats: {', '.join(TYPES)}; up to {st.get_option('server.maxUploadSize')} MB each."
)

predictor = load_predictor()
uploads = st.file_uploader("Images", type=TYPES, accept_multiple_files=True, key="upload_files")
st.write("Or try a sample:")
samples = sorted(SAMPLES.iterdir())
for column, path in zip(st.columns(len(samples)), samples, strict=True):
    if column.button(path.name, key=f"upload_sample_{path.name}", width="stretch"):
        st.session_state["upload_sample"] = path.name

images = [(upload.name, upload.getvalue()) for upload in uploads or []]
if not images and st.session_state.get("upload_sample"):
    name = st.session_state["upload_sample"]
    images = [(name, (SAMPLES / name).read_bytes())]
if not images:
    st.info("Upload an image, or click a sample above.")
    st.stop()

for position, (name, data) in enumerate(images):
    st.divider()
    st.subheader(name)
    try:
        image = load_image(data)
    except InvalidImageError as error:
        st.error(f"Could not read {name}: {error}.")
        continue
    reading = predictor.read(image)
    photo_column, result_column = st.columns([1, 1], gap="large")
    photo_column.image(annotate(image, reading), width="stretch")
    with result_column:
        if not reading.digits:
            st.warning(f"No digit found in this image ({reading.reason}).")
        else:
            show_reading(reading, key=f"upload_probabilities_{position}")
            ask_if_right(reading, image, source="photo", key=f"upload_feedback_{position}")
