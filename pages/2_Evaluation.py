"""How the bundled model reads real handwriting, and how it was trained and does on the 10,000
MNIST test digits."""

import streamlit as st

from model import config, paths
from ui.artifacts import (
    REAL_SETS,
    member_rows,
    misclassified_caption,
    misread_caption,
    mistakes_of,
    model_card_markdown,
    not_digits_caption,
    pair_card_markdown,
    per_class_rows,
    readable_table,
    realworld_digit_rows,
    realworld_misread_rows,
    realworld_rows,
    risk_curves,
    robustness_rows,
)
from ui.figures import CHART_CONFIG, confusion_heatmap, risk_coverage_figure, training_curves
from ui.widgets.loaders import (
    load_bundled_artifacts,
    load_misread_pictures,
    load_realworld_report,
)
from ui.widgets.navigation import through_the_app
from ui.widgets.versions import active_version_entry, fine_tune_note

through_the_app("pages/2_Evaluation.py")
MAX_FLAGGED = 0.05  # the unsure rule's target: at most this share flagged

st.set_page_config(page_title="Evaluation", page_icon="📊", layout="wide")
st.title("How good is the model?")
artifacts = load_bundled_artifacts()
metrics, card = artifacts.metrics, artifacts.card

note = fine_tune_note(active_version_entry())
if note:
    st.info(note, icon=":material/model_training:")

st.subheader("Real handwriting")
report = load_realworld_report(str(paths.BUNDLED_DIR / paths.REALWORLD_FILE))
if report is None:
    st.info(
        "No real-handwriting report yet: run `python -m model realworld --usps-dir ../shared/usps "
        "--realworld-dir ../shared/realworld`."
    )
else:
    st.caption(
        f"Pictures nobody here made, read as a user's would be (`{report['command']}`, "
        f"{report['created'][:10]}): the USPS digits, pictures people made for their own "
        "digit recognizers, and the tiny UCI digits that ship with scikit-learn. *Naive "
        "resize* is the same network on the whole picture simply resized into 20×20 and "
        "padded: where it wins, the preprocessing is to blame. "
        "Nothing was trained or tuned on these sets."
    )
    rows = realworld_rows(report)
    st.table(readable_table(rows), hide_index=True)  # wraps its long text: fits the page
    names = list(report["sets"])
    labels = {name: REAL_SETS.get(name, (name,))[0] for name in names}
    with st.expander("Per digit"):
        chosen = st.selectbox(
            "Set",
            [name for name in names if "per_digit" in report["sets"][name]],
            format_func=labels.get,
            key="eval_real_digits_set",
        )
        st.dataframe(realworld_digit_rows(report["sets"][chosen]), hide_index=True, width="stretch")
    with st.expander("What it still misreads"):
        chosen = st.selectbox("Set", names, format_func=labels.get, key="eval_real_misread_set")
        figures = report["sets"][chosen]
        rows = realworld_misread_rows(figures)
        shown = f", the first {len(rows)} listed" if len(rows) < figures["misread_count"] else ""
        st.caption(f"{figures['misread_count']} of {figures['count']:,} misread{shown}.")
        images = load_misread_pictures(chosen, figures["misread"])
        if any(image is not None for image in images):
            columns = st.columns(6)
            for position, (row, image) in enumerate(zip(rows, images, strict=True)):
                if image is not None:
                    columns[position % 6].image(image, caption=misread_caption(row), width=96)
        else:
            st.caption("The pictures are not here (../shared): their names only.")
        st.dataframe(rows, hide_index=True, width="stretch")

    curves = risk_curves(report)
    if curves:
        st.markdown("**When it says it is sure, is it right?**")
        threshold = report["model"]["threshold"]
        st.caption(
            "Each line lowers the confidence under which a reading is flagged *unsure* and goes "
            "to a person: to the right, more readings are flagged; down, fewer of the readings it "
            f"is sure of are wrong. The app flags readings under {threshold:.1%} "
            "confidence (fitted on the MNIST validation digits and the validation writers only); "
            "the green box is the target: at most 5% flagged, at most 0.3% wrong when sure."
        )
        st.plotly_chart(
            risk_coverage_figure(curves, MAX_FLAGGED, config.UNSURE_MAX_ERROR),
            width="stretch",
            config=CHART_CONFIG,
        )

st.subheader("MNIST")
st.caption(
    f"Written by `python -m model train` on {card['trained_at'][:10]} and measured on the "
    "10,000 MNIST test digits, which training never saw."
)
accuracy, errors, macro_f1, parameters, minutes = st.columns(5)
accuracy.metric("Test accuracy", f"{metrics['accuracy']:.2%}")
errors.metric(f"Mistakes of {metrics['count']:,}", metrics["errors"])
macro_f1.metric("Macro F1", f"{metrics['macro_f1']:.4f}")
parameters.metric("Parameters", f"{card['parameters']:,}")
minutes.metric("Training time", f"{card['training_seconds'] / 60:.0f} min")

st.subheader("Training curves")
members = member_rows(card, metrics)
if members:
    st.caption(
        f"The model is an ensemble: the mean of the probabilities of {len(members)} networks of "
        "the same design, both shown the pen-written digits of 20 writers: one with MNIST as it "
        "is, one with the writing styles MNIST lacks (wide and narrow, thin pen or marker, "
        "wobble, straight strokes, named styles). Each kept its "
        "epoch with the best validation accuracy, on "
        f"{card['data']['validation']:,} training images held out from the start."
    )
    st.table(readable_table(members), hide_index=True)  # wraps its long augmentation text
    shown = st.selectbox(
        "Curves of", [row["network"] for row in members], index=len(members) - 1, key="eval_member"
    )
    history = artifacts.history.get("members", {}).get(shown, artifacts.history)
else:
    st.caption(
        f"Validation uses {card['data']['validation']:,} training images held out from the "
        f"start. The saved model is the epoch with the best validation accuracy (epoch "
        f"{card['best_epoch']}); train accuracy is lower than validation because training "
        "images are augmented."
    )
    history = artifacts.history
st.plotly_chart(training_curves(history), width="stretch", config=CHART_CONFIG)

st.subheader("Confusion matrix")
left, right = st.columns(2)
normalize = left.toggle("Show percentages of each true digit", key="eval_normalize")
hide_diagonal = right.toggle("Hide correct predictions", value=True, key="eval_hide_diagonal")
st.plotly_chart(
    confusion_heatmap(metrics["confusion_matrix"], normalize, hide_diagonal),
    width="stretch",
    config=CHART_CONFIG,
)

st.subheader("Per digit")
st.dataframe(per_class_rows(metrics), hide_index=True, width="stretch")

if artifacts.robustness:
    st.subheader("Beyond MNIST: drawings, pixel art, photos, numbers")
    st.caption(
        "MNIST test digits re-drawn the way people give them to the app (`python -m model "
        "robustness`). A reading is flagged unsure when its confidence is under "
        f"{artifacts.robustness['threshold']:.0%}; scribbles, letters and shapes are flagged too."
    )
    st.table(readable_table(robustness_rows(artifacts.robustness)), hide_index=True)
    not_digits = artifacts.robustness["not_digits"]
    st.caption(not_digits_caption(not_digits))

st.subheader("The mistakes")
choice = st.selectbox("True digit", ["all", *range(10)], key="eval_gallery_digit")
rows = mistakes_of(artifacts.misclassified, None if choice == "all" else choice)
st.caption(f"{len(rows)} misclassified test digits, most confident mistakes first.")
columns = st.columns(8)
for position, row in enumerate(rows):
    columns[position % 8].image(
        artifacts.misclassified_images[row["index"]],
        caption=misclassified_caption(row),
        width=84,
    )

with st.expander("Model card"):
    st.markdown(model_card_markdown(card))
    st.dataframe(card["layers"], hide_index=True, width="stretch")
    st.json(card["data"]["md5_uncompressed"], expanded=False)
    if artifacts.pairs:
        st.markdown(pair_card_markdown(artifacts.pairs))
