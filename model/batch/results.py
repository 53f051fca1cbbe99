"""The output of a batch job: one row per picture, as JSON lines or CSV, resumable.

Rows are appended as pictures finish and flushed at once, by this process alone (a lock on
the file keeps a second job out). A job killed mid-write leaves at most one partial row at
the end; the next run cuts it off, reads which pictures the file already holds and skips them,
so no row is lost or written twice.
"""

import csv
import fcntl
import io
import json
import os

from model.errors import UsageError

CSV_COLUMNS = (
    "path",
    "model_version",
    "status",
    "text",
    "digits",
    "confidence",
    "uncertain",
    "reason",
    "error",
)
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
# A spreadsheet runs a cell that starts with one of these as a formula (a hostile file name
# such as "=HYPERLINK(...).png"): such cells get a leading quote, removed when read back.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}  # any file name, even non-UTF-8


def output_format(path):
    """ "jsonl" or "csv", from the output file's name.

    Raises:
        UsageError: another suffix.
    """
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix not in FORMATS:
        raise UsageError(f"--out must end in .jsonl, .ndjson or .csv, not {str(path)!r}")
    return FORMATS[suffix]


def _cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _uncell(text):
    return text[1:] if text.startswith("'") else text


def csv_record(row):
    """A row's CSV cells: the text, how many digits, the lowest digit confidence."""
    digits = row.get("digits")
    if digits is None and "numbers" in row:  # a page: every number's digits
        digits = [digit for number in row["numbers"] for digit in number.get("digits", [])]
        text = " ".join(number.get("text", "") for number in row["numbers"])
    else:
        text = row.get("text")
    confidences = [digit["confidence"] for digit in digits or []]
    values = {
        **row,
        "text": text,
        "digits": None if digits is None else len(digits),
        "confidence": min(confidences) if confidences else None,
        "uncertain": None if "error" in row else str(row.get("status") == "unsure").lower(),
    }
    return [_cell(values.get(column)) for column in CSV_COLUMNS]


def _complete_csv_records(file):
    """Yields the cells of each complete CSV record, then the offset where they end.

    A record is complete when it ends in a line end outside quotes (CSV doubles a quote
    inside a field, so the quotes seen so far are then even).
    """
    end, record, quotes = 0, bytearray(), 0
    for line in file:
        record += line
        quotes += line.count(b'"')
        if quotes % 2 == 0 and line.endswith(b"\n"):
            yield next(csv.reader(io.StringIO(record.decode(**ENCODING))), [])
            end += len(record)
            record, quotes = bytearray(), 0
    yield end


def _complete_json_lines(file, name):
    """Yields each complete row, then the offset where they end."""
    end = 0
    for number, line in enumerate(file, start=1):
        if not line.endswith(b"\n"):
            break  # a row cut short by a crash: it is read again
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict) or not isinstance(row.get("path"), str):
            raise UsageError(f"{name} line {number} is not a results row; give another --out")
        yield row
        end += len(line)
    yield end


class ResultsFile:
    """The output file of a batch job, locked for this job, opened for appending.

    Use as a context manager. `done` holds the sources the file already has a row for, and
    `versions` the model versions that read them.

    Raises:
        UsageError: the file is not a results file of this format, or another job is
            writing to it.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.format = output_format(self.path)
        self.done = set()
        self.versions = set()
        self._file = None

    def __enter__(self):
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise UsageError(f"the folder of --out does not exist: {folder}")
        self._file = open(self.path, "a+b")  # noqa: SIM115 (kept open for the job)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise UsageError(f"another batch job is writing to {self.path}") from None
        self._resume()
        if self.format == "csv":
            self._text = io.TextIOWrapper(self._file, newline="", write_through=True, **ENCODING)
            self._csv = csv.writer(self._text, lineterminator="\r\n")
            if self._file.tell() == 0:
                self._csv.writerow(CSV_COLUMNS)
        self._file.flush()
        return self

    def _resume(self):
        """Reads which sources are done (streaming the file) and cuts off a partial last row."""
        self._file.seek(0)
        if self.format == "jsonl":
            items = _complete_json_lines(self._file, self.path)
        else:
            items = _complete_csv_records(self._file)
        end = 0
        for index, item in enumerate(items):
            if isinstance(item, int):
                end = item
            elif self.format == "jsonl":
                self.done.add(item["path"])
                self.versions.add(item.get("model_version"))
            elif index == 0:
                if item != list(CSV_COLUMNS):
                    raise UsageError(f"{self.path} is not a results CSV; give another --out")
            elif len(item) != len(CSV_COLUMNS):
                raise UsageError(f"{self.path} holds a row of {len(item)} cells, not a result")
            else:
                self.done.add(_uncell(item[0]))
                self.versions.add(_uncell(item[1]))
        self._file.truncate(end)
        self._file.seek(end)

    def write(self, rows):
        """Appends rows and flushes them to the operating system."""
        if self.format == "jsonl":
            self._file.write(b"".join(json.dumps(row).encode() + b"\n" for row in rows))
        else:
            self._csv.writerows(csv_record(row) for row in rows)
        self._file.flush()
        self.done.update(row["path"] for row in rows)

    def __exit__(self, *exc_info):
        self._file.flush()
        os.fsync(self._file.fileno())
        if self.format == "csv":
            self._text.detach()
        self._file.close()  # closing releases the lock
        return False
