"""The batch job (`python -m model batch`): inputs, the resumable output, per-file errors, the
same rows in this process, in worker processes and on a real Dask cluster, and a job killed
half way and resumed with no row lost or doubled."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from strokes import STROKES, draw_digit, draw_number
from support import ROOT, run_cli, run_python

from model import paths
from model.batch.job import run_job
from model.batch.results import ResultsFile
from model.batch.sources import expand
from model.batch.work import ModelFiles, read_chunk
from model.errors import UsageError

SAMPLES = ROOT / "assets" / "samples"
HOSTILE_NAMES = [
    "new\nline.png",
    "quote\"s and 'apostrophes'.png",
    '=HYPERLINK("http:example").png',
    "-rf --out x.png",
    "spaces   and\ttab.png",
    "ünïcödé-数字.png",
    "glob*[chars]?.png",
    "x" * 240 + ".png",
]


@pytest.fixture(scope="module")
def model():
    return ModelFiles.from_folder(paths.BUNDLED_DIR / paths.MODEL_FILE, "v1")


def _digit_png(path, digit, size=140, shift=0):
    drawing = draw_digit(digit, canvas_size=size, width=max(4, size // 16))
    Image.fromarray(np.roll(drawing, shift, axis=1)).save(path)


def _mixed_folder(folder):
    """Good pictures, bad files of every kind and hostile names; returns {name: good?}."""
    folder.mkdir()
    (folder / "sub" / "deeper").mkdir(parents=True)
    kinds = {}
    for index, digit in enumerate(sorted(STROKES)):
        name = f"sub/digit-{index}.png" if index % 2 else f"digit-{index}.png"
        _digit_png(folder / name, digit, shift=index)
        kinds[name] = True
    Image.fromarray(draw_number([2, 0, 2, 5])).save(folder / "sub/deeper/number.png")
    kinds["sub/deeper/number.png"] = True
    for name in ("pen-4.jpg", "chalk-7.png"):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
        kinds[name] = True
    for index, name in enumerate(HOSTILE_NAMES):
        _digit_png(folder / name, sorted(STROKES)[index % len(STROKES)])
        kinds[name] = True
    good = (SAMPLES / "pen-4.jpg").read_bytes()
    bad = {
        "empty.png": b"",
        "notes.txt": b"not a picture at all\n",
        "truncated.jpg": good[: len(good) // 3],
        "corrupt.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "fake.png": b"%PDF-1.4 a document named like a picture",
        "sub/" + "bad\udcff.png": b"\x00\x01",
    }
    for name, data in bad.items():
        with open(os.path.join(folder, name), "wb") as file:  # str path: the surrogate stays a byte
            file.write(data)
        kinds[name] = False
    os.mkfifo(folder / "a-fifo.png")  # never opened: a pipe would block a reader forever
    kinds["a-fifo.png"] = False
    os.symlink(folder / "nowhere.png", folder / "broken-link.png")
    kinds["broken-link.png"] = False
    return kinds


def _rows(path):
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every row is complete
    return [json.loads(line) for line in lines[:-1]]


def _by_path(rows):
    by_path = {row["path"]: row for row in rows}
    assert len(by_path) == len(rows), "a picture has two rows"
    return by_path


def test_inputs_are_folders_globs_lists_and_urls_each_once(tmp_path):
    for name in ("a.png", "b.jpg", "sub/c.png", "sub/d.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# pictures\n{tmp_path / 'b.jpg'}\n\nfile://{tmp_path / 'a.png'}\n")
    warnings = []
    sources = expand(
        [
            tmp_path / "sub",
            str(tmp_path / "*.png"),
            listing,
            str(tmp_path / "nothing-*.png"),
            str(tmp_path / "missing.png"),
            tmp_path / "a.png",
            f"file://{tmp_path}/sub/*.png",
        ],
        exclude=[tmp_path / "sub" / "d.txt"],
        warn=warnings.append,
    )
    assert sources == [
        str(tmp_path / "sub" / "c.png"),
        str(tmp_path / "a.png"),
        str(tmp_path / "b.jpg"),
        f"file://{tmp_path}/a.png",
        str(tmp_path / "missing.png"),  # its row will say it is missing
        f"file://{tmp_path}/sub/c.png",
    ]
    assert warnings == [f"no file matches {str(tmp_path / 'nothing-*.png')!r}"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_cut_off_last_row_is_dropped_and_read_again(tmp_path, suffix):
    out = tmp_path / f"results{suffix}"
    names = [str(tmp_path / name) for name in [*HOSTILE_NAMES, "bad\udcff.png", "'quoted.png"]]
    rows = [{"path": name, "model_version": "v1", "status": "read", "text": "7"} for name in names]
    with ResultsFile(out) as results:
        results.write(rows[:-1])
    complete = out.stat().st_size
    with open(out, "ab") as file:  # a crash in the middle of the last row
        file.write(b'{"path": "/half' if suffix == ".jsonl" else b'"/half\nway,v1,re')
    with ResultsFile(out) as results:
        assert results.done == set(names[:-1]) and results.versions == {"v1"}
        assert out.stat().st_size == complete
        results.write(rows[-1:])
    with ResultsFile(out) as results:
        assert results.done == set(names)


def test_the_output_is_refused_when_in_use_or_not_results(tmp_path):
    out = tmp_path / "results.jsonl"
    with ResultsFile(out), pytest.raises(UsageError, match="another batch job"):
        ResultsFile(out).__enter__()
    (tmp_path / "picture.jsonl").write_text("not json\n")
    with pytest.raises(UsageError, match="line 1 is not a results row"):
        ResultsFile(tmp_path / "picture.jsonl").__enter__()
    with pytest.raises(UsageError, match="must end in .jsonl"):
        ResultsFile(tmp_path / "results.png").__enter__()


def test_read_many_reads_as_read_does(predictor, tmp_path):
    inputs = [str(path) for path in sorted(SAMPLES.iterdir())]
    inputs += [draw_digit(digit, canvas_size=120, width=8) for digit in sorted(STROKES)]
    inputs += [draw_number([4, 7, 1, 1]), b"", b"garbage", str(tmp_path / "missing.png")]
    many = predictor.read_many(inputs)
    for item, reading in zip(inputs, many, strict=True):
        try:
            expected = predictor.read(item)
        except ValueError as error:
            assert type(reading) is type(error) and str(reading) == str(error)
            continue
        assert reading.to_json() == expected.to_json()
    assert many[-4].text == "4711"


def test_the_job_reads_every_file_once_and_records_why_one_failed(tmp_path, model, predictor):
    folder = tmp_path / "archive"
    kinds = _mixed_folder(folder)
    out = folder / "results.jsonl"  # inside the folder it reads: never read itself
    summary = run_job([folder], out, model, progress=False)
    rows = _by_path(_rows(out))
    assert sorted(rows) == sorted(str(folder / name) for name in kinds)
    for name, good in kinds.items():
        row = rows[str(folder / name)]
        assert row["model_version"] == "v1"
        if good:
            assert row["status"] in ("read", "unsure")
            expected = predictor.read(folder / name).to_json()
            assert {key: row[key] for key in expected} == expected
        else:
            assert row["status"] == "failed" and row["error"], row
            assert str(folder) not in row["error"]  # the row names the file, the reason need not
    reasons = {name: rows[str(folder / name)]["error"] for name, good in kinds.items() if not good}
    assert reasons["empty.png"] == "the file is empty (0 bytes)"
    assert "not an image format" in reasons["notes.txt"]
    assert "not an image format" in reasons["fake.png"]
    assert "corrupt or truncated" in reasons["truncated.jpg"]
    assert reasons["a-fifo.png"] == "not a file"
    assert reasons["broken-link.png"] == "no such file"
    assert rows[str(folder / "sub/deeper/number.png")]["text"] == "2025"
    assert summary.failed == sum(not good for good in kinds.values())
    assert summary.read == sum(kinds.values()) and summary.skipped == 0
    assert summary.unsure == sum(row["status"] == "unsure" for row in rows.values())
    # A re-run reads nothing again and writes nothing.
    size = out.stat().st_size
    again = run_job([folder], out, model, progress=False)
    assert again.skipped == again.pictures == len(kinds) and again.read == again.failed == 0
    assert out.stat().st_size == size


def test_csv_output_holds_one_safe_row_per_picture(tmp_path, model):
    folder = tmp_path / "archive"
    kinds = _mixed_folder(folder)
    out = tmp_path / "results.csv"
    run_job([folder], out, model, progress=False)
    import csv

    with open(out, newline="", encoding="utf-8", errors="surrogateescape") as file:
        header, *records = list(csv.reader(file))
    assert header[:3] == ["path", "model_version", "status"]
    paths_read = sorted(record[0] for record in records)
    assert paths_read == sorted(str(folder / name) for name in kinds)
    with ResultsFile(out) as results:
        assert results.done == {str(folder / name) for name in kinds}
    by_path = {record[0]: dict(zip(header, record, strict=True)) for record in records}
    assert by_path[str(folder / "sub/deeper/number.png")]["text"] == "2025"
    assert by_path[str(folder / "empty.png")]["error"] == "the file is empty (0 bytes)"


def test_a_chunk_reads_files_and_urls_alike(tmp_path, model):
    from model.batch.work import install

    install(model)
    _digit_png(tmp_path / "three.png", 3)
    sources = [str(tmp_path / "three.png"), f"file://{tmp_path}/three.png", "file:///no/such.png"]
    rows = read_chunk(sources, model.key, "v1")
    assert rows[0]["text"] == rows[1]["text"] == "3"
    assert {k: v for k, v in rows[0].items() if k != "path"} == {
        k: v for k, v in rows[1].items() if k != "path"
    }
    assert rows[2]["status"] == "failed" and rows[2]["error"] == "no such file"


def test_page_without_a_page_reader_is_a_clear_error(tmp_path):
    from model import Predictor

    _digit_png(tmp_path / "one.png", 1)
    run = run_cli("batch", str(tmp_path), "--out", str(tmp_path / "out.jsonl"), "--page")
    if hasattr(Predictor, "read_page"):
        assert run.returncode == 0, run.stderr
        row = json.loads((tmp_path / "out.jsonl").read_text())
        assert "numbers" in row
    else:
        assert run.returncode == 2 and "--page needs Predictor.read_page" in run.stderr
        assert "Traceback" not in run.stderr


def test_the_command_shows_progress_and_a_summary(tmp_path):
    for digit in range(6):
        _digit_png(tmp_path / f"{digit}.png", digit)
    (tmp_path / "bad.png").write_bytes(b"bad")
    run = run_cli("batch", str(tmp_path), "--out", str(tmp_path / "out.csv"))
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert (summary["read"], summary["failed"], summary["pictures"]) == (6, 1, 7)
    assert summary["model_version"] == "v1" and summary["images_per_second"] > 0
    assert "7/7" in run.stderr and "img/s" in run.stderr  # tqdm: count and rate
    assert "Traceback" not in run.stderr
    missing = run_cli("batch", str(tmp_path / "nothing-*.png"), "--out", str(tmp_path / "o.jsonl"))
    assert missing.returncode == 2 and "name no pictures" in missing.stderr


_IMPORTS = """
import json, sys
from model.cli import main
assert main(["batch", sys.argv[1], "--out", sys.argv[2], "--quiet"]) == 0
print("LOADED " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_in_process_job_loads_no_tensorflow_streamlit_or_dask(tmp_path):
    _digit_png(tmp_path / "five.png", 5)
    run = run_python("-c", _IMPORTS, tmp_path, tmp_path / "out.jsonl")
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = json.loads(run.stdout.split("LOADED ")[-1])
    assert "model" in loaded and "tqdm" in loaded
    for heavy in ("tensorflow", "keras", "streamlit", "dask", "distributed"):
        assert heavy not in loaded


def _canvas_folder(folder, count):
    folder.mkdir()
    digits = sorted(STROKES)
    for index in range(count):
        _digit_png(
            folder / f"{index:04d}.png", digits[index % len(digits)], size=100, shift=index % 30
        )


def _kill_half_way(command, out, at_least):
    """Starts the command, kills it (and its workers) once `out` holds `at_least` rows."""
    job = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and job.poll() is None:
        if out.is_file() and out.read_bytes().count(b"\n") >= at_least:
            break
        time.sleep(0.05)
    assert job.poll() is None, "the job ended before it could be killed"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()


@pytest.mark.slow
@pytest.mark.parametrize(
    "engine", [["--workers", "2"], ["--dask-local", "2"]], ids=["processes", "dask"]
)
def test_a_job_killed_half_way_resumes_with_no_row_lost_or_doubled(tmp_path, engine, model):
    folder = tmp_path / "archive"
    _canvas_folder(folder, 600)
    expected_out = tmp_path / "expected.jsonl"
    run_job([folder], expected_out, model, progress=False)
    expected = _by_path(_rows(expected_out))
    out = tmp_path / "results.jsonl"
    command = [
        sys.executable,
        "-m",
        "model",
        "batch",
        str(folder),
        "--out",
        str(out),
        "--chunk",
        "8",
    ]
    _kill_half_way([*command, *engine, "--quiet"], out, at_least=150)
    written = out.read_bytes().count(b"\n")
    assert written < 600
    resumed = subprocess.run([*command, *engine], cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads(resumed.stdout.splitlines()[-1])
    assert summary["skipped"] >= written and summary["read"] == 600 - summary["skipped"]
    assert _by_path(_rows(out)) == expected  # every row once, each as the in-process job's


@pytest.mark.slow
def test_ctrl_c_stops_after_writing_what_was_read(tmp_path, model):
    # Enough pictures that the job is still reading (at ~600 a second) when the signal comes.
    count = 3000
    folder = tmp_path / "archive"
    _canvas_folder(folder, count)
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "model", "batch", str(folder), "--out", str(out)]
    job = subprocess.Popen(
        [*command, "--chunk", "4"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test run started in the background (`nohup ... &`) ignores
        # SIGINT, and its children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (out.is_file() and out.stat().st_size > 0):
        time.sleep(0.05)
    job.send_signal(signal.SIGINT)
    stdout, stderr = job.communicate(timeout=120)
    assert job.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    first = _by_path(_rows(out))
    assert json.loads(stdout.splitlines()[-1])["read"] == len(first) < count
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0 and len(_by_path(_rows(out))) == count


def _kill_a_worker(command, out, at_least):
    """Runs the command; once `out` holds `at_least` rows, kills one of its worker processes
    (not the job itself). Returns the finished job."""
    import psutil

    job = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and job.poll() is None:
        if out.is_file() and out.read_bytes().count(b"\n") >= at_least:
            break
        time.sleep(0.05)
    workers = [
        child
        for child in psutil.Process(job.pid).children()
        if "resource_tracker" not in " ".join(child.cmdline())
    ]
    assert job.poll() is None and len(workers) == 2, "the job ended before a worker was killed"
    workers[0].kill()
    stdout, stderr = job.communicate(timeout=300)
    return job.returncode, stdout.decode(), stderr.decode()


@pytest.mark.slow
@pytest.mark.parametrize(
    "engine", [["--workers", "2"], ["--dask-local", "2"]], ids=["processes", "dask"]
)
def test_a_worker_killed_mid_run_loses_no_picture(tmp_path, engine, model):
    folder = tmp_path / "archive"
    _canvas_folder(folder, 600)
    expected_out = tmp_path / "expected.jsonl"
    run_job([folder], expected_out, model, progress=False)
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "model", "batch", str(folder), "--out", str(out)]
    code, stdout, stderr = _kill_a_worker([*command, *engine, "--chunk", "8"], out, 100)
    assert code == 0, stderr[-3000:]
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["read"] == 600 and summary["failed"] == 0
    assert _by_path(_rows(out)) == _by_path(_rows(expected_out))


@pytest.fixture(scope="module")
def dask_cluster():
    """A real Dask cluster on loopback: a scheduler and 2 worker processes."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


@pytest.mark.slow
def test_on_a_dask_cluster_every_row_is_the_in_process_jobs(tmp_path, model, dask_cluster):
    folder = tmp_path / "archive"
    kinds = _mixed_folder(folder)
    _canvas_folder(folder / "canvases", 150)
    expected_out, out = tmp_path / "expected.jsonl", tmp_path / "dask.jsonl"
    run_job([folder], expected_out, model, progress=False)
    summary = run_job(
        [folder], out, model, scheduler=dask_cluster.scheduler_address, chunk=16, progress=False
    )
    rows, expected = _by_path(_rows(out)), _by_path(_rows(expected_out))
    assert len(rows) == len(kinds) + 150 and rows == expected
    assert summary.engine.startswith("dask tcp://127.0.0.1:")
    assert summary.failed == sum(not good for good in kinds.values())
    # Each of the two worker processes loaded the model once, when it joined.
    from distributed import Client

    from model.batch import work

    with Client(dask_cluster) as client:
        loaded = client.run(lambda: sorted(work._LOADED))
    assert len(loaded) == 2 and all(keys == [model.key] for keys in loaded.values())
    resumed = run_job([folder], out, model, scheduler=dask_cluster.scheduler_address)
    assert resumed.skipped == resumed.pictures and resumed.read == 0


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, model):
    _digit_png(tmp_path / "one.png", 1)
    run = run_cli(
        "batch",
        str(tmp_path),
        "--out",
        str(tmp_path / "o.jsonl"),
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--quiet",
        timeout=120,
    )
    assert run.returncode == 2 and "cannot reach the Dask scheduler" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_ctrl_c_while_rows_are_written_waits_until_they_are_counted():
    # The job was once stopped between writing a chunk and counting it: 16 rows in the file,
    # "read": 12 in the summary.
    from model.batch.job import _interrupt_after

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        done = []
        with pytest.raises(KeyboardInterrupt), _interrupt_after():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)  # the handler runs here; the block goes on
            done.append("counted")
        assert done == ["counted"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
