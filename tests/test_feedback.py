"""The feedback store: round trip, concurrent writers, delete, export, and damaged databases.

The tests of what both backends do run twice: on a SQLite file and on a real PostgreSQL server
(the `feedback_location` fixture)."""

import csv
import io
import multiprocessing
import sqlite3
import threading
import zipfile
from contextlib import closing

import numpy as np
import psycopg
import pytest
from PIL import Image

from model.data.mnist import read_idx_images, read_idx_labels
from model.errors import FeedbackError
from model.operations.feedback import (
    FeedbackStore,
    crop_png,
    default_location,
    default_path,
    png_bytes,
)
from model.operations.postgres import without_password

PROCESSES = 8
ADDS_PER_PROCESS = 50


def _image(seed):
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def _add_many(path, worker, start):
    store = FeedbackStore(path)
    start.wait()
    for index in range(ADDS_PER_PROCESS):
        store.add(
            image28=_image(worker * 1000 + index),
            predicted=index % 10,
            label=worker,
            confidence=0.5,
            source="canvas",
            model_version=f"worker-{worker}",
        )


def test_round_trip_keeps_every_field(tmp_path, feedback_location):
    sqlite = not isinstance(feedback_location, str)
    location = tmp_path / "new" / "feedback.db" if sqlite else feedback_location
    store = FeedbackStore(location)
    assert store.count() == 0 and store.backend == ("sqlite" if sqlite else "postgresql")
    assert not sqlite or location.is_file()
    crop = png_bytes(np.full((40, 30, 3), 200, dtype=np.uint8))
    row_id = store.add(
        image28=_image(1),
        predicted=7,
        label=1,
        confidence=0.62,
        source="canvas",
        crop_png=crop,
        model_version="v2",
        timestamp="2026-03-01T10:00:00+01:00",
    )
    confirmed = store.add(image28=_image(2), predicted=3, label=3, confidence=0.99, source="photo")
    assert store.count() == 2

    sample = store.sample(row_id)
    np.testing.assert_array_equal(sample.image28, _image(1))
    assert sample.crop_png == crop
    assert (sample.predicted, sample.label, sample.confidence) == (7, 1, pytest.approx(0.62))
    assert (sample.source, sample.model_version) == ("canvas", "v2")
    assert sample.created == "2026-03-01T09:00:00+00:00" and not sample.correct
    assert [s.id for s in store.samples()] == [confirmed, row_id]
    assert [s.id for s in store.samples(mistakes_only=True)] == [row_id]
    assert store.samples(with_images=False)[0].image28 is None
    ids, images, labels = store.arrays()
    assert ids.tolist() == [row_id, confirmed] and labels.tolist() == [1, 3]
    np.testing.assert_array_equal(images[1], _image(2))
    # A second store on the same database sees the same rows.
    assert FeedbackStore(location).count() == 2
    if sqlite:
        with sqlite3.connect(location) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_eight_processes_adding_at_once_lose_nothing(feedback_location):
    path = feedback_location
    FeedbackStore(path)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_add_many, args=(path, worker, start)) for worker in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    store = FeedbackStore(path)
    assert store.count() == PROCESSES * ADDS_PER_PROCESS == 400
    _, _, labels = store.arrays()
    assert np.bincount(labels, minlength=10)[:PROCESSES].tolist() == [ADDS_PER_PROCESS] * 8


def test_threads_sharing_one_store_lose_nothing(feedback_location):
    store = FeedbackStore(feedback_location)

    def add_25():
        for _ in range(25):
            store.add(image28=_image(0), predicted=1, label=1, confidence=1.0, source="canvas")

    threads = [threading.Thread(target=add_25) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 100


def test_delete_one_sample(feedback_location):
    store = FeedbackStore(feedback_location)
    first, second = (
        store.add(image28=_image(i), predicted=i, label=i, confidence=0.9, source="photo")
        for i in range(2)
    )
    assert store.delete(first) is True
    assert store.delete(first) is False
    assert store.count() == 1 and store.sample(first) is None
    assert [s.id for s in store.samples()] == [second]


def _filled_store(path):
    store = FeedbackStore(path)
    for index in range(3):
        store.add(
            image28=_image(index),
            predicted=(index + 1) % 10,
            label=index,
            confidence=0.25 * (index + 1),
            source="canvas",
            crop_png=png_bytes(np.full((10, 10), 255, dtype=np.uint8)) if index else None,
            model_version="v1",
        )
    return store


def test_export_png_and_csv_zip(tmp_path, feedback_location):
    store = _filled_store(feedback_location)
    assert store.export_zip(tmp_path / "export.zip") == 3
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("feedback.csv").decode())))
        assert [int(row["label"]) for row in rows] == [0, 1, 2]
        assert rows[0]["crop"] == "" and rows[1]["crop"] == f"crops/{rows[1]['id']}.png"
        for index, row in enumerate(rows):
            image = np.array(Image.open(io.BytesIO(archive.read(row["image"]))))
            np.testing.assert_array_equal(image, _image(index))
        assert rows[2]["predicted"] == "3" and rows[2]["model_version"] == "v1"


def test_export_idx_is_readable_by_the_mnist_reader(tmp_path, feedback_location):
    store = _filled_store(feedback_location)
    images_path, labels_path = store.export_idx(tmp_path / "idx")
    expected = np.stack([_image(index) for index in range(3)])
    np.testing.assert_array_equal(read_idx_images(images_path), expected)
    assert read_idx_labels(labels_path).tolist() == [0, 1, 2]

    buffer = io.BytesIO()
    assert store.export_zip(buffer, kind="idx") == 3
    with zipfile.ZipFile(buffer) as archive:
        archive.extractall(tmp_path / "unzipped")
    assert read_idx_labels(tmp_path / "unzipped" / labels_path.name).tolist() == [0, 1, 2]


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "feedback.db"
    content = b"these are someone's notes, not a database\n" * 50
    path.write_bytes(content)
    with pytest.raises(FeedbackError, match="not a SQLite database.*left untouched"):
        FeedbackStore(path)
    assert path.read_bytes() == content


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (amount REAL)")
    before = path.read_bytes()
    with pytest.raises(FeedbackError, match="not a feedback database"):
        FeedbackStore(path)
    assert path.read_bytes() == before


def test_a_corrupt_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "feedback.db"
    _filled_store(path)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the first page's b-tree: the schema
    path.write_bytes(bytes(data))
    with pytest.raises(FeedbackError, match="corrupt"):
        FeedbackStore(path).count()


def test_a_locked_database_gives_a_clear_error_and_keeps_its_rows(tmp_path):
    path = tmp_path / "feedback.db"
    store = _filled_store(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        impatient = FeedbackStore(path, timeout=0.3)
        with pytest.raises(FeedbackError, match="locked by another program"):
            impatient.add(image28=_image(9), predicted=1, label=1, confidence=1, source="canvas")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.count() == 3
    store.add(image28=_image(9), predicted=1, label=1, confidence=1, source="canvas")
    assert store.count() == 4


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"predicted": 10}, "predicted must be a digit"),
        ({"label": "7"}, "label must be a digit"),
        ({"confidence": 1.5}, "confidence must be between"),
        ({"image28": np.zeros((28, 27))}, "28x28"),
        ({"source": ""}, "source"),
        ({"crop_png": b"GIF89a"}, "PNG"),
    ],
)
def test_bad_arguments_are_refused(feedback_location, changes, message):
    store = FeedbackStore(feedback_location)
    arguments = dict(image28=_image(0), predicted=7, label=1, confidence=0.6, source="canvas")
    with pytest.raises(ValueError, match=message):
        store.add(**{**arguments, **changes})
    assert store.count() == 0


def test_default_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_FEEDBACK_DB", str(tmp_path / "elsewhere.db"))
    assert default_path() == default_location() == tmp_path / "elsewhere.db"
    assert FeedbackStore().path == tmp_path / "elsewhere.db"


@pytest.mark.slow
def test_a_postgresql_url_in_the_environment_picks_postgresql(postgres_url, monkeypatch):
    monkeypatch.setenv("DIGITS_FEEDBACK_DB", postgres_url)
    assert default_location() == postgres_url
    store = FeedbackStore()
    assert store.backend == "postgresql" and store.path == postgres_url and store.count() == 0


def test_a_postgresql_password_is_never_shown():
    url = "postgresql://app:s3cret@db.internal:5432/digits"
    assert without_password(url) == "postgresql://app:***@db.internal:5432/digits"
    assert without_password("postgresql://app@db/digits") == "postgresql://app@db/digits"


@pytest.mark.slow
def test_an_unreachable_postgresql_gives_a_clear_error():
    from bench.servers import free_port

    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/digits"
    with pytest.raises(FeedbackError, match="cannot use the feedback database") as error:
        FeedbackStore(url, timeout=2)
    assert "s3cret" not in str(error.value)


@pytest.mark.slow
def test_another_programs_feedback_table_is_refused(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE feedback (comment TEXT)")
    with pytest.raises(FeedbackError, match="not a feedback store's"):
        FeedbackStore(postgres_url)


def test_crop_png_keeps_a_margin_and_shrinks_big_crops():
    image = np.zeros((1000, 2000, 4), dtype=np.uint8)
    small = Image.open(io.BytesIO(crop_png(image, (100, 100, 40, 20))))
    assert small.size == (40 + 2 * 6, 20 + 2 * 6) and small.mode == "RGBA"
    big = Image.open(io.BytesIO(crop_png(image, (0, 0, 1600, 800))))
    assert max(big.size) == 256


def test_a_numbers_digits_are_stored_together(feedback_location):
    store = FeedbackStore(feedback_location)
    digits = [
        dict(image28=_image(i), predicted=i, label=label, confidence=0.8, source="canvas")
        for i, label in enumerate([2, 0, 2, 6])
    ]
    ids = store.add_many(digits)
    assert len(ids) == 4 and [sample.label for sample in store.samples()[::-1]] == [2, 0, 2, 6]
    with pytest.raises(ValueError, match="label must be a digit"):
        store.add_many([digits[0], {**digits[1], "label": 12}])
    assert store.count() == 4  # the valid first digit was not stored alone


def _fail_on_nines(location):
    """A trigger that makes storing a 9 fail, as a full disk would."""
    if isinstance(location, str):
        with psycopg.connect(location, autocommit=True) as connection:
            connection.execute(
                "CREATE FUNCTION full_disk() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ "
                "LANGUAGE plpgsql"
            )
            connection.execute(
                "CREATE TRIGGER full_disk BEFORE INSERT ON feedback FOR EACH ROW "
                "WHEN (NEW.label = 9) EXECUTE FUNCTION full_disk()"
            )
        return
    with closing(sqlite3.connect(location)) as connection, connection:
        connection.execute(
            "CREATE TRIGGER full_disk BEFORE INSERT ON feedback WHEN NEW.label = 9 "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )


def test_a_failure_halfway_through_a_number_stores_none_of_it(feedback_location):
    store = FeedbackStore(feedback_location)
    store.add(image28=_image(0), predicted=1, label=1, confidence=1, source="canvas")
    _fail_on_nines(feedback_location)
    digits = [
        dict(image28=_image(i), predicted=label, label=label, confidence=0.9, source="photo")
        for i, label in enumerate([4, 9, 1])
    ]
    with pytest.raises(FeedbackError):
        store.add_many(digits)
    assert store.count() == 1


def test_export_streams_rows_instead_of_holding_them(tmp_path, feedback_location):
    import tracemalloc

    store = FeedbackStore(feedback_location)
    noise = np.random.default_rng(0).integers(0, 256, (80, 80, 3), dtype=np.uint8)
    crop = png_bytes(noise)  # ~19 kB that do not compress: 3,000 rows are ~60 MB
    digit = dict(image28=_image(0), predicted=1, label=1, confidence=0.9, source="canvas")
    store.add_many([{**digit, "crop_png": crop}] * 3000)
    tracemalloc.start()
    try:
        with open(tmp_path / "export.zip", "wb") as file:
            assert store.export_zip(file) == 3000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 25 * 1024 * 1024, f"the export held {peak / 2**20:.0f} MB at once"
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        assert len(archive.namelist()) == 1 + 2 * 3000
        assert archive.read(f"crops/{store.samples(limit=1)[0].id}.png") == crop


def _answer(ids):
    return {"ids": ids}


def test_a_request_stored_with_a_key_is_stored_once(feedback_location):
    store = FeedbackStore(feedback_location)
    digits = [
        dict(image28=_image(i), predicted=i, label=i, confidence=0.9, source="api") for i in (2, 7)
    ]
    answers = []

    def attempt():
        answers.append(store.add_once("order-17", "hash-a", digits, _answer))

    # Eight attempts at once, as a client retrying while the first is still stored.
    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 2
    ids = sorted(sample.id for sample in store.samples())
    assert sorted(new for _, new in answers) == [False] * 7 + [True]
    assert all(answer == {"ids": ids} for answer, _ in answers)
    with pytest.raises(ValueError, match="sent before with another request"):
        store.add_once("order-17", "hash-b", digits, _answer)
    assert store.add_once("order-18", "hash-a", digits, _answer)[1] and store.count() == 4


@pytest.mark.slow
def test_postgresql_operations_share_a_few_pooled_connections(postgres_url):
    store = FeedbackStore(postgres_url)
    backends = set()
    for index in range(20):
        store.add(image28=_image(index), predicted=1, label=1, confidence=0.5, source="api")
        backends.add(store._run(lambda c: c.execute("SELECT pg_backend_pid()").fetchone()[0]))
    # A new connection an operation opened 40 server processes; the pool keeps one or two.
    assert len(backends) <= 2 and FeedbackStore(postgres_url).count() == 20


@pytest.mark.slow
def test_an_unreachable_postgresql_fails_the_ping_with_the_reason():
    from bench.servers import free_port

    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/digits"
    with pytest.raises(FeedbackError, match="(?i)connection refused") as error:
        FeedbackStore(url, timeout=2)
    assert "s3cret" not in str(error.value)
