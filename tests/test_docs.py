"""The documentation: its figures are rendered from the artifacts and current, its paths and
links lead somewhere."""

import json
import re

import pytest
from support import ROOT

from model.study import report

DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
# Inline `code` that names a file or folder of the repository.
_PATH = re.compile(
    r"`((?:\.{0,2}[\w-]+/)+[\w.-]*|[\w-]+\.(?:py|json|md|toml|txt|keras|tflite|npz|png|jpg))`"
)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
# Made when the app or a command runs, never committed.
RUNTIME = ("data/", "runs/", "../shared/", "/tmp/", "manifest.json", "v2/")


def _outside_code_blocks(text):
    return re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)


def _anchors(text):
    """GitHub's anchors of a Markdown file's headings."""
    headings = re.findall(r"^#{1,6} (.+)$", _outside_code_blocks(text), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.artifacts
@pytest.mark.parametrize("document", report.DOCUMENTS, ids=lambda path: path.name)
def test_the_rendered_figures_are_current(document, tmp_path):
    copy = tmp_path / document.name
    blocks = report.render_blocks(report.load_sources())
    copy.write_text(report.render(document.read_text(), blocks))
    stale = report.stale_blocks(document.read_text(), blocks)
    assert copy.read_text() == document.read_text(), (
        f"{document.name}: {', '.join(stale)} out of date: run `python -m model.study.report`"
    )


def test_every_block_is_rendered_somewhere():
    names = set()
    for document in report.DOCUMENTS:
        names |= set(re.findall(r"<!-- results:(\w+) -->", document.read_text()))
    assert names == set(report.BLOCKS)


def test_a_changed_artifact_makes_its_block_stale():
    sources = report.load_sources()
    text = "Before.\n\n<!-- results:mnist -->\nold figures\n<!-- /results:mnist -->\n\nAfter.\n"
    current = report.render(text, report.render_blocks(sources))
    assert current.startswith("Before.\n\n<!-- results:mnist -->\n")
    assert current.endswith("<!-- /results:mnist -->\n\nAfter.\n") and "old figures" not in current
    assert f"{sources['metrics']['errors']} errors" in current
    assert report.stale_blocks(current, report.render_blocks(sources)) == []
    changed = json.loads(json.dumps(sources))
    changed["metrics"]["errors"] += 1
    assert report.stale_blocks(current, report.render_blocks(changed)) == ["mnist"]


def test_markers_without_a_partner_or_a_renderer_are_refused():
    blocks = {"mnist": "figures"}
    with pytest.raises(ValueError, match="no partner"):
        report.render("<!-- results:mnist -->\nold\n", blocks)
    with pytest.raises(ValueError, match="no such results block: speed"):
        report.render("<!-- results:speed -->\nold\n<!-- /results:speed -->\n", blocks)


def test_check_fails_on_a_stale_document_and_the_command_renders_it(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "README.md"
    stale.write_text("<!-- results:model -->\n| hand-copied | 99.9% |\n<!-- /results:model -->\n")
    monkeypatch.setattr(report, "ROOT", tmp_path)
    monkeypatch.setattr(report, "DOCUMENTS", (stale,))
    assert report.main(["--check"]) == 1
    assert "README.md: model is out of date" in capsys.readouterr().out
    assert "hand-copied" in stale.read_text()  # --check changes nothing
    assert report.main([]) == 0
    assert "hand-copied" not in stale.read_text()
    assert report.main(["--check"]) == 0


@pytest.mark.artifacts
@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_path_the_documents_name_exists(document):
    text = _outside_code_blocks(document.read_text())
    missing = []
    for path in set(_PATH.findall(text)):
        if path.startswith(RUNTIME):
            continue
        if "/" in path:
            found = (ROOT / path).exists()
        else:  # a bare file name, such as `metrics.json`: somewhere in the repository
            found = any(ROOT.glob(f"[!.]*/**/{path}")) or (ROOT / path).exists()
        if not found:
            missing.append(path)
    assert sorted(missing) == []


@pytest.mark.artifacts
@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_leads_to_a_file_and_a_heading(document):
    broken = []
    for target in _LINK.findall(_outside_code_blocks(document.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists() or anchor and anchor not in _anchors(linked.read_text()):
            broken.append(target)
    assert broken == []


@pytest.mark.artifacts
def test_the_benchmarks_were_measured_on_the_bundled_model():
    sources = report.load_sources()
    batch, metrics = sources["bench"]["batch"], sources["metrics"]
    assert batch["images"] == metrics["count"]
    stale = (
        "bench/results.json is from another model: rerun `python -m bench --out bench/results.json`"
    )
    assert batch["keras"]["accuracy"] == metrics["accuracy"], stale
    # The LiteRT export differs from Keras on at most the digits its check counted.
    unlike = sources["litert"]["cascade"]["digits_unlike_the_ensemble"]
    assert abs(batch["litert"]["accuracy"] - metrics["accuracy"]) * batch["images"] <= unlike + 1e-6


_NUMBERS = {"Three": 3, "Four": 4, "Five": 5, "Six": 6, "Seven": 7}


def test_the_readme_counts_the_pages_it_lists():
    text = (ROOT / "README.md").read_text()
    said = re.search(r"(\w+) pages:\n\n((?:- \*\*.+\n(?: .+\n)*)+)", text)
    assert said, "the README's list of pages is gone"
    listed = re.findall(r"^- \*\*(\w+)\*\* \(`", said.group(2), flags=re.MULTILINE)
    assert _NUMBERS[said.group(1)] == len(listed), (said.group(1), listed)


def test_the_readme_states_the_picture_limits_the_code_applies():
    from model.inference.image_io import JPEG_REDUCTION, MAX_PIXELS

    text = (ROOT / "README.md").read_text()
    limits = re.search(r"([\d,]+) MP a picture \(([\d,]+) MP for a JPEG", text)
    assert limits, "the README no longer states the picture limits"
    picture, jpeg = (int(value.replace(",", "")) * 1_000_000 for value in limits.groups())
    assert (picture, jpeg) == (MAX_PIXELS, MAX_PIXELS * JPEG_REDUCTION**2)


def test_the_readme_stays_short():
    # The two commands, what the app does, the model, the CLI and the API in brief; the rest
    # lives in docs/.
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move the detail to docs/"
