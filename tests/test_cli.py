import json

import numpy as np
import pytest
from PIL import Image
from strokes import draw_digit
from support import run_cli, run_python


def test_predict_prints_one_json_line_per_image_and_fails_at_the_end(tmp_path, predictor):
    one, seven = tmp_path / "one.png", tmp_path / "seven.jpg"
    Image.fromarray(draw_digit(1)).save(one)
    Image.fromarray(draw_digit(7)[:, :, :3]).save(seven, quality=90)
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    run = run_cli("predict", str(one), str(not_image), str(tmp_path / "missing.png"), str(seven))
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1, run.stderr
    assert [line["path"] for line in lines] == [
        str(one),
        str(not_image),
        str(tmp_path / "missing.png"),
        str(seven),
    ]
    assert lines[0]["digit"] == 1 and lines[3]["digit"] == 7
    # The same reading as the bundled predictor's in this process.
    for line, path in ((lines[0], one), (lines[3], seven)):
        expected = predictor.predict(path)
        assert line["confidence"] == pytest.approx(expected.confidence, abs=1e-6)
        np.testing.assert_allclose(line["probabilities"], expected.probabilities, atol=1e-6)
    assert "not an image" in lines[1]["error"] and "no such file" in lines[2]["error"]
    assert "Traceback" not in run.stderr


def test_predict_says_a_folder_is_a_folder(tmp_path):
    run = run_cli("predict", str(tmp_path))
    (line,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1 and f"{tmp_path} is a folder, not an image" in line["error"]


def test_predict_exits_zero_when_every_file_reads(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    run = run_cli("predict", str(blank))
    line = json.loads(run.stdout)
    assert run.returncode == 0 and line["digit"] is None and "blank" in line["reason"]


def test_evaluate_prints_the_test_metrics(mnist_dir):
    run = run_cli("evaluate", "--mnist-dir", str(mnist_dir))
    assert run.returncode == 0, run.stderr
    metrics = json.loads(run.stdout)
    assert metrics["count"] == 10000 and metrics["accuracy"] >= 0.995
    assert len(metrics["per_class"]) == 10 and len(metrics["confusion_matrix"]) == 10
    assert sum(map(sum, metrics["confusion_matrix"])) == 10000


def test_a_missing_mnist_folder_is_a_clear_error(tmp_path):
    run = run_cli("evaluate", "--mnist-dir", str(tmp_path / "nowhere"))
    assert run.returncode == 2 and "does not exist" in run.stderr and "Traceback" not in run.stderr


def test_read_prints_the_number_per_image(tmp_path):
    from strokes import draw_number

    number = tmp_path / "number.png"
    Image.fromarray(draw_number((2, 0, 4))).save(number)
    run = run_cli("read", str(number))
    line = json.loads(run.stdout)
    assert run.returncode == 0, run.stderr
    assert line["text"] == "204" and [d["digit"] for d in line["digits"]] == [2, 0, 4]
    assert all(len(d["box"]) == 4 for d in line["digits"])


def test_the_parser_imports_no_tensorflow():
    # Commands that only read pictures (predict, read, realworld) run on LiteRT alone.
    check = (
        "import sys; from model.cli import build_parser; build_parser().parse_args(['versions']); "
        "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    )
    run = run_python("-c", check, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
