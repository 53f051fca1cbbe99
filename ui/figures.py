"""Plotly figures for the pages. Pure functions of their data: unit-tested without a browser."""

import copy
import functools
import math

import numpy as np
import plotly.graph_objects as go

ACCENT = "#e4572e"
MUTED = "#9aa5b1"
# How every chart is shown: without plotly's own toolbar, which covers the chart's top right
# (its title, on a phone). Streamlit's own toolbar still offers full screen.
CHART_CONFIG = {"displayModeBar": False}


def log_ticks(values):
    """Where to put the ticks of a log axis over `values`, each labelled with its whole value.

    Plotly's own labels on a log axis over a small range name only the leading digit between
    powers of ten ("5, 2, 0.1, 5, 2, 0.01"). Here: 1, 2 and 5 times each power of ten in the
    range (each power alone over more than three decades); the range's ends, rounded, when
    fewer than two such ticks fall inside it.

    Args:
        values: the axis's data; values that are not positive are left out.

    Returns:
        dict(tickvals=[...], ticktext=[...]) for the axis, or {} with no positive value.
    """
    positive = [float(value) for value in values if value is not None and value > 0]
    if not positive:
        return {}
    low, high = min(positive), max(positive)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if last - first <= 3 else (1,)
    ticks = [
        float(f"{step * 10.0**power:.12g}")
        for power in range(first, last + 1)
        for step in steps
        if low <= step * 10.0**power <= high
    ]
    if len(ticks) < 2:
        ticks = sorted({float(f"{low:.2g}"), float(f"{high:.2g}")})
    return {"tickvals": ticks, "ticktext": [_number(tick) for tick in ticks]}


def _number(value):
    return np.format_float_positional(value, trim="-")


def probability_bars(probabilities, highlight=None):
    """A bar chart of the ten digit probabilities, the predicted digit highlighted.

    Drawn after every stroke: the checked layout is built once, and each chart is this
    layout with its own bars, unchecked (6 ms -> 1 ms; `checked_probability_bars` builds
    the same figure checked).
    """
    probabilities = np.asarray(probabilities, dtype=float)
    spec = copy.deepcopy(_probability_layout())
    bar = spec["data"][0]
    bar["y"] = probabilities
    bar["marker"]["color"] = [ACCENT if digit == highlight else MUTED for digit in range(10)]
    bar["text"] = [f"{p:.0%}" if p >= 0.01 else "" for p in probabilities]
    return go.Figure(spec, _validate=False)


@functools.cache
def _probability_layout():
    return checked_probability_bars(np.zeros(10)).to_plotly_json()


def checked_probability_bars(probabilities, highlight=None):
    """`probability_bars`, every property checked by plotly as it is built."""
    probabilities = np.asarray(probabilities, dtype=float)
    colors = [ACCENT if digit == highlight else MUTED for digit in range(10)]
    figure = go.Figure(
        go.Bar(
            x=[str(digit) for digit in range(10)],
            y=probabilities,
            marker_color=colors,
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        height=260,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis=dict(range=[0, 1.1], tickformat=".0%", title=None),
        xaxis=dict(title=None, type="category"),
        showlegend=False,
    )
    return figure


def training_curves(history):
    """Loss and error rate per epoch, train vs validation, side by side on log scales.

    Near 99% accuracy the differences that matter are in the last fraction of a percent,
    so accuracy is shown as its error rate, 100 x (1 - accuracy), on a log axis.
    """
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Error rate (%)"))
    epochs = history["epoch"]
    for prefix, name, color in (("", "train", MUTED), ("val_", "validation", ACCENT)):
        curves = (history[prefix + "loss"], [100 * (1 - a) for a in history[prefix + "accuracy"]])
        for column, values in enumerate(curves, start=1):
            figure.add_trace(
                go.Scatter(
                    x=epochs,
                    y=values,
                    name=name,
                    mode="lines",
                    line=dict(color=color),
                    legendgroup=name,
                    showlegend=column == 1,
                ),
                row=1,
                col=column,
            )
    figure.update_xaxes(title_text="epoch")
    for column in (1, 2):  # the traces go train loss, train error, validation loss, ...
        shown = [value for trace in figure.data[column - 1 :: 2] for value in trace.y]
        figure.update_yaxes(type="log", row=1, col=column, **log_ticks(shown))
    figure.update_layout(
        height=340, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.2)
    )
    return figure


def confusion_heatmap(matrix, normalize=False, hide_diagonal=False):
    """The confusion matrix as a heatmap: rows are true digits, columns predicted.

    Args:
        matrix: 10x10 counts.
        normalize: show each row as percentages of that digit's test images.
        hide_diagonal: blank the correct predictions so the mistakes stand out.
    """
    values = np.asarray(matrix, dtype=float)
    if normalize:
        values = 100 * values / np.maximum(values.sum(axis=1, keepdims=True), 1)
    if hide_diagonal:
        values = values.copy()
        np.fill_diagonal(values, np.nan)
    text = [
        ["" if np.isnan(v) else (f"{v:.1f}" if normalize else f"{v:.0f}") for v in row]
        for row in values
    ]
    labels = [str(digit) for digit in range(10)]
    # Counts get a colour bar from 0 in whole steps (one count alone made it run 0.6-1.4).
    most = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    whole = {} if normalize else dict(zmin=0, zmax=max(most, 1), colorbar=_whole_steps(most))
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=labels,
            y=labels,
            text=text,
            texttemplate="%{text}",
            **whole,
            colorscale="Reds",
            hoverongaps=False,
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    figure.update_layout(
        height=480,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title="predicted", type="category", side="top"),
        yaxis=dict(title="true", type="category", autorange="reversed"),
    )
    return figure


def _whole_steps(most):
    """A colour bar's ticks for counts up to `most`: whole numbers, at most about six."""
    step = max(1, math.ceil(most / 5))
    return dict(tick0=0, dtick=step, tickformat="d")


def number_probabilities(probabilities, digits):
    """A heatmap of each position's ten digit probabilities (rows: positions, left to right).

    Args:
        probabilities: float (N, 10), one row per digit of the number.
        digits: the N digits read, for the row labels.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    rows = [f"#{position + 1}: {digit}" for position, digit in enumerate(digits)]
    figure = go.Figure(
        go.Heatmap(
            z=probabilities,
            x=[str(digit) for digit in range(10)],
            y=rows,
            colorscale=[[0, "#f5f5f5"], [1, ACCENT]],
            zmin=0,
            zmax=1,
            text=[[f"{p:.0%}" if p >= 0.01 else "" for p in row] for row in probabilities],
            texttemplate="%{text}",
            hovertemplate="%{y}, digit %{x}: %{z:.2%}<extra></extra>",
            showscale=False,
        )
    )
    figure.update_layout(
        height=60 + 36 * len(rows),
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=None, type="category", side="top"),
        yaxis=dict(title=None, autorange="reversed", type="category"),
    )
    return figure


def risk_coverage_figure(curves, max_flagged=None, max_error=None):
    """Errors among the readings not flagged unsure, against the share flagged, one line a set.

    Args:
        curves: {set label: {"flagged": [...], "error_when_sure": [...]}}.
        max_flagged, max_error: the target, drawn as a shaded box (both or neither).
    """
    figure = go.Figure()
    for label, curve in curves.items():
        figure.add_trace(
            go.Scatter(
                x=curve["flagged"],
                y=curve["error_when_sure"],
                mode="lines+markers",
                marker=dict(size=4),
                name=label,
                hovertemplate="flagged %{x:.1%}: %{y:.2%} of the sure readings wrong"
                "<extra>" + label + "</extra>",
            )
        )
    if max_flagged is not None and max_error is not None:
        figure.add_shape(
            type="rect",
            x0=0,
            x1=max_flagged,
            y0=0,
            y1=max_error,
            fillcolor="rgba(46, 160, 67, 0.15)",
            line=dict(width=0),
        )
    figure.update_layout(
        height=360,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title="share flagged unsure", tickformat=".0%", rangemode="tozero"),
        yaxis=dict(title="wrong among the sure readings", tickformat=".1%", rangemode="tozero"),
        legend=dict(orientation="h", y=-0.25),
    )
    return figure
