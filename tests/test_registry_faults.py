"""A broken or tampered model registry degrades, it does not stop the app: Draw keeps reading
with the bundled v1 (verified by its committed checksums), admins are told why, visitors see
no path and no traceback; verification refuses the broken entries; an unwritable registry
refuses to activate with a clear message and leaves no temporary file."""

import os
import shutil
import tempfile
import traceback
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from strokes import draw_digit
from support import (
    ADMIN_PASSWORD,
    BREAKS,
    ROOT,
    add_bundled_copy,
    edit_manifest,
    missing_model_file,
    sign_in_as_admin,
)

from model import paths
from model.errors import RegistryError, TamperedModelError
from model.operations.registry import Registry, verify_bundled
from ui.widgets.admin import SIGNED_IN, _digest
from ui.widgets.canvas import Drawing
from ui.widgets.versions import serving_model


@pytest.fixture
def broken(request):
    """A registry whose active v2 is broken in one way (the test's parameter)."""
    registry = Registry()
    add_bundled_copy(registry)
    BREAKS[request.param](registry)
    return registry


@pytest.fixture
def drawing(monkeypatch):
    """The draw page's canvas returns a drawn 1 (AppTest cannot drag a mouse)."""
    image = draw_digit(1, canvas_size=360)
    monkeypatch.setattr(
        "ui.widgets.canvas.draw_canvas", lambda *arguments, **options: Drawing(image, None)
    )
    return image


def _draw_page():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def _reads_a_one(app):
    return any("predicted-digit" in md.value and ">1<" in md.value for md in app.markdown)


def _everything_shown(app):
    texts = [element.value for element in (*app.markdown, *app.caption, *app.error, *app.info)]
    texts += [element.value for element in (*app.warning, *app.success)]
    return "\n".join(map(str, texts))


@pytest.mark.parametrize("broken", list(BREAKS), indirect=True)
def test_draw_reads_with_the_bundled_v1_whatever_breaks(broken, drawing):
    assert serving_model().version == "v1" and serving_model().problem
    app = _draw_page().run()
    assert not app.exception, app.exception
    assert _reads_a_one(app)
    assert not app.error and not app.warning  # a visitor is not told about the server
    assert str(broken.folder) not in _everything_shown(app)


@pytest.mark.parametrize("broken", list(BREAKS), indirect=True)
def test_monitoring_shows_any_broken_registry_without_a_traceback(broken, admin_password):
    app = AppTest.from_file(str(ROOT / "pages" / "4_Monitoring.py"), default_timeout=120).run()
    assert not app.exception, app.exception
    assert str(broken.folder) not in _everything_shown(app)
    app = sign_in_as_admin(app)
    assert not app.exception, app.exception
    assert app.error or app.warning  # the admin is told what is wrong


def test_an_admin_is_told_that_the_bundled_v1_stands_in(drawing, monkeypatch):
    monkeypatch.setenv("DIGITS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    registry = Registry()
    add_bundled_copy(registry)
    missing_model_file(registry)
    app = _draw_page()
    app.session_state[SIGNED_IN] = _digest(ADMIN_PASSWORD)
    app.run()
    assert not app.exception and _reads_a_one(app)
    (notice,) = [warning.value for warning in app.warning]
    assert "Reading with the bundled v1" in notice and "is missing" in notice


def test_a_session_already_open_keeps_reading_when_the_active_version_breaks(drawing):
    registry = Registry()
    add_bundled_copy(registry)
    app = _draw_page().run()
    assert _reads_a_one(app) and serving_model().version == "v2"
    shutil.rmtree(registry.folder / "v2")
    app.run()
    assert not app.exception and _reads_a_one(app) and serving_model().version == "v1"


def test_feedback_records_the_version_that_really_read(drawing):
    from model.operations.feedback import FeedbackStore

    registry = Registry()
    add_bundled_copy(registry)
    missing_model_file(registry)
    app = _draw_page().run()
    next(button for button in app.button if button.label == "Yes, it is 1").click().run()
    (sample,) = FeedbackStore().samples()
    assert sample.model_version == "v1"


def test_a_tampered_bundled_model_stops_only_with_a_plain_message(drawing, tmp_path, monkeypatch):
    bundled = tmp_path / "bundled"
    shutil.copytree(paths.BUNDLED_DIR, bundled)
    monkeypatch.setattr(paths, "BUNDLED_DIR", bundled)
    with open(bundled / paths.MODEL_FILE, "ab") as model_file:
        model_file.write(b"\0")
    app = _draw_page().run()
    assert not app.exception
    (error,) = [error.value for error in app.error]
    assert error == "The model cannot be loaded, so nothing can be read right now."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda entry: entry.update(files={}), "lists no checksum for its digit_cnn.keras"),
        (lambda entry: entry["files"].pop(paths.MODEL_FILE), "lists no checksum"),
        (lambda entry: entry.pop("files"), "lists no checksum"),
        (lambda entry: entry.update(folder="../../../etc"), "not a folder of the registry"),
        (lambda entry: entry.update(folder="/etc"), "not a folder of the registry"),
        (lambda entry: entry.update(folder="."), "not a folder of the registry"),
        (lambda entry: entry.pop("folder"), "names no folder"),
        (lambda entry: entry["files"].update({"../x": "0" * 64}), "not a file name"),
    ],
    ids=[
        "files {}",
        "no model file",
        "no files",
        "../../../etc",
        "/etc",
        "the registry itself",
        "no folder",
        "../x",
    ],
)
def test_verification_refuses_an_entry_that_cannot_be_checked(tmp_path, change, message):
    registry = Registry(tmp_path)
    add_bundled_copy(registry)
    edit_manifest(registry, change)
    registry = Registry(tmp_path)
    with pytest.raises(TamperedModelError, match=message):
        registry.verify("v2")
    assert registry.status("v2") != "ok"
    with pytest.raises(TamperedModelError):
        registry.activate("v2")


def test_verification_refuses_a_missing_file(tmp_path):
    registry = Registry(tmp_path)
    add_bundled_copy(registry)
    (tmp_path / "v2" / paths.LITERT_FILE).unlink()
    with pytest.raises(TamperedModelError, match="digits.tflite is missing"):
        registry.verify()


def test_the_bundled_v1_is_verified_by_its_committed_checksums(tmp_path, monkeypatch):
    assert verify_bundled() == paths.BUNDLED_DIR / paths.MODEL_FILE
    bundled = tmp_path / "bundled"
    shutil.copytree(paths.BUNDLED_DIR, bundled)
    monkeypatch.setattr(paths, "BUNDLED_DIR", bundled)
    (bundled / paths.GATE_FILE).write_bytes(b"not the gate")
    with pytest.raises(TamperedModelError, match="gate.keras does not match"):
        verify_bundled()
    (bundled / paths.CHECKSUMS_FILE).unlink()
    with pytest.raises(TamperedModelError, match="cannot be read"):
        verify_bundled()


def test_activating_in_an_unwritable_registry_says_so_and_leaves_no_temporary_file(
    tmp_path, monkeypatch
):
    registry = Registry(tmp_path)
    add_bundled_copy(registry, activate=False)
    before = sorted(path.name for path in tmp_path.iterdir())

    def refused(source, target):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(RegistryError, match="cannot be written .Permission denied.; nothing"):
        registry.activate("v2")
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # no .manifest-*.json
    assert Registry(tmp_path).active == "v1"


def test_a_registry_folder_that_cannot_be_made_refuses_to_activate(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    registry = Registry(tmp_path / "a-file" / "registry")
    assert registry.active == "v1" and registry.verify() == paths.BUNDLED_DIR / paths.MODEL_FILE
    with pytest.raises(RegistryError, match="cannot be written"):
        registry.activate("v1")


NOBODY = 65534  # the unprivileged user of Debian and most Linux systems


def _exit_code_in_a_child(check, user=None):
    """Runs `check()` in a forked child process, as `user` when given (the child drops root for
    good; this process keeps it), and returns the child's exit code: 0 when `check` passed."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            if user is not None:
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)
            check()
            code = 0
        except BaseException:
            os.write(2, traceback.format_exc().encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_read_only_registry_folder_refuses_to_activate():
    # Root writes into read-only folders: run as root (as CI does), the check runs in a child
    # that has dropped to an unprivileged user, who owns the folder. The folder is made in /tmp,
    # since pytest's own temporary folders are closed to every user but root.
    folder = Path(tempfile.mkdtemp(prefix="read-only-registry-"))
    user = NOBODY if os.geteuid() == 0 else None
    try:
        add_bundled_copy(Registry(folder), activate=False)
        if user is not None:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, user, user)
        folder.chmod(0o555)

        def check():
            assert os.geteuid() != 0
            with pytest.raises(RegistryError, match="cannot be written"):
                Registry(folder).activate("v2")
            assert not list(folder.glob(".manifest-*"))
            assert Registry(folder).active == "v1"

        assert _exit_code_in_a_child(check, user) == 0
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_activate_in_an_unwritable_registry_shows_a_message_not_a_traceback(
    admin_password, monkeypatch
):
    registry = Registry()
    add_bundled_copy(registry, activate=False)

    def refused(source, target):
        raise PermissionError(13, "Permission denied", str(target))

    app = sign_in_as_admin(
        AppTest.from_file(str(ROOT / "pages" / "4_Monitoring.py"), default_timeout=120).run()
    )
    monkeypatch.setattr(os, "replace", refused)
    app.selectbox(key="monitor_versions_choice").select("v2").run()
    app.button(key="monitor_versions_activate").click().run()
    assert not app.exception, app.exception
    assert any("cannot be written" in error.value for error in app.error)
    assert not list(registry.folder.glob(".manifest-*")) and Registry().active == "v1"


@pytest.mark.parametrize(
    "change",
    [
        lambda entry: entry.update(metrics=["not", "a", "dict"]),
        lambda entry: entry.update(metrics={"mnist_test_accuracy": {"after": "high"}}),
        lambda entry: entry.update(metrics={"mnist_test_accuracy": {"after": 0.99}}),
        lambda entry: entry.update(created=20260301, parent=["v1"]),
        lambda entry: entry.update(files=["digit_cnn.keras"]),
        lambda entry: entry.update(folder=5),
    ],
    ids=["metrics a list", "accuracy a word", "no before", "odd types", "files a list", "folder 5"],
)
def test_an_entry_with_odd_values_breaks_no_page(change, drawing, admin_password):
    registry = Registry()
    add_bundled_copy(registry)
    edit_manifest(registry, change)
    pages = ["app.py", "pages/2_Evaluation.py", "pages/4_Monitoring.py"]
    for page in pages:
        app = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
        assert not app.exception, (page, app.exception)
    app = sign_in_as_admin(
        AppTest.from_file(str(ROOT / "pages" / "4_Monitoring.py"), default_timeout=120).run()
    )
    assert not app.exception, app.exception
    assert _reads_a_one(_draw_page().run())
