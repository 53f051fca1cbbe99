"""Model versions in the app: the verified active model, and the panel to switch or roll back.

A registry that cannot be read, or an active version that is refused (tampered, incomplete, an
entry without files or with a folder outside the registry), does not stop the app: it reads
with the bundled v1, checked against its committed checksums, and tells admins why.
"""

import streamlit as st

from model.errors import RegistryError
from model.operations.registry import BUNDLED_VERSION, Registry, serving_model
from ui.artifacts import readable_table
from ui.widgets.admin import is_admin, show_problem


def active_model_file():
    """The file of the model to read with (see `serving_model`); stops the page only when
    even the bundled v1 is refused. Admins are told when the bundled v1 stands in."""
    try:
        serving = serving_model()
    except RegistryError as error:
        show_problem("The model cannot be loaded, so nothing can be read right now.", error)
        st.stop()
    if serving.problem and is_admin():
        st.warning(
            f"Reading with the bundled {BUNDLED_VERSION}: the active model version is refused "
            f"({serving.problem}). The Monitoring page lists the versions."
        )
    return str(serving.model_file)


def active_version():
    """The id ("v1", ...) of the version the app reads with, or None when none can be."""
    try:
        return serving_model().version
    except RegistryError:
        return None


def _figure(entry, *keys):
    """A number from a manifest entry's nested dicts, or None when it is not one there (an
    entry written by hand may hold anything)."""
    value = entry
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fine_tune_note(entry):
    """What a fine-tuned active version changed, in one sentence; None for the bundled v1.

    Args:
        entry: the active version's manifest entry.
    """
    if not entry or not entry.get("parent"):
        return None
    parts = [f"The app now reads with **{entry['id']}**, fine-tuned from {entry['parent']}"]
    trained_on = _figure(entry, "metrics", "feedback_train")
    if trained_on is not None:
        parts[0] += f" on {trained_on:,} feedback digits"
    for name, keys, form in (
        ("MNIST test accuracy", ("mnist_test_accuracy",), ".2%"),
        ("held-out feedback", ("feedback_held_out_accuracy",), ".1%"),
    ):
        after = _figure(entry, "metrics", *keys, "after")
        before = _figure(entry, "metrics", *keys, "before")
        if after is not None:
            was = f" (was {before:{form}})" if before is not None else ""
            parts.append(f"{name} {after:{form}}{was}")
    return "; ".join(parts) + ". The figures below are the bundled v1's, as trained."


def active_version_entry():
    """The active version's manifest entry, or None when the registry cannot be read."""
    try:
        registry = Registry()
        registry.verify()
        return registry.version()
    except RegistryError:
        return None


def _change(action, key):
    """Runs `action(registry)` (activate or roll back), remembering what happened."""
    if not is_admin():
        return
    try:
        registry = Registry()
        action(registry)
        st.session_state[f"{key}_message"] = ("success", f"Active version: {registry.active}.")
    except RegistryError as error:
        st.session_state[f"{key}_message"] = ("error", str(error))


def versions_panel(key, admin):
    """The active version and every version's metrics and checksum status; for an admin,
    also switch and roll back, and the problems in full.

    Args:
        key: a widget key prefix of the page's own.
        admin: whether this session is an admin's (`ui.widgets.admin.is_admin()`).
    """
    try:
        registry = Registry()
    except RegistryError as error:
        show_problem(
            f"The model registry cannot be read; the app reads with the bundled {BUNDLED_VERSION}.",
            error,
        )
        return
    statuses = {entry["id"]: registry.status(entry["id"]) for entry in registry.versions}
    st.metric("Active model version", registry.active)
    # A table that wraps its headers: it fits the page instead of hiding its last columns.
    st.table(
        readable_table(version_rows(registry.versions, registry.active, statuses)), hide_index=True
    )
    if statuses[registry.active] != "ok":
        st.warning(
            f"The active version {registry.active} is refused: the app reads with the bundled "
            f"{BUNDLED_VERSION}."
        )
    if not admin:
        st.caption("Switching or rolling back the model version is for admins: sign in first.")
        return
    for status in statuses.values():
        if status != "ok":
            st.error(status)
    ids = [entry["id"] for entry in registry.versions]
    choice_column, activate_column, rollback_column = st.columns(
        [2, 1, 1], vertical_alignment="bottom"
    )
    choice = choice_column.selectbox(
        "Version", ids, index=ids.index(registry.active), key=f"{key}_choice"
    )
    activate_column.button(
        "Activate",
        key=f"{key}_activate",
        disabled=choice == registry.active,
        on_click=_change,
        args=(lambda registry: registry.activate(choice), key),
        width="stretch",
    )
    parent = registry.version().get("parent")
    rollback_column.button(
        f"Roll back to {parent}" if parent else "Roll back",
        key=f"{key}_rollback",
        disabled=parent is None,
        on_click=_change,
        args=(lambda registry: registry.rollback(), key),
        width="stretch",
    )
    message = st.session_state.pop(f"{key}_message", None)
    if message:
        getattr(st, message[0])(message[1])
    st.caption(
        f"Registry: `{registry.folder}` (set `DIGITS_REGISTRY` to move it). Every file of a "
        "version is checked against the sha256 in its manifest before it is loaded."
    )


def version_rows(versions, active, statuses):
    """The model versions table: one row per version, newest first.

    Args:
        versions: the registry manifest's entries.
        active: the active version's id.
        statuses: version id -> "ok" or why it cannot be loaded.
    """

    def percent(value):
        return None if value is None else round(100 * value, 2)

    rows = []
    for entry in reversed(versions):
        mnist, feedback = "mnist_test_accuracy", "feedback_held_out_accuracy"
        rows.append(
            {
                "version": entry["id"] + (" (active)" if entry["id"] == active else ""),
                "parent": str(entry.get("parent") or ""),
                "created": str(entry.get("created") or "")[:16].replace("T", " "),
                "MNIST test %": percent(_figure(entry, "metrics", mnist, "after")),
                "MNIST before %": percent(_figure(entry, "metrics", mnist, "before")),
                "feedback held-out before %": percent(
                    _figure(entry, "metrics", feedback, "before")
                ),
                "feedback held-out after %": percent(_figure(entry, "metrics", feedback, "after")),
                "files": "ok" if statuses[entry["id"]] == "ok" else "TAMPERED or missing",
            }
        )
    return rows
