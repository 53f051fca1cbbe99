"""The one cached loader every page shares: the predictor is loaded once per server."""

import streamlit as st

from model import Predictor


@st.cache_resource(show_spinner="Loading the model…")
def load_predictor():
    return Predictor.load()
