"""Cached loaders shared by every page: the predictor once per model version, artifacts once."""

import cv2
import streamlit as st

from model import Predictor
from ui.artifacts import (
    load_artifacts,
    load_realworld,
    load_study,
    realworld_images_dir,
    sharp_enlarged,
    thumbnail,
    uci_pictures,
    usps_dir_here,
    usps_pictures,
)
from ui.comparison import read_bench_results
from ui.widgets.versions import active_model_file


def load_predictor():
    """The active model version's predictor, after checking its files' checksums."""
    return _load_model_file(active_model_file())


@st.cache_resource(show_spinner="Loading the model…")
def _load_model_file(path):
    return Predictor.load(path)


@st.cache_data(show_spinner=False)
def load_bundled_artifacts():
    return load_artifacts()


@st.cache_data(show_spinner=False)
def load_comparison_study():
    return load_study()


@st.cache_data(show_spinner=False)
def load_realworld_report(path):
    return load_realworld(path)


def load_misread_pictures(set_name, misread):
    """The pictures of a real set's misread rows, read from ../shared (or $USPS_DIR,
    $REALWORLD_DIR) or scikit-learn at run time; None for each when the data is not here."""
    if set_name.startswith(("usps", "uci")):  # small digits named by their index
        indices = tuple(row["index"] for row in misread)
        if set_name.startswith("uci"):
            pictures = _uci_pictures(indices)
        else:
            folder = usps_dir_here()
            if folder is None:
                return [None] * len(misread)
            pictures = _usps_pictures(indices, str(folder))
        images = [pictures.get(index) for index in indices]
        if set_name.endswith("_inverted"):
            images = [None if image is None else 255 - image for image in images]
        return [None if image is None else sharp_enlarged(image) for image in images]
    if set_name.startswith("pen_"):  # the held-out pen writers' pictures, drawn anew
        return _pen_pictures(set_name, tuple(row["index"] for row in misread))
    folder = realworld_images_dir()
    return [_thumbnail(str(folder / row["file"])) if folder else None for row in misread]


@st.cache_data(show_spinner="Drawing the held-out writers' pictures…", max_entries=8)
def _pen_pictures(set_name, indices):
    """The misread pen-writer pictures, drawn from the report's fixed seed (None each when
    pendigits is not here)."""
    from model.data import pen_sets, pendigits

    if not pendigits.pendigits_available():
        return [None] * len(indices)
    digits = pen_sets.test_digits()
    if set_name == "pen_digits":
        pictures = pen_sets.digit_pictures(digits)
    else:
        pictures = [number["picture"] for number in pen_sets.composed_numbers(digits)]
    return [_fit(pictures[index][..., :3]) for index in indices]


def _fit(picture, longest=240):
    """A picture shrunk to `longest` pixels on its longer side, for a gallery."""
    scale = longest / max(picture.shape[:2])
    if scale >= 1:
        return picture
    size = (max(1, round(picture.shape[1] * scale)), max(1, round(picture.shape[0] * scale)))
    return cv2.resize(picture, size, interpolation=cv2.INTER_AREA)


@st.cache_data(show_spinner=False, max_entries=400)
def _thumbnail(path):
    return thumbnail(path)


@st.cache_data(show_spinner=False)
def _uci_pictures(indices):
    return uci_pictures(indices)


@st.cache_data(show_spinner=False)
def _usps_pictures(indices, usps_dir):
    return usps_pictures(indices, usps_dir)


def load_bench_results():
    return read_bench_results()
