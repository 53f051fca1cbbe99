"""The Monitoring page's panel of every feedback sample, for admins: the table, delete, export."""

import tempfile

import streamlit as st

from model.errors import FeedbackError
from ui.artifacts import readable_table
from ui.monitoring import sample_rows
from ui.widgets.admin import show_problem

DELETED = "monitor_deleted"  # the outcome of a delete, shown after the rerun it causes


def export_bytes(store, kind):
    """The feedback as a zip of `kind` ("png" or "idx"), written to a temporary file a few
    hundred rows at a time and returned as bytes."""
    with tempfile.TemporaryFile() as file:
        store.export_zip(file, kind=kind)
        file.seek(0)
        return file.read()


def all_samples_panel(store, samples, key="monitor"):
    """The samples table, delete and export. Show it to admins only.

    Args:
        store: the `FeedbackStore` the samples come from.
        samples: its samples (without images), newest first.
        key: the prefix of the panel's widget keys.
    """
    with st.expander("All samples: delete, export"):
        st.dataframe(readable_table(sample_rows(samples)), hide_index=True, width="stretch")
        row_column, delete_column = st.columns([2, 1], vertical_alignment="bottom")
        row_id = row_column.number_input("Sample id", min_value=1, step=1, key=f"{key}_delete_id")
        if delete_column.button("Delete sample", key=f"{key}_delete", width="stretch"):
            try:
                deleted = store.delete(row_id)
            except FeedbackError as error:
                show_problem("The sample could not be deleted.", error)
            else:
                st.session_state[DELETED] = (
                    ("success", f"Deleted sample {row_id}.")
                    if deleted
                    else ("warning", f"There is no sample {row_id}.")
                )
                st.rerun()
        if DELETED in st.session_state:
            kind, message = st.session_state.pop(DELETED)
            getattr(st, kind)(message)
        # The zips are made when a button is clicked, outside the script run (no session state
        # there): the buttons exist only on an admin's page, their file ids only in an admin's
        # session.
        exports = {"png": "Export as PNG + CSV (zip)", "idx": "Export as IDX, like MNIST (zip)"}
        for column, (form, label) in zip(st.columns(2), exports.items(), strict=True):
            column.download_button(
                label,
                lambda form=form: export_bytes(store, form),
                file_name=f"feedback-{form}.zip",
                mime="application/zip",
                key=f"{key}_export_{form}",
            )
