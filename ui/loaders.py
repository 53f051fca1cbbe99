"""Cached loaders shared by every page: the predictor once per server, artifacts once."""

import streamlit as st

from model import Predictor
from ui.artifacts import load_artifacts, load_study


@st.cache_resource(show_spinner="Loading the model…")
def load_predictor():
    return Predictor.load()


@st.cache_data(show_spinner=False)
def load_bundled_artifacts():
    return load_artifacts()


@st.cache_data(show_spinner=False)
def load_comparison_study():
    return load_study()
