"""The "Is this right?" question under a reading: confirm it or give the true digits."""

import hashlib
import time

import streamlit as st

from model.errors import FeedbackError
from model.operations.feedback import FeedbackStore, crop_png
from ui.widgets.admin import is_admin
from ui.widgets.versions import active_version

# For this long after an answer is stored, the page thanks for it; after, the same picture (drawn
# or uploaded again) is told it is already stored: it is not stored twice.
THANKS_SECONDS = 3.0


def _fingerprint(reading):
    digest = hashlib.sha1(b"".join(digit.image28.tobytes() for digit in reading.digits))
    return digest.hexdigest()[:12]


def _save(reading, image, labels, source, key):
    """Stores one row per digit of `reading` with its true label, all in one transaction;
    remembers the outcome."""
    try:
        store = FeedbackStore()
        version = active_version()
        store.add_many(
            {
                "image28": digit.image28,
                "predicted": digit.digit,
                "label": label,
                "confidence": digit.confidence,
                "source": source,
                "crop_png": crop_png(image, digit.box),
                "model_version": version,
            }
            for digit, label in zip(reading.digits, labels, strict=True)
        )
    except FeedbackError as error:
        details = f" {error}" if is_admin() else ""
        message = f"Not saved: the feedback database cannot be used right now.{details}"
        st.session_state[f"{key}_outcome"] = ("error", message)
        return
    st.session_state[f"{key}_outcome"] = ("saved", "".join(map(str, labels)), time.monotonic())


def _save_picked(reading, image, source, key):
    picked = st.session_state.get(f"{key}_pick")
    if picked is not None:
        _save(reading, image, [picked], source, key)


def _save_typed(reading, image, source, key):
    typed = st.session_state.get(f"{key}_typed", "").strip()
    if len(typed) != len(reading.digits) or not typed.isdigit():
        st.session_state[f"{key}_outcome"] = (
            "error",
            f"Type exactly {len(reading.digits)} digits, one for each digit read (got “{typed}”).",
        )
        return
    _save(reading, image, [int(character) for character in typed], source, key)


def ask_if_right(reading, image, source, key):
    """Asks whether a reading is right; a confirmation or a correction is stored as feedback.

    One digit: a "Yes" button, or a click on the true digit. A number: a "Yes" button, or the
    whole number typed. Each digit is stored with its 28x28 image and a PNG of its crop.

    Args:
        reading: a `Reading` with at least one digit.
        image: the picture it was read from (the crops are cut from it).
        source: "canvas" or "photo".
        key: a widget key prefix of the page's own; a new reading gets fresh widgets.
    """
    key = f"{key}_{_fingerprint(reading)}"
    arguments = (reading, image, source, key)
    outcome = st.session_state.get(f"{key}_outcome")
    if outcome and outcome[0] == "saved":
        _, stored, saved_at = outcome
        answer = (
            f"Confirmed: {reading.text}"
            if stored == reading.text
            else f"Corrected: {reading.text} → {stored}"
        )
        if time.monotonic() - saved_at < THANKS_SECONDS:
            st.success(f"Saved — thank you. {answer}.")
        else:
            st.info(
                f"Already stored: you answered for this same picture before ({answer}); "
                "it is not stored again."
            )
        return
    st.markdown("**Is this right?**")
    labels = [digit.digit for digit in reading.digits]
    st.button(
        f"Yes, it is {reading.text}",
        key=f"{key}_yes",
        icon=":material/check:",
        on_click=_save,
        args=(reading, image, labels, source, key),
    )
    if len(reading.digits) == 1:
        st.pills(
            "No, it is…",
            list(range(10)),
            key=f"{key}_pick",
            wrap=True,  # in a column it would stay on one row, 8 and 9 scrolled out of view
            on_change=_save_picked,
            args=arguments,
        )
    else:
        with st.form(f"{key}_form", border=False):
            st.text_input(
                "No, it is…",
                max_chars=len(reading.digits),
                placeholder=f"type the {len(reading.digits)} digits",
                key=f"{key}_typed",
            )
            st.form_submit_button("Save correction", on_click=_save_typed, args=arguments)
    if outcome and outcome[0] == "error":
        st.error(outcome[1])
