"""The real-handwriting report: the USPS and manifest readers, the naive baseline, the command
end to end on data the test writes, the full report on ../shared, and the page's table rows."""

import gzip
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from strokes import draw_digit, draw_number
from support import PENDIGITS_DIR, ROOT, require

from model import paths
from model.cli import main
from model.data import realworld as realworld_data
from model.data import usps
from model.data.realworld import ManifestError, read_manifest
from model.data.uci import read_uci
from model.data.usps import UspsFormatError, read_usps
from model.inference.naive import naive_mnist, white_ink_gray
from model.study.realworld import MISREAD_CAP, realworld
from ui.artifacts import (
    escape_markdown,
    misread_caption,
    realworld_digit_rows,
    realworld_misread_rows,
    realworld_rows,
)

USPS_DIGITS = [0, 1, 2, 3, 4, 5, 7, 1, 2, 7]  # the digits tests/strokes.py draws
HEADER = "file\tlabel\tkind\trepo\tpath\tnote\n"


def _usps_values(digit):
    """A synthetic USPS line's 256 values: the digit drawn, white on black, squeezed to 16x16."""
    gray = cv2.cvtColor(draw_digit(digit, width=36), cv2.COLOR_RGBA2GRAY)
    small = cv2.resize(255 - gray, (16, 16), interpolation=cv2.INTER_AREA)
    return small.astype(np.float64) / 255 * 2 - 1


def _write_usps(folder, digits=USPS_DIGITS):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        " ".join([f"{digit:.4f}", *(f"{value:.4f}" for value in _usps_values(digit).ravel())])
        for digit in digits
    ]
    with gzip.open(folder / usps.FILE, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    return folder


def _write_realworld(folder):
    """Three single digits (a photo-like one, a drawing, white-on-black) and one number."""
    images = folder / "images"
    images.mkdir(parents=True)
    Image.fromarray(draw_digit(3)[:, :, :3]).save(images / "3_001.jpg", quality=90)
    Image.fromarray(draw_digit(7)).save(images / "7_002.png")
    white_on_black = 255 - cv2.cvtColor(draw_digit(4), cv2.COLOR_RGBA2GRAY)
    Image.fromarray(white_on_black).save(images / "4_003.png")
    Image.fromarray(draw_number((2, 0, 4))).save(images / "204_004.png")
    rows = [
        "3_001.jpg\t3\tphoto\tsome/repo\tdigits/3.jpg\tblack pen, JPEG",
        "7_002.png\t7\tdrawn\tsome/repo\tsamples/7.png\tcanvas drawing",
        "4_003.png\t1\tdrawn\tsome/repo\tsamples/4.png\tlabelled 1 on purpose: a misread",
        "204_004.png\t204\tmulti\tsome/repo\tnumbers/204.png\tthree digits",
    ]
    (folder / "manifest.tsv").write_text(HEADER + "\n".join(rows) + "\n")
    return folder


def _check_consistent(figures):
    """Every set's figures agree with each other: right/count, per digit, misread list."""
    count, right = figures["count"], figures["right"]
    assert figures["accuracy"] == pytest.approx(right / count)
    assert figures["misread_count"] == count - right
    assert figures["unsure_rate"] == pytest.approx(figures["unsure"] / count)
    assert 0 <= figures["no_digit"] <= count - right
    assert figures["median_ms"] > 0
    for row in figures["misread"]:
        assert str(row["read"]) != str(row["label"])
    if "per_digit" in figures:
        assert sum(row["count"] for row in figures["per_digit"].values()) == count
        assert sum(row["right"] for row in figures["per_digit"].values()) == right
        naive = figures["naive"]
        assert 0 <= naive["right"] <= count
        assert naive["accuracy"] == pytest.approx(naive["right"] / count)
        assert sum(row["right"] for row in naive["per_digit"].values()) == naive["right"]
        assert 0 <= figures["sure_and_wrong"] <= count - right


def test_read_usps_scales_to_white_ink_on_black(tmp_path):
    values = np.full(256, -1.0)
    values[:16] = 1.0
    values[16] = 0.0
    line = " ".join(["7.0000", *(f"{value:.4f}" for value in values)])
    with gzip.open(tmp_path / usps.FILE, "wt") as handle:
        handle.write(line + "\n" + line + "\n")
    images, labels = read_usps(tmp_path)
    assert images.shape == (2, 16, 16) and images.dtype == np.uint8
    assert labels.tolist() == [7, 7]
    assert images[0, 0].tolist() == [255] * 16 and images[0, 1, 0] == 128
    assert images[0, 2:].max() == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [("3.0 0.5 0.5", "holds 3 values"), ("12.0" + " 0.0" * 256, "not a digit 0-9")],
)
def test_read_usps_refuses_a_malformed_line(tmp_path, line, message):
    with gzip.open(tmp_path / usps.FILE, "wt") as handle:
        handle.write(line + "\n")
    with pytest.raises(UspsFormatError, match=message):
        read_usps(tmp_path)


def test_data_folders_come_from_the_flag_the_environment_or_an_existing_default(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("USPS_DIR", str(tmp_path / "from-env"))
    assert usps.resolve_usps_dir(tmp_path / "given") == tmp_path / "given"
    assert usps.resolve_usps_dir() == tmp_path / "from-env"
    monkeypatch.delenv("USPS_DIR")
    monkeypatch.delenv("REALWORLD_DIR", raising=False)
    monkeypatch.setattr(usps, "DEFAULT_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(realworld_data, "DEFAULT_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="give --usps-dir or set \\$USPS_DIR"):
        usps.resolve_usps_dir()
    with pytest.raises(FileNotFoundError, match="give --realworld-dir or set \\$REALWORLD_DIR"):
        realworld_data.resolve_realworld_dir()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("3_001.jpg\t3\tsketch\tr\tp\tn", "kind 'sketch'"),
        ("3_001.jpg\t34\tphoto\tr\tp\tn", "label '34' is not a digit"),
        ("missing.png\t3\tphoto\tr\tp\tn", "no such picture"),
        ("../3_001.jpg\t3\tphoto\tr\tp\tn", "a file name, not a path"),
    ],
)
def test_read_manifest_refuses_a_bad_line(tmp_path, row, message):
    (tmp_path / "images").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "images" / "3_001.jpg")
    (tmp_path / "manifest.tsv").write_text(HEADER + row + "\n")
    with pytest.raises(ManifestError, match=message):
        read_manifest(tmp_path)


def test_read_uci_gives_the_scikit_learn_digits_white_ink_on_black():
    images, labels = read_uci()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and set(labels.tolist()) == set(range(10))
    assert images.max() == 255 and images[:, 0].mean() < images[:, 3:5].mean()  # ink inside
    few, few_labels = read_uci(limit=5)
    assert (few == images[:5]).all() and (few_labels == labels[:5]).all()


def test_tiny_uci_digits_are_read_well_beyond_the_naive_resize(predictor):
    # Real 8x8 pictures: the top of a digit's loop runs along the edge, and the opening that
    # follows uneven paper took such strokes for paper (92.8% of these 600 digits).
    images, labels = read_uci(limit=600)
    naive = predictor.predict_batch(np.stack([naive_mnist(image) for image in images]))
    naive_right = int((naive.argmax(axis=1) == labels).sum())
    for pictures in (images, 255 - images):
        right = sum(
            predictor.predict(picture).digit == label
            for picture, label in zip(pictures, labels, strict=True)
        )
        assert right >= 0.95 * len(labels) and right >= naive_right + 30, (right, naive_right)


def _uci_number(images, indices, gap):
    """UCI digits side by side, `gap` px apart, in a strip 12 px tall: a tiny number."""
    parts = []
    for index in indices:
        parts += [images[index], np.zeros((8, gap), np.uint8)]
    return np.pad(np.hstack(parts[:-1]), 2)


def test_numbers_of_tiny_uci_digits_are_read(predictor):
    # A strip 12 px tall was enlarged by its long side only (2x): its 8-px digits wore away.
    images, labels = read_uci()
    rng = np.random.default_rng(0)
    right = 0
    for count in range(200):
        indices = rng.choice(len(images), size=int(rng.integers(3, 6)), replace=False)
        number = _uci_number(images, indices, int(rng.integers(0, 3)))
        if count % 2:
            number = 255 - number
        right += predictor.read(number).text == "".join(str(labels[i]) for i in indices)
    assert right >= 170, right  # 0.973 a digit gives about 0.90 a 4-digit number


def test_naive_baseline_fits_the_whole_picture_in_20x20_keeping_its_aspect():
    square = naive_mnist(np.full((16, 16), 200, np.uint8))
    assert square[4:24, 4:24].min() == 200 and square.sum() == 200 * 400
    tall = naive_mnist(np.full((40, 20), 255, np.uint8))
    rows, columns = np.nonzero(tall)
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (4, 23, 9, 18)


def test_naive_baseline_turns_dark_ink_on_light_paper_white_on_black(tmp_path):
    Image.fromarray(draw_digit(5)).save(tmp_path / "five.png")
    gray = white_ink_gray(tmp_path / "five.png")
    assert gray[0, 0] == 0 and gray.max() == 255


def test_report_end_to_end_through_the_cli_in_a_subprocess(tmp_path):
    require((PENDIGITS_DIR / "pendigits-orig.tra").is_file(), f"no pendigits at {PENDIGITS_DIR}")
    usps_dir, real_dir = _write_usps(tmp_path / "usps"), _write_realworld(tmp_path / "real")
    out = tmp_path / "out"
    out.mkdir()
    # The folders come from the environment; the command must not need TensorFlow.
    script = (
        "import sys; from model.cli import main; "
        "code = main(['realworld', '--uci-limit', '40', '--sheets', '3', '--pen-numbers', '10', "
        "'--out', sys.argv[1]]); "
        "print(sorted({'tensorflow', 'keras'} & set(sys.modules))); sys.exit(code)"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "USPS_DIR": str(usps_dir),
            "REALWORLD_DIR": str(real_dir),
            "PENDIGITS_DIR": str(PENDIGITS_DIR),
        },
    )
    assert run.returncode == 0, run.stderr
    summary_line, modules_line = run.stdout.strip().splitlines()[-2:]
    assert modules_line == "[]"
    summary = json.loads(summary_line)
    assert summary["out"] == str(out / paths.REALWORLD_FILE)

    report = json.loads((out / paths.REALWORLD_FILE).read_text())
    assert report["schema_version"] == 1 and report["command"].startswith("python -m model")
    assert report["model"]["engine"] == "litert" and report["model"]["name"] == "digit_cnn"
    assert report["data"]["usps"]["digits"] == len(USPS_DIGITS)
    assert report["data"]["realworld"]["pictures"] == 4
    sets = report["sets"]
    assert list(sets) == [
        "usps",
        "usps_inverted",
        "photo",
        "scan",
        "drawn",
        "multi",
        "uci",
        "uci_inverted",
        "pen_digits",
        "pen_numbers_picture",
        "pen_numbers_strokes",
    ]
    assert sets["pen_numbers_strokes"]["count"] == sets["pen_numbers_picture"]["count"] == 10
    # Strokes grouped as written read at least as well as the reader's own grouping, nearly.
    grouped = sets["pen_numbers_strokes"]["right_if_grouped_as_written"]
    assert sets["pen_numbers_strokes"]["right"] - 1 <= grouped <= 10
    assert sets["pen_digits"]["count"] == report["data"]["pen_writers"]["digits"] > 1000
    pages = report["pages"]  # composed sheets read with read_page (tests/test_page.py)
    assert pages["sheets"] == summary["pages"]["sheets"] == 3 and pages["numbers"] >= 3
    assert summary["pages"]["number_accuracy"] == pages["numbers_exact"] / pages["numbers"]
    assert report["data"]["uci"]["digits"] == sets["uci"]["count"] == 40
    assert report["data"]["uci"]["limit"] == 40
    assert sets["uci"]["naive"] == sets["uci_inverted"]["naive"]
    for name in ("usps", "usps_inverted", "photo", "drawn", "multi", "uci", "uci_inverted"):
        _check_consistent(sets[name])
        assert summary["sets"][name]["right"] == sets[name]["right"]
    assert sets["scan"]["count"] == 0
    assert sets["usps"]["count"] == sets["usps_inverted"]["count"] == len(USPS_DIGITS)
    # The naive baseline is given white-on-black USPS digits in both polarities.
    assert sets["usps"]["naive"] == sets["usps_inverted"]["naive"]
    assert sets["usps"]["naive"]["right"] >= len(USPS_DIGITS) - 2
    assert (sets["photo"]["right"], sets["photo"]["count"]) == (1, 1)
    assert (sets["drawn"]["right"], sets["drawn"]["count"]) == (1, 2)
    (misread,) = sets["drawn"]["misread"]
    assert set(misread) == {"file", "note", "label", "read", "unsure", "naive"}
    assert (misread["file"], misread["label"], misread["read"]) == ("4_003.png", 1, 4)
    assert misread["note"] == "labelled 1 on purpose: a misread"
    assert (sets["multi"]["right"], sets["multi"]["misread"]) == (1, [])
    # Only names, labels and readings: no pixels of the sets.
    assert len((out / paths.REALWORLD_FILE).read_text()) < 60_000


def test_a_missing_usps_folder_is_a_clear_error(tmp_path, capsys):
    real_dir = _write_realworld(tmp_path / "real")
    code = main(
        ["realworld", "--usps-dir", str(tmp_path / "nowhere"), "--realworld-dir", str(real_dir)]
    )
    assert code == 2
    assert "zip.train.gz: file not found" in capsys.readouterr().err


def test_report_on_the_real_sets_is_consistent(predictor, usps_dir, realworld_dir):
    report = realworld(
        predictor, usps_dir, realworld_dir, out_dir=None, usps_limit=400, uci_limit=300
    )
    sets = report["sets"]
    for figures in sets.values():
        _check_consistent(figures)
    assert sets["usps"]["count"] == 400
    assert len(sets["usps"]["misread"]) == min(MISREAD_CAP, sets["usps"]["misread_count"])
    images, labels = read_usps(usps_dir)
    for row in sets["usps"]["misread"][:5]:
        assert row["label"] == labels[row["index"]]
        assert predictor.predict(images[row["index"]]).digit == row["read"]
    assert sets["uci"]["count"] == 300
    images, labels = read_uci(limit=300)
    for row in sets["uci_inverted"]["misread"][:5]:
        assert row["label"] == labels[row["index"]]
        assert predictor.predict(255 - images[row["index"]]).digit == row["read"]
    counts = {name: sets[name]["count"] for name in ("photo", "scan", "drawn", "multi")}
    assert counts == {"photo": 86, "scan": 25, "drawn": 100, "multi": 32}
    pictures = {picture.file: picture for picture in read_manifest(realworld_dir)}
    for name in ("photo", "scan", "drawn"):
        assert len(sets[name]["misread"]) == sets[name]["count"] - sets[name]["right"]
        for row in sets[name]["misread"]:
            picture = pictures[row["file"]]
            assert (picture.kind, int(picture.label), picture.note) == (
                name,
                row["label"],
                row["note"],
            )
            found = predictor.predict(realworld_dir / "images" / row["file"]).digit
            assert found == row["read"]
    # The committed report is the current code's: re-run `python -m model realworld` when
    # a change alters what is read.
    committed = json.loads((paths.BUNDLED_DIR / paths.REALWORLD_FILE).read_text())
    assert committed["data"]["realworld"]["sha256"] == report["data"]["realworld"]["sha256"]
    for name in ("photo", "scan", "drawn", "multi"):
        assert committed["sets"][name]["misread"] == sets[name]["misread"], name


def test_bundled_report_covers_every_real_picture():
    report = json.loads((paths.BUNDLED_DIR / paths.REALWORLD_FILE).read_text())
    assert report["data"]["usps"]["digits"] == 7291 and report["data"]["usps"]["limit"] is None
    assert report["data"]["realworld"]["pictures"] == 243
    assert report["data"]["uci"]["digits"] == 1797 and report["data"]["uci"]["limit"] is None
    for figures in report["sets"].values():
        _check_consistent(figures)


REPORT = {
    "sets": {
        "usps": {
            "count": 4,
            "right": 3,
            "accuracy": 0.75,
            "unsure": 1,
            "unsure_rate": 0.25,
            "no_digit": 0,
            "median_ms": 1.234,
            "per_digit": {
                "1": {"count": 2, "right": 2, "accuracy": 1.0},
                "7": {"count": 2, "right": 1, "accuracy": 0.5},
            },
            "naive": {
                "right": 4,
                "accuracy": 1.0,
                "per_digit": {
                    "1": {"count": 2, "right": 2, "accuracy": 1.0},
                    "7": {"count": 2, "right": 2, "accuracy": 1.0},
                },
            },
            "misread_count": 1,
            "misread": [{"index": 3, "label": 7, "read": None, "unsure": False, "naive": 7}],
        },
        "multi": {
            "count": 2,
            "right": 1,
            "accuracy": 0.5,
            "unsure": 1,
            "unsure_rate": 0.5,
            "no_digit": 0,
            "median_ms": 20.0,
            "misread_count": 1,
            "misread": [
                {"file": "12_[x].png", "label": "12", "read": "17", "unsure": True, "note": "*a*"}
            ],
        },
    }
}


def test_realworld_rows_set_ours_beside_the_naive_resize():
    usps_row, multi_row = realworld_rows(REPORT)
    assert usps_row["set"] == "USPS as given" and usps_row["read right"] == "3/4"
    assert (usps_row["ours %"], usps_row["naive resize %"], usps_row["unsure %"]) == (75, 100, 25)
    assert (usps_row["no digit"], usps_row["ms each"]) == (0, 1.2)
    assert multi_row["set"] == "Numbers" and multi_row["naive resize %"] is None
    assert [row["naive right"] for row in realworld_digit_rows(REPORT["sets"]["usps"])] == [2, 2]


def test_misread_rows_and_their_escaped_captions():
    (usps_row,) = realworld_misread_rows(REPORT["sets"]["usps"])
    assert usps_row == {
        "picture": "#3",
        "label": "7",
        "read": "no digit",
        "naive": "7",
        "unsure": False,
        "note": "",
    }
    (number_row,) = realworld_misread_rows(REPORT["sets"]["multi"])
    assert misread_caption(number_row) == r"12\_\[x\]\.png\: 12 read as 17 \(unsure\) — \*a\*"
    assert escape_markdown(":red[x] $y$ <b>") == r"\:red\[x\] \$y\$ \<b\>"
