"""The documentation's figures: rendered from the artifacts, and current."""

import json

import pytest

from bench import report


@pytest.mark.artifacts
@pytest.mark.parametrize("document", report.DOCUMENTS, ids=lambda path: path.name)
def test_the_rendered_figures_are_current(document, tmp_path):
    copy = tmp_path / document.name
    blocks = report.render_blocks(report.load_sources())
    copy.write_text(report.render(document.read_text(), blocks))
    stale = report.stale_blocks(document.read_text(), blocks)
    assert copy.read_text() == document.read_text(), (
        f"{document.name}: {', '.join(stale)} out of date: run `python -m bench.report`"
    )


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
