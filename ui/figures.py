"""Plotly figures for the pages. Pure functions of their data: unit-tested without a browser."""

import numpy as np
import plotly.graph_objects as go

ACCENT = "#e4572e"
MUTED = "#9aa5b1"


def probability_bars(probabilities, highlight=None):
    """A bar chart of the ten digit probabilities, the predicted digit highlighted."""
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
