"""The package's import rules: reading a picture (in the app, the CLI or the HTTP API) never pulls
in TensorFlow, training or the study.

Checked twice: statically, on every module's import statements, and for real, on `sys.modules`
in a fresh process after importing the predictor, rendering the app's pages, running the CLI's
reading commands and reading through the API.
"""

import ast
import json
import re
from pathlib import Path

import pytest
from support import ROOT, run_python

HEAVY = ("tensorflow", "keras")
NOT_FOR_INFERENCE = (*HEAVY, "model.training", "model.study")


def _imports(path, top_level_only):
    """The modules a file imports (absolute names), at module level or anywhere."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _breaks(names, forbidden):
    return sorted(
        {name for name in names if any(name == f or name.startswith(f + ".") for f in forbidden)}
    )


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "model" / "inference").glob("*.py"), *(ROOT / "model" / "api").glob("*.py")]),
    ids=lambda path: str(path.relative_to(ROOT / "model")),
)
def test_inference_and_api_modules_never_import_training_study_or_tensorflow(path):
    # Anywhere in the file for training and the study; TF and Keras only at module level,
    # since the Keras engine imports Keras inside the function that a caller asks for.
    assert _breaks(_imports(path, top_level_only=False), ("model.training", "model.study")) == []
    assert _breaks(_imports(path, top_level_only=True), HEAVY) == []
    assert _breaks(_imports(path, top_level_only=False), ("streamlit",)) == []
    if path.parent.name == "inference":
        # Inference sits below operations, the API and the batch jobs: no arrow runs back up.
        above = ("model.operations", "model.api", "model.batch", "model.data")
        assert _breaks(_imports(path, top_level_only=False), above) == []


def _modules_of(package):
    return sorted((ROOT / "model" / package).glob("*.py"))


@pytest.mark.parametrize(
    "path", _modules_of("data"), ids=lambda path: str(path.relative_to(ROOT / "model"))
)
def test_data_modules_never_import_tensorflow_streamlit_training_study_or_operations(path):
    # scikit-learn only inside the functions that read the UCI digits or split them.
    forbidden = (*HEAVY, "streamlit", "model.training", "model.study", "model.operations")
    assert _breaks(_imports(path, top_level_only=False), forbidden) == []
    assert _breaks(_imports(path, top_level_only=True), ("sklearn",)) == []


@pytest.mark.parametrize(
    "path", _modules_of("operations"), ids=lambda path: str(path.relative_to(ROOT / "model"))
)
def test_operations_modules_import_tensorflow_only_when_exporting(path):
    forbidden = ("streamlit", "model.training", "model.study", "model.api", "model.batch")
    assert _breaks(_imports(path, top_level_only=False), forbidden) == []
    assert _breaks(_imports(path, top_level_only=True), HEAVY) == []
    if path.name != "export.py":
        assert _breaks(_imports(path, top_level_only=False), HEAVY) == []


def test_checksums_stand_below_every_package():
    path = ROOT / "model" / "checksums.py"
    assert [name for name in _imports(path, False) if name.startswith("model")] == [
        "model",
        "model.paths",
    ]


def test_results_read_json_only():
    # The pages and the docs renderer share it: no TensorFlow, Streamlit, training or study.
    names = _imports(ROOT / "model" / "results.py", top_level_only=False)
    assert [name for name in names if name.startswith("model") and "data" not in name] == []
    assert _breaks(names, (*HEAVY, "streamlit", "numpy")) == []


def _ui_modules_named(kind):
    """The `ui` modules that `ui/__init__.py` names in its paragraph starting with `kind`."""
    doc = ast.get_docstring(ast.parse((ROOT / "ui" / "__init__.py").read_text()))
    paragraph = next(part for part in doc.split("\n\n") if part.startswith(kind))
    return set(re.findall(r"`(\w+)`", paragraph.split(":")[1]))


def test_ui_says_which_modules_use_streamlit():
    pure, streamlit = _ui_modules_named("Pure"), _ui_modules_named("Streamlit")
    modules = {path.stem for path in (ROOT / "ui").glob("*.py")} - {"__init__"}
    assert pure | streamlit == modules and not pure & streamlit
    for name in modules:
        names = _imports(ROOT / "ui" / f"{name}.py", top_level_only=False)
        assert bool(_breaks(names, ("streamlit",))) == (name in streamlit), name
        assert _breaks(names, NOT_FOR_INFERENCE) == [], name


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "model" / "batch").glob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT / "model")),
)
def test_batch_modules_never_import_tensorflow_streamlit_training_or_study(path):
    # Dask only in `cluster`, which the job imports when a cluster is asked for.
    forbidden = ("model.training", "model.study", "streamlit", *HEAVY)
    assert _breaks(_imports(path, top_level_only=False), forbidden) == []
    if path.name != "cluster.py":
        assert _breaks(_imports(path, top_level_only=True), ("dask", "distributed")) == []


def test_nothing_but_the_cli_imports_the_study():
    offenders = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", "tests") or relative.parts[:2] == ("model", "study"):
            continue
        if relative == Path("model/cli.py"):
            continue
        broken = _breaks(_imports(path, top_level_only=False), ("model.study",))
        if broken:
            offenders[str(relative)] = broken
    assert offenders == {}


def test_the_rules_checker_sees_a_broken_rule(tmp_path):
    module = tmp_path / "leak.py"
    module.write_text("import numpy\n\ndef f():\n    from model.training.cnn import train\n")
    assert _breaks(_imports(module, False), ("model.training",)) == [
        "model.training.cnn",
        "model.training.cnn.train",
    ]
    assert _breaks(_imports(module, True), ("model.training",)) == []


_CHECK = """
import json, sys
from streamlit.testing.v1 import AppTest
from fastapi.testclient import TestClient
from model import Predictor
from model.api.app import create_app
from model.cli import main

predictor = Predictor.load()
predictor.predict(sys.argv[1])
assert main(["predict", sys.argv[1]]) == 0
assert main(["read", sys.argv[1]]) == 0
with TestClient(create_app(api_key="")) as client:
    assert client.post("/v1/read", content=open(sys.argv[1], "rb").read()).status_code == 200
for page in sys.argv[2:]:
    at = AppTest.from_file(page, default_timeout=120).run()
    assert not at.exception, (page, at.exception)
loaded = sorted({name.split(".")[0] if not name.startswith("model.") else
                 ".".join(name.split(".")[:2]) for name in sys.modules})
print("LOADED " + json.dumps(loaded))
"""


@pytest.mark.slow
def test_reading_and_every_page_load_no_tensorflow_training_or_study(tmp_path):
    pages = ["app.py", *sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("pages/*.py"))]
    env = {
        "DIGITS_FEEDBACK_DB": str(tmp_path / "feedback.db"),
        "DIGITS_REGISTRY": str(tmp_path / "registry"),
        "PATH": "/usr/bin:/bin",
    }
    result = run_python("-c", _CHECK, "assets/samples/pen-4.jpg", *pages, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("LOADED "))
    loaded = json.loads(line.removeprefix("LOADED "))
    assert "model.inference" in loaded and "streamlit" in loaded  # the check saw the imports
    assert [name for name in loaded if name in NOT_FOR_INFERENCE] == []


def test_the_app_uses_no_private_streamlit_api():
    # `import streamlit as st` and its errors only: Streamlit's runtime (such as the
    # PagesManager that once told the router whether `pages/` was routed by file name) is
    # internal, and changes without notice.
    offenders = {}
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        names = _imports(path, top_level_only=False)
        inside = [n for n in _breaks(names, ("streamlit",)) if n != "streamlit"]
        inside = [n for n in inside if not n.startswith("streamlit.errors")]
        if inside:
            offenders[str(path.relative_to(ROOT))] = inside
    assert offenders == {}
