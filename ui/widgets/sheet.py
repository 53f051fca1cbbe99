"""A sheet's numbers on the Upload page: the list, and why each was read so."""

import math

import streamlit as st

from ui.widgets.views import plain_text, show_why_number


def page_rows(page):
    """One row per number of a `Page`, in reading order: its place, text, confidence (the
    product of its digits') and whether it is sure."""
    return [
        {
            "#": place,
            "Number": number.text,
            "Confidence": math.prod(digit.confidence for digit in number.digits),
            "Sure": not number.uncertain,
        }
        for place, number in enumerate(page.numbers, start=1)
    ]


def show_page(page, predictor, key):
    """Every number found on a sheet, listed top to bottom, then left to right, each with
    "Why?" (the model's evidence for one of its digits)."""
    if not page.numbers:
        st.warning(f"No handwritten number found on this sheet ({plain_text(page.reason)}).")
        return
    count = len(page.numbers)
    st.markdown(
        f"**{count} number{'s' if count > 1 else ''}**, top to bottom, then left to right "
        "(numbered as boxed on the picture)."
    )
    for row, number in zip(page_rows(page), page.numbers, strict=True):
        doubt = " · **not sure**" if number.uncertain else ""
        st.markdown(
            f"<div class='page-number'>{row['#']}. <b>{row['Number']}</b> · "
            f"{row['Confidence']:.0%}{doubt}</div>",
            unsafe_allow_html=True,
        )
        show_why_number(number, predictor, key=f"{key}_{row['#']}", label="Why?")
    if page.ignored:
        st.caption(
            f"Left out: {len(page.ignored)} mark{'s' if len(page.ignored) > 1 else ''} that "
            "are not handwritten numbers (printed labels, lines, scribbles)."
        )
