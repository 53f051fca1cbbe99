"""How the live model does on what users confirmed or corrected; which model version is live.

Everyone sees the figures; only an admin (see `ui.widgets.admin`) sees the drawings, deletes or
exports samples and switches the model version.
"""

import streamlit as st

from model.errors import FeedbackError
from model.operations.feedback import FeedbackStore
from ui.figures import CHART_CONFIG
from ui.monitoring import (
    accuracy_over_time,
    confused_pairs,
    feedback_confusion,
    mistake_caption,
    summary,
)
from ui.widgets.admin import show_problem, sign_in_panel
from ui.widgets.loaders import load_predictor
from ui.widgets.navigation import through_the_app
from ui.widgets.samples_panel import all_samples_panel
from ui.widgets.versions import versions_panel

through_the_app("pages/4_Monitoring.py")

GALLERY = 12
ADMINS_ONLY = "sign in as admin (in the sidebar)"

st.set_page_config(page_title="Monitoring", page_icon="📈", layout="wide")
st.title("Monitoring")
st.caption(
    "Every “Is this right?” answer on the Draw and Upload pages is stored with the picture. "
    "Here is how the model does on them; `python -m model finetune` learns from them."
)
with st.sidebar:
    admin = sign_in_panel("monitor_admin")


try:
    store = FeedbackStore()
    samples = store.samples(with_images=False)
    mistakes = store.samples(limit=GALLERY, mistakes_only=True) if admin else []
except FeedbackError as error:
    show_problem("The feedback database cannot be read.", error)
    samples = None

if samples == []:
    st.info(
        "No feedback yet. Draw or upload a digit, then answer “Is this right?” under the "
        "reading." + (f" Feedback is stored in `{store.path}`." if admin else "")
    )
elif samples:
    threshold = load_predictor().threshold  # the live model's own unsure threshold
    figures = summary(samples, threshold)
    count, accuracy, wrong, low = st.columns(4)
    count.metric("Feedback samples", f"{figures['samples']:,}")
    accuracy.metric("Read right", f"{figures['accuracy']:.1%}")
    wrong.metric("Mistakes", figures["mistakes"])
    low.metric("Low confidence", f"{figures['low_confidence_rate']:.1%}")
    st.caption(
        f"Low confidence: under {threshold:.1%}, where the app says it is unsure."
        + (f" Database: `{store.path}`." if admin else "")
    )

    st.subheader("Accuracy over time")
    st.plotly_chart(accuracy_over_time(samples, threshold), width="stretch", config=CHART_CONFIG)

    matrix_column, pairs_column = st.columns([3, 2], gap="large")
    with matrix_column:
        st.subheader("Confusion matrix of the feedback")
        hide = st.toggle("Hide correct readings", value=True, key="monitor_hide_diagonal")
        st.plotly_chart(
            feedback_confusion(samples, hide_diagonal=hide), width="stretch", config=CHART_CONFIG
        )
    with pairs_column:
        st.subheader("Most confused pairs")
        pairs = confused_pairs(samples)
        if pairs:
            st.dataframe(pairs, hide_index=True, width="stretch")
        else:
            st.success("No mistakes in the feedback.")

    st.subheader("Recent mistakes")
    if not admin:
        st.caption(f"People's drawings are shown to admins only: {ADMINS_ONLY}.")
    elif not mistakes:
        st.caption("None: every reading in the feedback was right.")
    columns = st.columns(6)
    for position, sample in enumerate(mistakes):
        with columns[position % 6]:
            pictures = [sample.crop_png, sample.image28] if sample.crop_png else [sample.image28]
            st.image(pictures, width=84)
            st.caption(mistake_caption(sample))

    if admin:
        all_samples_panel(store, samples, key="monitor")
    else:
        st.caption(f"Deleting and exporting samples is for admins: {ADMINS_ONLY}.")

st.subheader("Model versions")
versions_panel(key="monitor_versions", admin=admin)
