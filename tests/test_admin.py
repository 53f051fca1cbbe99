"""Admin access: deleting and exporting feedback, seeing people's drawings and switching the
model version are off for everyone unless an admin is configured, and for visitors then;
visitors see the aggregate figures and no server path."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from support import ADMIN_PASSWORD, ROOT, add_bundled_copy, sign_in_as_admin

from model.operations.feedback import FeedbackStore
from model.operations.registry import Registry
from ui.widgets.admin import Guesses, is_admin_user

ADMIN_KEYS = (
    "monitor_delete",
    "monitor_delete_id",
    "monitor_versions_activate",
    "monitor_versions_rollback",
    "monitor_versions_choice",
)


def _monitoring():
    return AppTest.from_file(str(ROOT / "pages" / "4_Monitoring.py"), default_timeout=120)


@pytest.fixture
def feedback():
    """A real database with right and wrong readings, and a second model version."""
    store = FeedbackStore()
    image = np.zeros((28, 28), dtype=np.uint8)
    for predicted in (4, 4, 9):
        store.add(image28=image, predicted=predicted, label=4, confidence=0.9, source="canvas")
    add_bundled_copy(Registry())
    return store


def _shown_admin_controls(app):
    """The admin widgets on the page, then one "download" per export button."""
    kinds = ("button", "number_input", "selectbox")
    keys = {widget.key for kind in kinds for widget in app.get(kind)}
    downloads = app.get("download_button")
    return sorted(key for key in ADMIN_KEYS if key in keys) + ["download"] * len(downloads)


def _text(app):
    elements = (*app.markdown, *app.caption, *app.info, *app.error, *app.warning, *app.success)
    return "\n".join(str(element.value) for element in elements)


def _drawings_shown(app):
    return [caption.value for caption in app.caption if " read as **" in caption.value]


def _assert_visitor_view(app, store):
    assert not app.exception, app.exception
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Feedback samples"] == "3" and shown["Mistakes"] == "1"  # figures: for all
    assert shown["Active model version"] == "v2"
    assert _shown_admin_controls(app) == []
    assert not app.get("imgs") and _drawings_shown(app) == []
    assert str(store.path) not in _text(app) and str(Registry().folder) not in _text(app)
    assert "data/" not in _text(app) and "/tmp" not in _text(app)


def test_without_an_admin_configured_nobody_gets_the_admin_actions(feedback):
    app = _monitoring().run()
    _assert_visitor_view(app, feedback)
    assert any("no admin is configured" in caption.value for caption in app.sidebar.caption)
    assert not app.text_input and not [b for b in app.button if b.label == "Sign in as admin"]


def test_with_a_password_a_visitor_sees_the_form_and_no_admin_actions(feedback, admin_password):
    app = _monitoring().run()
    _assert_visitor_view(app, feedback)
    assert app.sidebar.text_input(key="monitor_admin_password").proto.type == 1  # PASSWORD


def test_a_wrong_password_is_refused(feedback, admin_password, monkeypatch):
    monkeypatch.setattr("ui.widgets.admin.WRONG_PASSWORD_PAUSE", 0)
    app = sign_in_as_admin(_monitoring().run(), password="correct horse battery")
    assert any(error.value == "Wrong admin password." for error in app.error)
    _assert_visitor_view(app, feedback)
    app = sign_in_as_admin(app, password="")
    _assert_visitor_view(app, feedback)


def test_wrong_passwords_lock_the_address_out_in_every_session(
    feedback, admin_password, monkeypatch
):
    monkeypatch.setattr("ui.widgets.admin.WRONG_PASSWORD_PAUSE", 0)
    guessing = _monitoring().run()
    for attempt in range(5):
        guessing = sign_in_as_admin(guessing, password=f"guess {attempt}")
    assert any("Too many wrong admin passwords" in error.value for error in guessing.error)
    # A new tab (a new session) is locked out too, even with the right password.
    fresh = sign_in_as_admin(_monitoring().run())
    assert any("Too many wrong admin passwords" in error.value for error in fresh.error)
    _assert_visitor_view(fresh, feedback)


def test_the_guess_record_forgets_old_guesses_and_ends_lockouts():
    now = [0.0]
    guesses = Guesses(limit=3, window=60, lockout=120, clock=lambda: now[0])
    guesses.wrong("a")
    guesses.wrong("a")
    now[0] = 61.0  # the first two fall out of the window
    guesses.wrong("a")
    assert guesses.locked_for("a") == 0
    guesses.wrong("a")
    guesses.wrong("a")
    assert guesses.locked_for("a") == 120 and guesses.locked_for("b") == 0
    now[0] = 181.5
    assert guesses.locked_for("a") == 0
    guesses.wrong("a")
    guesses.right("a")  # the right password clears the record
    guesses.wrong("a")
    guesses.wrong("a")
    assert guesses.locked_for("a") == 0


def test_the_right_password_shows_the_admin_actions_and_the_paths(feedback, admin_password):
    app = sign_in_as_admin(_monitoring().run())
    assert not app.exception, app.exception
    assert _shown_admin_controls(app) == sorted(ADMIN_KEYS) + ["download", "download"]
    assert len(_drawings_shown(app)) == 1  # the one mistake, with its pictures
    assert str(feedback.path) in _text(app) and str(Registry().folder) in _text(app)
    assert not app.text_input  # signed in: no password form
    next(button for button in app.button if button.label == "Sign out").click().run()
    _assert_visitor_view(app, feedback)


def test_a_changed_password_signs_the_admin_out(feedback, admin_password, monkeypatch):
    app = sign_in_as_admin(_monitoring().run())
    assert _shown_admin_controls(app)
    monkeypatch.setenv("DIGITS_ADMIN_PASSWORD", "a new password")
    app.run()
    _assert_visitor_view(app, feedback)


def test_the_password_may_come_from_the_secrets_file(feedback):
    app = _monitoring()
    app.secrets["admin_password"] = ADMIN_PASSWORD
    app = sign_in_as_admin(app.run())
    assert _shown_admin_controls(app) == sorted(ADMIN_KEYS) + ["download", "download"]


def test_a_visitor_cannot_switch_versions_by_a_stale_callback(feedback, admin_password):
    # Signed in, then out: the buttons are gone, and their callback checks again anyway.
    from ui.widgets.versions import _change

    app = sign_in_as_admin(_monitoring().run())
    next(button for button in app.button if button.label == "Sign out").click().run()
    _change(lambda registry: registry.rollback(), "monitor_versions")
    assert Registry().active == "v2"


def _with_oidc(app):
    app.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "secret",
        "server_metadata_url": "https://accounts.example.org/.well-known/openid-configuration",
    }
    app.secrets["admins"] = ["admin@example.org"]
    return app


def test_with_oidc_configured_the_sign_in_button_is_shown(feedback, monkeypatch):
    monkeypatch.setattr("ui.widgets.admin._oidc_available", lambda: True)
    app = _with_oidc(_monitoring()).run()
    _assert_visitor_view(app, feedback)
    assert [button.label for button in app.sidebar.button] == ["Sign in as admin"]


def test_with_oidc_configured_but_no_authlib_the_page_says_sign_in_is_unavailable(
    feedback, monkeypatch
):
    monkeypatch.setattr("ui.widgets.admin._oidc_available", lambda: False)
    app = _with_oidc(_monitoring()).run()
    _assert_visitor_view(app, feedback)
    assert not app.sidebar.button
    assert any("not available on this server" in c.value for c in app.sidebar.caption)


def test_an_oidc_user_is_an_admin_only_when_listed_and_verified():
    admins = ("admin@example.org",)
    user = {"is_logged_in": True, "email": "Admin@Example.org", "email_verified": True}
    assert is_admin_user(user, admins)
    assert not is_admin_user({**user, "email": "someone@example.org"}, admins)
    assert not is_admin_user({**user, "email_verified": False}, admins)
    assert not is_admin_user({**user, "is_logged_in": False}, admins)
    assert not is_admin_user(user, ())
    assert not is_admin_user({"is_logged_in": True}, admins)


def test_visitors_never_see_a_traceback_or_error_details(monkeypatch):
    from streamlit import config

    monkeypatch.chdir(ROOT)  # Streamlit reads ./.streamlit/config.toml
    config._config_options = None  # read the repository's .streamlit/config.toml afresh
    config.get_config_options(force_reparse=True, options_from_flags={})
    assert config.get_option("client.showErrorDetails") == "none"
    assert config.get_option("server.maxUploadSize") == 10


def test_an_empty_database_names_no_path_to_a_visitor():
    app = _monitoring().run()
    (info,) = [info.value for info in app.info]
    assert info.startswith("No feedback yet") and "`" not in info


def test_the_readme_section_the_sidebar_names_is_there(feedback):
    app = _monitoring().run()
    (caption,) = [c.value for c in app.sidebar.caption if "no admin is configured" in c.value]
    named = re.search(r"README, “([^”]+)”", caption)
    assert named, caption
    headings = re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), flags=re.MULTILINE)
    assert named.group(1) in headings, (named.group(1), headings)
