"""Cached loaders shared by every page: the predictor once per model version, artifacts once."""

import streamlit as st

from model import Predictor
from ui.artifacts import load_artifacts, load_study
from ui.comparison import read_bench_results
from ui.versions import active_model_file


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
def load_bench_results():
    return read_bench_results()
