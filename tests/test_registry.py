"""The model registry: versions, activation and rollback, and checksums that refuse tampering."""

import json
import os
import shutil

import pytest
from support import ROOT, add_bundled_copy, run_cli

from model import paths
from model.checksums import (
    folder_checksums,
    sha256_file,
    write_checksums,
)
from model.cli import main
from model.errors import RegistryError, TamperedModelError
from model.operations.registry import Registry


def _tamper(path):
    """Changes one byte in place and puts the modification time back."""
    status = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_a_new_registry_starts_with_the_bundled_model_as_v1(tmp_path):
    registry = Registry(tmp_path / "registry")
    assert registry.active == "v1" and [v["id"] for v in registry.versions] == ["v1"]
    assert not (tmp_path / "registry").exists()  # nothing is written until a version is added
    files = registry.version("v1")["files"]
    assert set(files) == set(folder_checksums(paths.BUNDLED_DIR))
    assert {paths.MODEL_FILE, paths.LITERT_FILE, paths.LITERT_MORE_FILES[0]} <= set(files)
    assert files[paths.MODEL_FILE] == sha256_file(paths.BUNDLED_DIR / paths.MODEL_FILE)
    assert registry.verify() == paths.BUNDLED_DIR / paths.MODEL_FILE
    card = json.loads((paths.BUNDLED_DIR / paths.CARD_FILE).read_text())
    assert (
        registry.version("v1")["metrics"]["mnist_test_accuracy"]["after"] == (card["test_accuracy"])
    )


def test_add_activate_and_roll_back(tmp_path):
    registry = Registry(tmp_path)
    assert add_bundled_copy(registry) == "v2"
    assert registry.active == "v2" and registry.version()["parent"] == "v1"
    assert registry.model_path() == tmp_path / "v2" / paths.MODEL_FILE
    assert not list(tmp_path.glob(".staging-*"))
    assert add_bundled_copy(registry, activate=False) == "v3"
    assert Registry(tmp_path).active == "v2"
    assert registry.rollback() == "v1"
    assert Registry(tmp_path).active == "v1"
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback()
    registry.activate("v3")
    assert Registry(tmp_path).active == "v3" and registry.version("v3")["parent"] == "v2"
    with pytest.raises(RegistryError, match="no model version 'v9'"):
        registry.activate("v9")


def test_a_tampered_model_file_is_refused(tmp_path):
    registry = Registry(tmp_path)
    add_bundled_copy(registry)
    assert registry.status("v2") == "ok"
    _tamper(tmp_path / "v2" / paths.MODEL_FILE)
    for attempt in (registry.verify, registry.load_predictor, Registry(tmp_path).verify):
        with pytest.raises(TamperedModelError, match=r"v2/digit_cnn\.keras does not match"):
            attempt()
    assert "does not match its sha256" in registry.status("v2")
    assert registry.rollback() == "v1"
    with pytest.raises(TamperedModelError):
        registry.activate("v2")
    assert registry.active == "v1"


def test_a_tampered_gate_or_a_missing_file_is_refused(tmp_path):
    registry = Registry(tmp_path)
    add_bundled_copy(registry)
    _tamper(tmp_path / "v2" / paths.GATE_FILE)
    with pytest.raises(TamperedModelError, match="gate.keras"):
        registry.verify()
    shutil.copyfile(paths.BUNDLED_DIR / paths.GATE_FILE, tmp_path / "v2" / paths.GATE_FILE)
    assert registry.status() == "ok"
    (tmp_path / "v2" / paths.CALIBRATION_FILE).unlink()
    with pytest.raises(TamperedModelError, match="calibration.json is missing"):
        registry.verify()


def test_the_verified_model_loads_and_predicts(tmp_path, mnist_dir):
    from model.data.mnist import load_mnist

    registry = Registry(tmp_path)
    add_bundled_copy(registry)
    predictor = registry.load_predictor()
    test = load_mnist(mnist_dir, validation_size=0)
    accuracy = predictor.predict_batch(test.x_test[:500]).argmax(axis=1) == test.y_test[:500]
    assert accuracy.mean() > 0.98 and predictor.engine.has_gate


def test_a_broken_manifest_is_reported_and_left_untouched(tmp_path):
    (tmp_path / "manifest.json").write_text('{"active": "v2", "versions": [')
    with pytest.raises(RegistryError, match="cannot be read.*left untouched"):
        Registry(tmp_path)
    (tmp_path / "manifest.json").write_text('{"active": "v7", "versions": []}')
    with pytest.raises(RegistryError, match="not a model registry manifest"):
        Registry(tmp_path)
    assert (tmp_path / "manifest.json").read_text() == '{"active": "v7", "versions": []}'


def test_the_default_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_REGISTRY", str(tmp_path / "elsewhere"))
    registry = Registry()
    assert registry.manifest_path == tmp_path / "elsewhere" / "manifest.json"
    add_bundled_copy(registry)
    assert json.loads(registry.manifest_path.read_text())["active"] == "v2"


def test_command_line_versions_activate_rollback_and_tampering(tmp_path, capsys):
    registry = Registry(tmp_path)
    add_bundled_copy(registry)
    assert main(["versions", "--registry", str(tmp_path)]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["active"] == "v2" and [v["status"] for v in listing["versions"]] == ["ok"] * 2
    assert main(["rollback", "--registry", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"active": "v1"}
    _tamper(tmp_path / "v2" / paths.MODEL_FILE)
    assert main(["activate", "v2", "--registry", str(tmp_path)]) == 2
    assert "does not match its sha256" in capsys.readouterr().err
    assert Registry(tmp_path).active == "v1"


def test_predict_uses_the_active_version_and_refuses_it_when_tampered(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_REGISTRY", str(tmp_path))
    add_bundled_copy(Registry())
    _tamper(tmp_path / "v2" / paths.MODEL_FILE)
    sample = ROOT / "assets" / "samples" / "pen-4.jpg"
    run = run_cli("predict", sample)
    assert run.returncode == 2 and "refusing model version v2" in run.stderr
    assert "Traceback" not in run.stderr
    Registry().rollback()
    run = run_cli("predict", sample)
    assert run.returncode == 0 and json.loads(run.stdout)["digit"] == 4


@pytest.mark.artifacts
def test_the_bundled_checksums_are_committed_and_current():
    assert json.loads((paths.BUNDLED_DIR / paths.CHECKSUMS_FILE).read_text()) == folder_checksums(
        paths.BUNDLED_DIR
    ), "the bundled model changed: run `python -m model export --format litert` to record it"


def test_a_changed_bundled_file_is_refused_and_a_new_bundled_model_is_not(tmp_path, monkeypatch):
    bundled = tmp_path / "bundled"
    shutil.copytree(paths.BUNDLED_DIR, bundled)
    monkeypatch.setattr(paths, "BUNDLED_DIR", bundled)
    registry = Registry(tmp_path / "registry")
    calibration = bundled / paths.CALIBRATION_FILE
    fitted = json.loads(calibration.read_text())
    calibration.write_text(json.dumps({**fitted, "threshold": 0.01}))
    with pytest.raises(TamperedModelError, match="calibration.json does not match"):
        registry.verify()
    write_checksums(bundled)  # what a rebuild or a pull of a new bundled model brings
    assert Registry(tmp_path / "registry").verify() == bundled / paths.MODEL_FILE
