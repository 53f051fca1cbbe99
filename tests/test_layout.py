"""The package's import rules: reading a picture (in the app, the CLI or the HTTP API) never pulls
in TensorFlow, training or the study.

Checked twice: statically, on every module's import statements, and for real, on `sys.modules`
in a fresh process after importing the predictor, rendering the app's pages, running the CLI's
reading commands and reading through the API.
"""

import ast

import pytest
from support import ROOT

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


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "ui").rglob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT / "ui")),
)
def test_ui_is_pure_but_for_its_widgets(path):
    names = _imports(path, top_level_only=False)
    assert _breaks(names, NOT_FOR_INFERENCE) == []
    if path.parent.name == "ui":
        # The pure modules: tables, figures and pictures, unit-tested without Streamlit.
        assert _breaks(names, ("streamlit", "ui.widgets")) == []


def test_the_pure_ui_checker_sees_streamlit_in_a_widget():
    names = _imports(ROOT / "ui" / "widgets" / "views.py", top_level_only=False)
    assert "streamlit" in _breaks(names, ("streamlit",))


def test_the_app_uses_no_private_streamlit_api():
    # `import streamlit as st` and its errors only: Streamlit's runtime (such as the
    # PagesManager that once told the router whether `pages/` was routed by file name) is
    # internal, and changes without notice.
    offenders = {}
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.rglob("ui/**/*.py")]:
        names = _imports(path, top_level_only=False)
        inside = [n for n in _breaks(names, ("streamlit",)) if n != "streamlit"]
        inside = [n for n in inside if not n.startswith("streamlit.errors")]
        if inside:
            offenders[str(path.relative_to(ROOT))] = inside
    assert offenders == {}
