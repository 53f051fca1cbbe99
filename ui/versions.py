"""Model versions in the app: the verified active model, and the panel to switch or roll back."""

import streamlit as st

from model.errors import RegistryError
from model.operations.registry import Registry


def active_model_file():
    """The active version's model file, its checksums verified; stops the page if refused."""
    try:
        return str(Registry().verify())
    except RegistryError as error:
        st.error(f"The model cannot be loaded: {error} The Monitoring page lists the versions.")
        st.stop()


def active_version():
    """The active version's id ("v1", ...), or None when the registry cannot be read."""
    try:
        return Registry().active
    except RegistryError:
        return None


def fine_tune_note(entry):
    """What a fine-tuned active version changed, in one sentence; None for the bundled v1.

    Args:
        entry: the active version's manifest entry.
    """
    if not entry or not entry.get("parent"):
        return None
    metrics = entry.get("metrics", {})
    mnist = metrics.get("mnist_test_accuracy", {})
    feedback = metrics.get("feedback_held_out_accuracy", {})
    parts = [f"The app now reads with **{entry['id']}**, fine-tuned from {entry['parent']}"]
    if "feedback_train" in metrics:
        parts[0] += f" on {metrics['feedback_train']:,} feedback digits"
    if "after" in mnist:
        parts.append(f"MNIST test accuracy {mnist['after']:.2%} (was {mnist['before']:.2%})")
    if feedback.get("after") is not None:
        parts.append(f"held-out feedback {feedback['after']:.1%} (was {feedback['before']:.1%})")
    return "; ".join(parts) + ". The figures below are the bundled v1's, as trained."


def active_version_entry():
    """The active version's manifest entry, or None when the registry cannot be read."""
    try:
        return Registry().version()
    except RegistryError:
        return None


def _change(action, key):
    """Runs `action(registry)` (activate or roll back), remembering what happened."""
    try:
        registry = Registry()
        action(registry)
        st.session_state[f"{key}_message"] = ("success", f"Active version: {registry.active}.")
    except RegistryError as error:
        st.session_state[f"{key}_message"] = ("error", str(error))


def versions_panel(key):
    """The active version, every version's metrics and checksum status, switch and roll back."""
    try:
        registry = Registry()
    except RegistryError as error:
        st.error(str(error))
        return
    statuses = {entry["id"]: registry.status(entry["id"]) for entry in registry.versions}
    st.metric("Active model version", registry.active)
    st.dataframe(
        version_rows(registry.versions, registry.active, statuses), hide_index=True, width="stretch"
    )
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
    parent = registry.version()["parent"]
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
        metrics = entry.get("metrics", {})
        mnist = metrics.get("mnist_test_accuracy", {})
        feedback = metrics.get("feedback_held_out_accuracy", {})
        rows.append(
            {
                "version": entry["id"] + (" (active)" if entry["id"] == active else ""),
                "parent": entry.get("parent") or "",
                "created": (entry.get("created") or "")[:16].replace("T", " "),
                "MNIST test %": percent(mnist.get("after")),
                "MNIST before %": percent(mnist.get("before")),
                "feedback held-out before %": percent(feedback.get("before")),
                "feedback held-out after %": percent(feedback.get("after")),
                "files": "ok" if statuses[entry["id"]] == "ok" else "TAMPERED or missing",
            }
        )
    return rows
