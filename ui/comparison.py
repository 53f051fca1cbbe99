"""Tables and plotly figures of the model comparison and the tuning search.

Pure functions of the artifacts (`comparison.json`, `tuning.json`): unit-tested without a
browser, shown by `pages/3_Comparison.py`.
"""

import numpy as np
import plotly.graph_objects as go

from ui.figures import ACCENT, MUTED

FAMILY_COLORS = {"classical": "#3d7ea6", "neural": ACCENT, "transfer": "#7a5195"}
LATENCY_KEYS = {"single": "latency_single_ms", "batched": "latency_batched_ms"}


def by_accuracy(models):
    """The model rows, most accurate first (ties: the higher macro F1 first)."""
    return sorted(models, key=lambda row: (-row["accuracy"], -row["macro_f1"]))


def comparison_rows(models):
    """The results table: one row per model, most accurate first, figures rounded for people."""
    return [
        {
            "model": row["label"],
            "test accuracy %": round(100 * row["accuracy"], 2),
            "macro F1": round(row["macro_f1"], 4),
            "errors": row["errors"],
            "train time s": round(row["train_seconds"], 1),
            "ms for one image": round(row["latency_single_ms"], 2),
            "ms per image, batched": round(row["latency_batched_ms"], 4),
            "size MB": round(row["size_bytes"] / 1e6, 2),
            "train images": row["train_size"],
            "what it is": row["note"],
        }
        for row in by_accuracy(models)
    ]


def accuracy_latency_scatter(models, latency="single"):
    """Test accuracy against inference time per image, one marker per model, log time axis.

    Args:
        models: the artifact's model rows.
        latency: "single" (one image per call) or "batched" (per image, whole test set).

    Raises:
        ValueError: an unknown latency kind.
    """
    if latency not in LATENCY_KEYS:
        raise ValueError(f"latency must be one of {list(LATENCY_KEYS)}, not {latency!r}")
    key = LATENCY_KEYS[latency]
    figure = go.Figure()
    for family, color in FAMILY_COLORS.items():
        rows = [row for row in models if row["family"] == family]
        if not rows:
            continue
        figure.add_trace(
            go.Scatter(
                x=[row[key] for row in rows],
                y=[100 * row["accuracy"] for row in rows],
                mode="markers+text",
                name=family,
                text=[row["label"] for row in rows],
                textposition="top center",
                marker=dict(size=12, color=color),
                customdata=[[row["size_bytes"] / 1e6, row["train_seconds"]] for row in rows],
                hovertemplate="%{text}<br>%{y:.2f}% at %{x:.3g} ms<br>"
                "%{customdata[0]:.2f} MB, trained in %{customdata[1]:.0f} s<extra></extra>",
            )
        )
    title = "ms for one image" if latency == "single" else "ms per image, batched"
    figure.update_layout(
        height=440,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=f"{title} (log scale)", type="log"),
        yaxis=dict(title="test accuracy %"),
        legend=dict(orientation="h", y=-0.2),
    )
    return figure


def per_class_f1_heatmap(models):
    """Per-digit F1 (%) of every model, most accurate model on top."""
    ordered = by_accuracy(models)
    values = np.array([[100 * score for score in row["per_class_f1"]] for row in ordered])
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[str(digit) for digit in range(10)],
            y=[row["label"] for row in ordered],
            text=[[f"{value:.1f}" for value in row] for row in values],
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmin=float(np.floor(values.min())) if values.size else 0,
            zmax=100,
            hovertemplate="%{y}, digit %{x}: F1 %{z:.2f}%<extra></extra>",
            colorbar=dict(title="F1 %"),
        )
    )
    figure.update_layout(
        height=80 + 34 * len(ordered),
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title="digit", type="category", side="top"),
        yaxis=dict(title=None, type="category", autorange="reversed"),
    )
    return figure


def tuning_rows(tuning):
    """The search's trials, best validation accuracy first."""
    trials = sorted(tuning["trials"], key=lambda trial: (-trial["val_accuracy"], trial["trial"]))
    return [
        {
            "trial": trial["trial"],
            "learning rate": trial["learning_rate"],
            "dropout": trial["dropout_rate"],
            "filters": trial["filters"],
            "batch size": trial["batch_size"],
            "validation accuracy %": round(100 * trial["val_accuracy"], 2),
            "best epoch": trial["best_epoch"],
            "seconds": trial["seconds"],
            "bundled settings": trial["bundled_settings"],
        }
        for trial in trials
    ]


def tuning_scatter(tuning):
    """Validation accuracy against learning rate for every trial; size shows the filters.

    The bundled model's own settings are a star; the colour is the dropout rate.
    """
    trials = tuning["trials"]
    figure = go.Figure(
        go.Scatter(
            x=[trial["learning_rate"] for trial in trials],
            y=[100 * trial["val_accuracy"] for trial in trials],
            mode="markers",
            marker=dict(
                size=[8 + trial["filters"] / 3 for trial in trials],
                color=[trial["dropout_rate"] for trial in trials],
                colorscale="Viridis",
                colorbar=dict(title="dropout"),
                symbol=["star" if trial["bundled_settings"] else "circle" for trial in trials],
                line=dict(width=1, color=MUTED),
            ),
            text=[f"trial {trial['trial']}" for trial in trials],
            customdata=[[trial["filters"], trial["batch_size"]] for trial in trials],
            hovertemplate="%{text}: %{y:.2f}%<br>learning rate %{x:.2g}, "
            "%{customdata[0]} filters, batch %{customdata[1]}<extra></extra>",
        )
    )
    figure.update_layout(
        height=380,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title="learning rate (log scale)", type="log"),
        yaxis=dict(title="validation accuracy %"),
    )
    return figure
