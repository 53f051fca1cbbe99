"""Classical models and CNNs trained and tested on the same MNIST split, and the CNN's tuning."""

import streamlit as st

from ui.comparison import (
    accuracy_latency_scatter,
    by_accuracy,
    comparison_rows,
    engine_note,
    model_notes,
    per_class_f1_heatmap,
    tuning_rows,
    tuning_scatter,
)
from ui.figures import CHART_CONFIG
from ui.widgets.loaders import load_bench_results, load_comparison_study
from ui.widgets.navigation import through_the_app

through_the_app("pages/3_Comparison.py")

st.set_page_config(page_title="Model comparison", page_icon="⚖️", layout="wide")
st.title("Which model reads digits best?")
study = load_comparison_study()
comparison = study.comparison
if comparison is None:
    st.info("No comparison yet: run `python -m model compare --mnist-dir ../shared/mnist`.")
    st.stop()

models = by_accuracy(comparison["models"])
data = comparison["data"]
st.caption(
    f"{len(models)} models, each trained on the same {data['train']:,} MNIST training images, "
    f"choosing anything they choose (k, the best epoch) on the same {data['validation']:,} "
    f"validation images (seed {comparison['seed']}), and tested on the {data['test']:,} test "
    f"digits. Written by `{comparison['command']}` on {comparison['updated_at'][:10]}; "
    f"timings are on a shared {comparison['machine']['cpu_cores']}-core CPU, so read them as "
    "orders of magnitude."
)

best, fastest, smallest = st.columns(3)
quickest = min(models, key=lambda row: row["latency_single_ms"])
tiniest = min(models, key=lambda row: row["size_bytes"])
best.metric(f"Most accurate: {models[0]['label']}", f"{models[0]['accuracy']:.2%}")
fastest.metric(
    f"Fastest for one image: {quickest['label']}", f"{quickest['latency_single_ms']:.2f} ms"
)
smallest.metric(f"Smallest: {tiniest['label']}", f"{tiniest['size_bytes'] / 1e3:,.0f} kB")

st.subheader("Results")
st.dataframe(comparison_rows(models), hide_index=True, width="stretch", key="compare_table")
st.table(model_notes(models), hide_index=True)
subsampled = [row for row in models if row["train_size"] < data["train"]]
st.caption(
    "Click a column header to sort. Size is the saved model file (pickle or `.keras`); k-NN and "
    "the RBF SVM keep training digits inside, so they are large and not committed. The bundled "
    "CNN is measured with its digit gate on the Keras engine, like the other networks "
    f"({engine_note(load_bench_results())}), and its training time is from its model card."
    + (
        " Trained on a subsample: "
        + ", ".join(f"{row['label']} ({row['train_size']:,})" for row in subsampled)
        + "."
        if subsampled
        else ""
    )
)

st.subheader("Accuracy against speed")
latency = st.radio(
    "Inference time",
    ["single", "batched"],
    format_func={"single": "one image per call", "batched": "per image, in one batch"}.get,
    horizontal=True,
    key="compare_latency",
)
st.plotly_chart(accuracy_latency_scatter(models, latency), width="stretch", config=CHART_CONFIG)

st.subheader("F1 per digit")
st.caption("Which digits each model finds hard: F1 (%) of every digit, best model on top.")
st.plotly_chart(per_class_f1_heatmap(models), width="stretch", config=CHART_CONFIG)

with st.expander("How each model was trained"):
    chosen = st.selectbox("Model", [row["label"] for row in models], key="compare_details_model")
    row = next(row for row in models if row["label"] == chosen)
    st.markdown(f"**{row['label']}** — {row['note']}  \n**Features** {row['features']}")
    st.json(row["details"], expanded=True)

st.subheader("Tuning the CNN")
tuning = study.tuning
if tuning is None:
    st.info("No search yet: run `python -m model tune --mnist-dir ../shared/mnist`.")
else:
    budget, winner = tuning["budget"], tuning["best"]
    reference = next(trial for trial in tuning["trials"] if trial["bundled_settings"])
    st.caption(
        f"A {tuning['method']} over the bundled CNN's learning rate, dropout, filters and batch "
        f"size: {budget['trials']} trials of {budget['epochs']} epochs on {budget['train_size']:,} "
        f"training images each, scored on the {budget['validation_size']:,} validation images. "
        f"Network: {tuning['network']}. Trial 1 (the star) uses the bundled model's own "
        "settings. A short proxy of the full 45-epoch training: it ranks settings, it does not "
        "reach the bundled accuracy."
    )
    winner_column, reference_column, test_column = st.columns(3)
    winner_column.metric(
        f"Best: trial {winner['trial']} (validation)", f"{winner['val_accuracy']:.2%}"
    )
    reference_column.metric("Bundled settings (validation)", f"{reference['val_accuracy']:.2%}")
    test_column.metric("Best trial on the test set", f"{winner['test_accuracy']:.2%}")
    st.markdown(
        f"Best settings: learning rate **{winner['learning_rate']}**, dropout "
        f"**{winner['dropout_rate']}**, **{winner['filters']}** filters, batch "
        f"**{winner['batch_size']}**."
    )
    st.plotly_chart(tuning_scatter(tuning), width="stretch", config=CHART_CONFIG)
    st.dataframe(
        tuning_rows(tuning),
        hide_index=True,
        width="stretch",
        height="content",
        column_config={"learning rate": st.column_config.NumberColumn(format="%.2g")},
        key="compare_tuning",
    )

st.subheader("Transfer learning: VGG16 and ResNet50")
st.info(
    "The ImageNet weights are **not bundled** with this app. `python -m model compare --only "
    "vgg16,resnet50 --weights imagenet` builds VGG16 or ResNet50 from `keras.applications` on "
    "digits upscaled to 32×32 and copied into three channels, freezes the ImageNet base and "
    "trains a new head on 10,000 training images; Keras downloads the weights (60–100 MB) on "
    "first use, so it needs internet. Their rows then join the table above. Without internet, "
    "`--weights none` trains the same networks from scratch; here that path is only tested on a "
    "tiny subset"
    + (
        "."
        if any(row["family"] == "transfer" for row in models)
        else ", so the table has no transfer-learning rows."
    )
)
