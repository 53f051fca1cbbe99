"""User feedback: confirmed and corrected readings, kept for monitoring and fine-tuning.

One row per digit: the 28x28 image the model saw, a PNG of the original crop, the digit the
model predicted, the true label, the confidence, the model version, the source (canvas, photo
or api) and when. Every write is one short transaction (a number's digits are stored together
or not at all), so several app sessions and processes can write at once without losing a row.

Two backends, chosen by $DIGITS_FEEDBACK_DB: a file path is an embedded SQLite database (the
default, `data/feedback.db`), one file in WAL mode whose writes are retried while another
writer holds the lock; a `postgresql://` URL is a PostgreSQL database
(`model/operations/postgres.py`) that several replicas of the app and the API share. A file
that is not a feedback database is never written to.
"""

import csv
import datetime
import io
import json
import math
import os
import sqlite3
import tempfile
import time
import zipfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from model import paths
from model.data.mnist import write_idx
from model.errors import FeedbackError
from model.inference.image_io import fit_within

BUSY_TIMEOUT = 30.0  # seconds an operation waits for other writers before giving up
CROP_SIDE = 256  # the stored crop is shrunk to at most this many pixels a side
SQLITE_HEADER = b"SQLite format 3\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMAGES_IDX = "feedback-images-idx3-ubyte.gz"
LABELS_IDX = "feedback-labels-idx1-ubyte.gz"
CSV_FILE = "feedback.csv"
CSV_COLUMNS = ["id", "created", "source", "predicted", "label", "confidence", "model_version"]
COLUMNS = ", ".join(CSV_COLUMNS)
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    source TEXT NOT NULL,
    predicted INTEGER NOT NULL CHECK (predicted BETWEEN 0 AND 9),
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    confidence REAL NOT NULL,
    model_version TEXT,
    image28 BLOB NOT NULL,
    crop_png BLOB
);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created);
"""
# The API's requests stored once per Idempotency-Key, with the answer a retry gets again.
REQUESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback_requests (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    answer TEXT,
    created TEXT NOT NULL
)
"""
PING_WAIT = 2.0  # seconds `FeedbackStore.ping` waits for a PostgreSQL connection


@dataclass
class Sample:
    """One stored reading. `image28` and `crop_png` are None when read without images."""

    id: int
    created: str
    source: str
    predicted: int
    label: int
    confidence: float
    model_version: str | None
    image28: np.ndarray | None = field(default=None, repr=False)
    crop_png: bytes | None = field(default=None, repr=False)

    @property
    def correct(self):
        return self.predicted == self.label


POSTGRES_SCHEMES = ("postgresql://", "postgres://")
EXPORT_CHUNK = 500  # rows read at a time while exporting


def is_postgres_url(location):
    """Whether a feedback location is a PostgreSQL URL rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(POSTGRES_SCHEMES)


def default_location():
    """$DIGITS_FEEDBACK_DB (a file path or a postgresql:// URL), else `data/feedback.db`."""
    location = os.environ.get(paths.FEEDBACK_DB_ENV)
    if is_postgres_url(location):
        return location
    return Path(location or paths.DATA_DIR / "feedback.db")


def default_path():
    """$DIGITS_FEEDBACK_DB as a SQLite file path, else `data/feedback.db` in the repository."""
    return Path(os.environ.get(paths.FEEDBACK_DB_ENV) or paths.DATA_DIR / "feedback.db")


def utc_timestamp(moment=None):
    """An ISO 8601 UTC timestamp to the second: now, or `moment` (a datetime or ISO text).

    A naive datetime is taken to be UTC already.

    Raises:
        ValueError: `moment` is not a datetime or ISO 8601 text.
    """
    if moment is None:
        moment = datetime.datetime.now(datetime.timezone.utc)
    elif isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    elif not isinstance(moment, datetime.datetime):
        raise ValueError(f"timestamp must be a datetime or ISO 8601 text, not {moment!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def png_bytes(image):
    """PNG bytes of a uint8 (H, W), (H, W, 3) RGB or (H, W, 4) RGBA image."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def crop_png(image, box, margin=0.15, longest_side=CROP_SIDE):
    """PNG bytes of the part of `image` inside `box`, with a margin, shrunk to `longest_side`.

    Args:
        image: uint8 (H, W), (H, W, 3) or (H, W, 4), the picture a reading was made from.
        box: (x, y, width, height) in `image`'s pixels, as `Prediction.box`.
        margin: extra border on each side, as a fraction of the box's longer side.
        longest_side: the crop is shrunk (never enlarged) to at most this many pixels.

    Returns:
        PNG bytes.
    """
    image = np.asarray(image)
    x, y, width, height = (int(round(value)) for value in box)
    pad = int(round(margin * max(width, height)))
    top, left = max(0, y - pad), max(0, x - pad)
    bottom, right = min(image.shape[0], y + height + pad), min(image.shape[1], x + width + pad)
    return png_bytes(fit_within(image[top:bottom, left:right], longest_side))


def _digit(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= 9:
        raise ValueError(f"{name} must be a digit 0-9, not {value!r}")
    return int(value)


def _image28_bytes(image28):
    image = np.asarray(image28)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.shape != (28, 28):
        raise ValueError(f"image28 must be a 28x28 image, not {image.shape}")
    if not np.issubdtype(image.dtype, np.number) or image.min() < 0 or image.max() > 255:
        raise ValueError("image28 must hold pixel values 0-255 (uint8, white digit on black)")
    return np.rint(image).astype(np.uint8).tobytes()


def _image28(blob):
    return np.frombuffer(blob, dtype=np.uint8).reshape(28, 28)


def _stack(images):
    return np.stack(images) if images else np.zeros((0, 28, 28), dtype=np.uint8)


def _is_busy(error):
    message = str(error).lower()
    return "locked" in message or "busy" in message


def _row(
    *,
    image28,
    predicted,
    label,
    confidence,
    source,
    crop_png=None,
    model_version=None,
    timestamp=None,
):
    """One sample's column values, checked (see `FeedbackStore.add`)."""
    image = _image28_bytes(image28)
    predicted, label = _digit(predicted, "predicted"), _digit(label, "label")
    confidence = float(confidence)
    if math.isnan(confidence) or not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    if not isinstance(source, str) or not source:
        raise ValueError(f"source must be a name such as 'canvas' or 'photo', not {source!r}")
    if crop_png is not None:
        crop_png = bytes(crop_png)
        if not crop_png.startswith(PNG_SIGNATURE):
            raise ValueError("crop_png must be the bytes of a PNG file")
    if model_version is not None:
        model_version = str(model_version)
    created = utc_timestamp(timestamp)
    return (created, source, predicted, label, confidence, model_version, image, crop_png)


class SQLiteBackend:
    """The embedded backend: one SQLite file in WAL mode, a connection per operation.

    Raises:
        FeedbackError: the file is not a feedback database, is corrupt, locked for longer than
            `timeout`, or cannot be created. The file is left as it was.
    """

    kind = "sqlite"

    def __init__(self, path, timeout=BUSY_TIMEOUT):
        self.path = Path(path)
        self.timeout = float(timeout)
        self._check_header()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._error(error) from error
        self.run(self._create_schema)

    def _check_header(self):
        # Read-only look before SQLite opens anything: a stranger's file is refused untouched.
        if self.path.is_dir():
            raise FeedbackError(
                f"the feedback database {self.path} is a folder; set "
                f"{paths.FEEDBACK_DB_ENV} to a file path"
            )
        if self.path.is_file() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
            if header != SQLITE_HEADER:
                raise FeedbackError(
                    f"{self.path} is not a SQLite database (corrupt, or another kind of file); "
                    f"it was left untouched. Restore it from a backup, or set "
                    f"{paths.FEEDBACK_DB_ENV} to another file."
                )

    def _create_schema(self, connection):
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        } - {"sqlite_sequence"}
        if tables and "feedback" not in tables:
            raise FeedbackError(
                f"{self.path} is a SQLite database but not a feedback database (it holds "
                f"{', '.join(sorted(tables))}); it was left untouched. Set "
                f"{paths.FEEDBACK_DB_ENV} to another file."
            )
        connection.execute("PRAGMA journal_mode = WAL")
        if not tables:
            connection.executescript(SCHEMA)

    def _error(self, error):
        message = str(error)
        if _is_busy(error):
            return FeedbackError(
                f"the feedback database {self.path} is locked by another program "
                f"(waited {self.timeout:g} s); nothing already stored is lost. Try again, or "
                "close the program that holds it."
            )
        if "not a database" in message or "malformed" in message or "corrupt" in message:
            return FeedbackError(
                f"the feedback database {self.path} is corrupt ({message}); it was left "
                f"untouched. Restore it from a backup, or set {paths.FEEDBACK_DB_ENV} to a new "
                "file."
            )
        return FeedbackError(f"cannot use the feedback database {self.path}: {message}")

    def run(self, action, write=False, wait=None):
        """Runs `action(connection)` in one transaction, retrying while the database is busy
        (`wait` is for PostgreSQL's pool; SQLite waits up to its timeout)."""
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
                with closing(connection):
                    if write:
                        # Take the write lock up front: SQLite cannot wait for a lock that a
                        # read transaction tries to upgrade, but it can wait for this one.
                        connection.execute("BEGIN IMMEDIATE")
                    result = action(connection)
                    if write:
                        connection.execute("COMMIT")
                    return result
            except sqlite3.OperationalError as error:
                if _is_busy(error) and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(2 * delay, 0.25)
                    continue
                raise self._error(error) from error
            except sqlite3.DatabaseError as error:
                raise self._error(error) from error


class FeedbackStore:
    """The feedback database: `FeedbackStore(location)`, then `add`, `count`, `samples`, `delete`.

    Every method opens its own connection, so one store may be shared by threads, and any
    number of stores (in any number of processes) may use the same database.

    Args:
        path: a SQLite file (created, with its folder, on first use) or a `postgresql://` URL
            (the table is created on first use); default: `default_location()`.
        timeout: seconds an operation waits while other writers hold the database.

    Raises:
        FeedbackError: the database cannot be used: not a feedback database, corrupt, locked
            for longer than `timeout`, unreachable, or cannot be created. A file is left as
            it was.
    """

    def __init__(self, path=None, timeout=BUSY_TIMEOUT):
        location = path or default_location()
        if is_postgres_url(location):
            from model.operations.postgres import PostgresBackend

            self._backend = PostgresBackend(location, timeout)
            self.path = self._backend.name  # the URL without its password, for messages
        else:
            self._backend = SQLiteBackend(location, timeout)
            self.path = self._backend.path
        self.timeout = float(timeout)

    @property
    def backend(self):
        """ "sqlite" or "postgresql"."""
        return self._backend.kind

    def _run(self, action, write=False, wait=None):
        """Runs `action(connection)` in one transaction (see the backends)."""
        return self._backend.run(action, write, wait)

    def ping(self):
        """Checks that the store answers now (PostgreSQL: within PING_WAIT seconds).

        Raises:
            FeedbackError: it cannot be reached or read.
        """
        self._run(lambda c: c.execute("SELECT id FROM feedback LIMIT 1").fetchall(), wait=PING_WAIT)

    def add(
        self,
        *,
        image28,
        predicted,
        label,
        confidence,
        source,
        crop_png=None,
        model_version=None,
        timestamp=None,
    ):
        """Stores one reading and what it really was.

        Args:
            image28: the 28x28 image the model saw (uint8, white digit on black).
            predicted: the digit the model read, 0-9.
            label: the true digit, 0-9 (the same as `predicted` when the user confirmed it).
            confidence: the model's confidence in `predicted`, 0-1.
            source: where the picture came from: "canvas" or "photo".
            crop_png: PNG bytes of the original crop (see `crop_png`), or None.
            model_version: the model version that read it ("v1", ...), or None.
            timestamp: when (datetime or ISO text; default: now), stored as UTC.

        Returns:
            The new row's id.

        Raises:
            ValueError: an argument is out of range or of the wrong kind.
            FeedbackError: the database cannot be written (the row is not stored).
        """
        return self.add_many(
            [
                {
                    "image28": image28,
                    "predicted": predicted,
                    "label": label,
                    "confidence": confidence,
                    "source": source,
                    "crop_png": crop_png,
                    "model_version": model_version,
                    "timestamp": timestamp,
                }
            ]
        )[0]

    def add_many(self, samples):
        """Stores several readings (the digits of one number) in one transaction: all or none.

        Args:
            samples: dicts of `add`'s keyword arguments.

        Returns:
            The new rows' ids, in order.

        Raises:
            ValueError: an argument of any sample is out of range or of the wrong kind
                (nothing is stored).
            FeedbackError: the database cannot be written (nothing is stored).
        """
        rows = [_row(**sample) for sample in samples]
        return self._run(lambda connection: _insert(connection, rows), write=True) if rows else []

    def add_once(self, key, fingerprint, samples, answer):
        """Stores the samples of one request once per `key` (an API client's Idempotency-Key):
        a retried request stores nothing and gets the first one's answer.

        The key is claimed in the same transaction as the rows, so of two attempts at once,
        one stores and the other waits for it and gets its answer.

        Args:
            key: the client's key for this request.
            fingerprint: what the request held (a hash of its image and fields); the same
                key with another fingerprint is refused.
            samples: as for `add_many`.
            answer: a function from the new rows' ids to the JSON-ready answer kept with the
                key.

        Returns:
            (answer, True) when stored now; (the first request's answer, False) when a
            request with this key was stored before.

        Raises:
            ValueError: the key came with another request before, or a sample is wrong
                (nothing is stored).
            FeedbackError: the database cannot be written (nothing is stored).
        """
        rows = [_row(**sample) for sample in samples]

        def store(connection):
            if self.backend == "sqlite":
                connection.execute(REQUESTS_SCHEMA)
            claimed = connection.execute(
                "INSERT INTO feedback_requests (key, fingerprint, created) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING RETURNING key",
                (key, fingerprint, utc_timestamp()),
            ).fetchone()
            if claimed is None:
                first, kept = connection.execute(
                    "SELECT fingerprint, answer FROM feedback_requests WHERE key = ?", (key,)
                ).fetchone()
                if first != fingerprint:
                    raise ValueError(
                        "this Idempotency-Key was sent before with another request; use a new "
                        "key for each new piece of feedback"
                    )
                return json.loads(kept), False
            made = answer(_insert(connection, rows))
            connection.execute(
                "UPDATE feedback_requests SET answer = ? WHERE key = ?", (json.dumps(made), key)
            )
            return made, True

        return self._run(store, write=True)

    def count(self):
        """The number of stored samples."""
        return self._run(lambda c: c.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def delete(self, row_id):
        """Deletes one sample.

        Returns:
            True when it was there, False when no sample has that id.
        """
        return self._run(
            lambda c: c.execute("DELETE FROM feedback WHERE id = ?", (int(row_id),)).rowcount > 0,
            write=True,
        )

    def samples(self, limit=None, mistakes_only=False, with_images=True):
        """Stored samples, newest first.

        Args:
            limit: at most this many (None: all).
            mistakes_only: only those whose prediction was wrong.
            with_images: also read `image28` and `crop_png` (leave out for statistics).

        Returns:
            A list of `Sample`.
        """
        columns = COLUMNS + (", image28, crop_png" if with_images else "")
        query = f"SELECT {columns} FROM feedback"
        if mistakes_only:
            query += " WHERE predicted != label"
        query += " ORDER BY id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        rows = self._run(lambda c: c.execute(query).fetchall())
        return [_sample(row) for row in rows]

    def sample(self, row_id):
        """One sample with its images, or None when no sample has that id."""
        query = f"SELECT {COLUMNS}, image28, crop_png FROM feedback WHERE id = ?"
        row = self._run(lambda c: c.execute(query, (int(row_id),)).fetchone())
        return _sample(row) if row else None

    def arrays(self):
        """Everything as arrays for training, oldest first.

        Returns:
            ids int64 (N,), images uint8 (N, 28, 28), labels uint8 (N,).
        """
        rows = self._run(
            lambda c: c.execute("SELECT id, image28, label FROM feedback ORDER BY id").fetchall()
        )
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        labels = np.array([row[2] for row in rows], dtype=np.uint8)
        return ids, _stack([_image28(row[1]) for row in rows]), labels

    def export_idx(self, folder):
        """Writes the images and true labels as MNIST-style IDX files (see `model.data.mnist`).

        Args:
            folder: created if missing; gets `feedback-images-idx3-ubyte.gz` and
                `feedback-labels-idx1-ubyte.gz`, oldest sample first.

        Returns:
            The two paths (images, labels).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        _, images, labels = self.arrays()
        write_idx(folder / IMAGES_IDX, images)
        write_idx(folder / LABELS_IDX, labels)
        return folder / IMAGES_IDX, folder / LABELS_IDX

    def _oldest_first(self, columns):
        """Rows of `columns`, oldest first, read EXPORT_CHUNK at a time (never all at once);
        rows added meanwhile are left out."""
        last = self._run(lambda c: c.execute("SELECT MAX(id) FROM feedback").fetchone()[0])
        query = f"SELECT {columns} FROM feedback WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
        after = 0
        while last is not None and after < last:
            rows = self._run(
                lambda c, after=after: c.execute(query, (after, last, EXPORT_CHUNK)).fetchall()
            )
            if not rows:
                return
            yield from rows
            after = rows[-1][0]

    def export_zip(self, target, kind="png"):
        """Writes everything to a zip: `feedback.csv`, plus the images as PNG or IDX files.

        The rows are read a few hundred at a time and the zip is written as they come, so
        the memory used stays small however many samples there are (give a file or a path,
        not a `BytesIO`, to keep it so).

        Args:
            target: a path, or a binary file object (a `tempfile.TemporaryFile`, `io.BytesIO`).
            kind: "png": `images/<id>.png` (28x28) and `crops/<id>.png` (the original crop);
                "idx": the two IDX .gz files of `export_idx`, in the order of the CSV.

        Returns:
            The number of samples exported.

        Raises:
            ValueError: `kind` is neither "png" nor "idx".
        """
        if kind not in ("png", "idx"):
            raise ValueError(f"kind must be 'png' or 'idx', not {kind!r}")
        columns = COLUMNS + (", image28, crop_png" if kind == "png" else ", image28")
        count = 0
        images, labels = [], []
        with (
            tempfile.TemporaryFile("w+", newline="") as table,
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            writer = csv.writer(table)
            writer.writerow([*CSV_COLUMNS, "image", "crop"] if kind == "png" else CSV_COLUMNS)
            for row in self._oldest_first(columns):
                count += 1
                values = list(row[: len(CSV_COLUMNS)])
                if kind == "png":
                    image28, crop = row[len(CSV_COLUMNS) :]
                    image_name = f"images/{values[0]}.png"
                    crop_name = f"crops/{values[0]}.png" if crop else ""
                    archive.writestr(image_name, png_bytes(_image28(image28)))
                    if crop_name:
                        archive.writestr(crop_name, bytes(crop))
                    values += [image_name, crop_name]
                else:
                    # 784 bytes a sample: 16 MB for 20,000, for the IDX files at the end.
                    images.append(_image28(row[-1]))
                    labels.append(values[CSV_COLUMNS.index("label")])
                writer.writerow(values)
            if kind == "idx":
                with tempfile.TemporaryDirectory() as folder:
                    arrays = (_stack(images), np.array(labels, dtype=np.uint8))
                    for name, array in zip((IMAGES_IDX, LABELS_IDX), arrays, strict=True):
                        write_idx(Path(folder) / name, array)
                        archive.write(Path(folder) / name, name)
            table.seek(0)
            with archive.open(CSV_FILE, "w") as entry:
                _copy_text(table, entry)
        return count


def _insert(connection, rows):
    """Inserts checked rows (see `_row`); returns their ids."""
    return [
        connection.execute(
            f"INSERT INTO feedback ({COLUMNS.removeprefix('id, ')}, image28, crop_png) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            row,
        ).fetchone()[0]
        for row in rows
    ]


def _copy_text(source, binary_target, chunk=1 << 20):
    """Copies a text file into a binary file object as UTF-8, a chunk at a time."""
    while text := source.read(chunk):
        binary_target.write(text.encode("utf-8"))


def _sample(row):
    id_, created, source, predicted, label, confidence, version, *images = row
    image28, crop = images or (None, None)
    return Sample(
        id_,
        created,
        source,
        predicted,
        label,
        confidence,
        version,
        _image28(image28) if image28 is not None else None,
        crop,
    )
