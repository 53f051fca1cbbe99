"""The monitoring page's figures and tables: pure functions of the feedback samples (no Streamlit).

`samples` are `model.operations.feedback.Sample`s (anything with `created`, `predicted`, `label`,
`confidence` and `model_version` will do), newest first as the store returns them.
"""

from collections import Counter

import numpy as np
import plotly.graph_objects as go

from ui.figures import ACCENT, MUTED, confusion_heatmap

WINDOW = 20  # samples in the rolling accuracy
UNKNOWN_VERSION = "unknown"


def summary(samples, threshold):
    """The headline figures: samples, accuracy, mistakes, and the low-confidence rate.

    Args:
        samples: the feedback samples.
        threshold: confidence below which a reading counts as low-confidence.

    Returns:
        A dict; accuracy and low_confidence_rate are None without samples.
    """
    count = len(samples)
    correct = sum(sample.predicted == sample.label for sample in samples)
    low = sum(sample.confidence < threshold for sample in samples)
    return {
        "samples": count,
        "accuracy": correct / count if count else None,
        "mistakes": count - correct,
        "low_confidence_rate": low / count if count else None,
    }


def _rolling(values, window):
    sums = np.cumsum(np.asarray(values, dtype=float))
    counts = np.arange(1, len(values) + 1)
    sums[window:] = sums[window:] - sums[:-window]
    return sums / np.minimum(counts, window)


def accuracy_over_time(samples, threshold, window=WINDOW):
    """Rolling accuracy of each model version on its feedback, and the low-confidence rate.

    Each point is the share right among the last `window` samples of that version (fewer at
    the start), at the time of the latest one; the dotted line is the share of readings below
    `threshold`, over all versions.

    Args:
        samples: the feedback samples (any order).
        threshold: confidence below which a reading counts as low-confidence.
        window: samples per rolling average.

    Returns:
        A plotly Figure: one trace per version, then the low-confidence trace.
    """
    ordered = sorted(samples, key=lambda sample: (sample.created, sample.id))
    versions = sorted({sample.model_version or UNKNOWN_VERSION for sample in ordered})
    figure = go.Figure()
    palette = [ACCENT, "#2e86ab", "#3b9c4a", "#8e5ea2", "#c9a227", "#555555"]
    for index, version in enumerate(versions):
        part = [s for s in ordered if (s.model_version or UNKNOWN_VERSION) == version]
        figure.add_trace(
            go.Scatter(
                x=[sample.created for sample in part],
                y=_rolling([sample.predicted == sample.label for sample in part], window),
                name=f"accuracy, {version}",
                mode="lines+markers",
                line=dict(color=palette[index % len(palette)]),
                hovertemplate="%{x}: %{y:.0%}<extra>" + version + "</extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[sample.created for sample in ordered],
            y=_rolling([sample.confidence < threshold for sample in ordered], window),
            name=f"low confidence (< {threshold:.0%})",
            mode="lines",
            line=dict(color=MUTED, dash="dot"),
            hovertemplate="%{x}: %{y:.0%}<extra>low confidence</extra>",
        )
    )
    figure.update_layout(
        height=320,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis=dict(range=[-0.02, 1.05], tickformat=".0%", title=f"last {window} samples"),
        xaxis=dict(title=None),
        legend=dict(orientation="h", y=-0.2),
    )
    return figure


def confusion_counts(samples):
    """10x10 counts of the feedback: rows are the true digits, columns what the model read."""
    matrix = np.zeros((10, 10), dtype=int)
    for sample in samples:
        matrix[sample.label, sample.predicted] += 1
    return matrix


def feedback_confusion(samples, hide_diagonal=True):
    """The feedback's confusion matrix as a heatmap (see `ui.figures.confusion_heatmap`).

    Empty cells are left blank: with a few hundred samples, most of the 100 cells are 0.
    """
    counts = confusion_counts(samples).astype(float)
    counts[counts == 0] = np.nan
    return confusion_heatmap(counts, hide_diagonal=hide_diagonal)


def confused_pairs(samples, top=5):
    """The most frequent mistakes: true digit, what the model read, how often.

    Returns:
        Up to `top` dicts, most frequent first (ties: the smaller digits first).
    """
    mistakes = Counter((s.label, s.predicted) for s in samples if s.predicted != s.label)
    total = sum(mistakes.values())
    ranked = sorted(mistakes.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [
        {
            "true digit": true,
            "read as": predicted,
            "times": times,
            "% of mistakes": round(100 * times / total, 1),
        }
        for (true, predicted), times in ranked
    ]


def sample_rows(samples):
    """The samples table: one row per sample, without the images."""
    return [
        {
            "id": sample.id,
            "created": sample.created.replace("T", " ")[:19],
            "source": sample.source,
            "read as": sample.predicted,
            "true digit": sample.label,
            "confidence %": round(100 * sample.confidence, 1),
            "model version": sample.model_version,
        }
        for sample in samples
    ]


def mistake_caption(sample):
    """A recent mistake's caption: its id, true digits, what was read, how sure, by which
    model version, from where (Markdown: what was read in bold)."""
    return (
        f"#{sample.id}: {sample.label} read as **{sample.predicted}** "
        f"({sample.confidence:.0%}) · {sample.model_version or '?'} · {sample.source}"
    )
