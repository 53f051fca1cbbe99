"""Helpers for the Streamlit pages: figure builders (no Streamlit) and the shared cached loaders."""
