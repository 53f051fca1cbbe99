"""Tables and plotly figures of the model comparison and the tuning search.

Pure functions of the artifacts (`comparison.json`, `tuning.json`, `bench/results.json`):
unit-tested without a browser, shown by `pages/3_Comparison.py`.
"""

import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from model.results import by_accuracy, trials_best_first
from ui.figures import ACCENT, MUTED, log_ticks

FAMILY_COLORS = {"classical": "#3d7ea6", "neural": ACCENT, "transfer": "#7a5195"}
LATENCY_KEYS = {"single": "latency_single_ms", "batched": "latency_batched_ms"}
BENCH_RESULTS_FILE = Path(__file__).resolve().parents[1] / "bench" / "results.json"
ENGINE_NAMES = {"litert": "LiteRT", "keras": "Keras"}


def read_bench_results(path=BENCH_RESULTS_FILE):
    """The benchmarks' results (`python -m bench --out bench/results.json`), or None."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def engine_note(bench_results):
    """How the app's engine compares with the Keras engine on one drawing, from the benchmarks.

    Returns:
        A phrase such as "the app runs it on LiteRT: 0.47 ms a drawing against 1.5 ms on
        Keras in bench/results.json, 3.2x faster", or "the app runs it on LiteRT" without
        benchmark results.
    """
    try:
        latency = bench_results["latency"]
        engine = ENGINE_NAMES.get(latency["predict"]["engine"], latency["predict"]["engine"])
        app_ms = latency["predict"]["p50_ms"]
        keras_ms = latency["predict_keras_engine"]["p50_ms"]
    except (KeyError, TypeError):
        return "the app runs it on LiteRT"
    return (
        f"the app runs it on {engine}: {app_ms:.2g} ms a drawing, preprocessing included, against "
        f"{keras_ms:.2g} ms on Keras in `bench/results.json`, {keras_ms / app_ms:.1f}x faster"
    )


def comparison_rows(models):
    """The results table: one row per model, most accurate first, figures rounded for people;
    short headers, so that every column fits the page (the page names subsampled models)."""
    return [
        {
            "model": row["label"],
            "accuracy %": round(100 * row["accuracy"], 2),
            "macro F1": round(row["macro_f1"], 4),
            "errors": row["errors"],
            "train time s": round(row["train_seconds"], 1),
            "ms, one image": round(row["latency_single_ms"], 2),
            "ms, batched": round(row["latency_batched_ms"], 4),
            "size MB": round(row["size_bytes"] / 1e6, 2),
        }
        for row in by_accuracy(models)
    ]


def model_notes(models):
    """What each model is, one line each, in the results table's order (a table of its own:
    beside the figures, its long text pushed the last columns off the page)."""
    return [{"model": row["label"], "what it is": row["note"]} for row in by_accuracy(models)]


def accuracy_latency_scatter(models, latency="single"):
    """Test accuracy against inference time per image, one marker per model, both axes log.

    Near 99% the differences that matter are fractions of a percent, so the vertical axis is
    the error rate on a log scale, reversed and labelled as accuracy: better is higher.
    Each label goes above, below, right or left of its marker, wherever it overlaps least.

    Args:
        models: the artifact's model rows.
        latency: "single" (one image per call) or "batched" (per image, whole test set).

    Raises:
        ValueError: an unknown latency kind.
    """
    if latency not in LATENCY_KEYS:
        raise ValueError(f"latency must be one of {list(LATENCY_KEYS)}, not {latency!r}")
    key = LATENCY_KEYS[latency]
    label_position = label_positions(
        {row["name"]: (row[key], 100 * (1 - row["accuracy"]), row["label"]) for row in models}
    )
    figure = go.Figure()
    for family, color in FAMILY_COLORS.items():
        rows = [row for row in models if row["family"] == family]
        if not rows:
            continue
        figure.add_trace(
            go.Scatter(
                x=[row[key] for row in rows],
                y=[100 * (1 - row["accuracy"]) for row in rows],
                mode="markers+text",
                name=family,
                text=[row["label"] for row in rows],
                textposition=[label_position[row["name"]] for row in rows],
                marker=dict(size=12, color=color),
                customdata=[
                    [100 * row["accuracy"], row["size_bytes"] / 1e6, row["train_seconds"]]
                    for row in rows
                ],
                hovertemplate="%{text}<br>%{customdata[0]:.2f}% at %{x:.3g} ms<br>"
                "%{customdata[1]:.2f} MB, trained in %{customdata[2]:.0f} s<extra></extra>",
            )
        )
    errors = [0.2, 0.5, 1, 2, 5, 10, 20]
    title = "ms for one image" if latency == "single" else "ms per image, batched"
    figure.update_layout(
        height=480,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(
            title=f"{title} (log scale)", type="log", **log_ticks(row[key] for row in models)
        ),
        yaxis=dict(
            title="test accuracy (log scale of the error)",
            type="log",
            autorange="reversed",
            tickvals=errors,
            ticktext=[f"{100 - error:g}%" for error in errors],
        ),
        legend=dict(orientation="h", y=-0.2),
    )
    return figure


def label_positions(points, width=800, height=400, character_width=6.5, line_height=14):
    """Where to put each marker's label so that labels and markers overlap as little as possible.

    The plot is taken as `width` x `height` pixels with both axes on log scales and the
    vertical one reversed (smaller values on top); markers are placed most-accurate first,
    each at the first of above, below, right, left that overlaps nothing placed so far and
    stays inside the plot, else where it overlaps least.

    Args:
        points: {name: (x, y, label)} with x and y > 0.
        width, height: the plot's approximate size in pixels.
        character_width, line_height: the approximate size of the label text in pixels.

    Returns:
        {name: plotly textposition}.
    """
    if not points:
        return {}
    logs = {name: (np.log10(x), np.log10(y)) for name, (x, y, _) in points.items()}

    def spread(values):
        low, high = min(values), max(values)
        return low, (high - low) or 1.0

    (x_low, x_span), (y_low, y_span) = (
        spread([log[axis] for log in logs.values()]) for axis in (0, 1)
    )
    centre = {
        name: ((x - x_low) / x_span * width, (y - y_low) / y_span * height)
        for name, (x, y) in logs.items()
    }
    marker = 7
    taken = [(x - marker, y - marker, x + marker, y + marker) for x, y in centre.values()]

    def box(name, position):
        x, y = centre[name]
        half_width, half_height = len(points[name][2]) * character_width / 2, line_height / 2
        shift = {
            "top center": (0, -(marker + half_height)),
            "bottom center": (0, marker + half_height),
            "middle right": (marker + half_width, 0),
            "middle left": (-(marker + half_width), 0),
        }[position]
        x, y = x + shift[0], y + shift[1]
        return (x - half_width, y - half_height, x + half_width, y + half_height)

    def overlap(first, second):
        across = min(first[2], second[2]) - max(first[0], second[0])
        down = min(first[3], second[3]) - max(first[1], second[1])
        return max(across, 0) * max(down, 0)

    def cost(name, position):
        candidate = box(name, position)
        outside = max(0, -candidate[0]) + max(0, candidate[2] - width)
        return sum(overlap(candidate, other) for other in taken) + outside * line_height

    chosen = {}
    for name in sorted(points, key=lambda name: points[name][1]):
        positions = ("top center", "bottom center", "middle right", "middle left")
        # A label never covers its own marker: the boxes only touch.
        chosen[name] = min(positions, key=lambda position: cost(name, position))
        taken.append(box(name, chosen[name]))
    return chosen


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
        for trial in trials_best_first(tuning)
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
        xaxis=dict(
            title="learning rate (log scale)",
            type="log",
            **log_ticks(trial["learning_rate"] for trial in trials),
        ),
        yaxis=dict(title="validation accuracy %"),
    )
    return figure
