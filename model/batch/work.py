"""Reading a chunk of pictures, in whichever process runs it: this one, a worker process of
`--workers`, or a Dask worker.

Each process loads the model once (`install`), from the files the job sent it, and keeps it
for every chunk after. A picture that cannot be read becomes a row with an `error`; nothing
about one picture stops the others.
"""

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from model import paths
from model.batch.sources import read_source
from model.errors import InvalidImageError, UsageError
from model.inference.engines import limit_opencv_threads

# The predictors this process has loaded, by the model's key.
_LOADED = {}
HELD_BYTES = 64 * 1024 * 1024


@dataclass
class ModelFiles:
    """A model version's files, sent to every worker, so that all read with the same model
    whatever their own disk holds.

    version: what the rows record ("v1", or a model file's name and checksum).
    files: file name -> bytes (the version's `.keras` model, gate, calibration, LiteRT
        export and their cards).
    engine: "auto", "litert" or "keras".
    """

    version: str
    files: dict = field(repr=False)
    engine: str = "auto"

    @property
    def key(self):
        digest = hashlib.sha256(self.version.encode())
        for name in sorted(self.files):
            digest.update(name.encode() + hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()[:16] + "-" + self.engine

    @classmethod
    def from_folder(cls, model_file, version, engine="auto"):
        """The files of the model at `model_file` and those beside it that belong to it."""
        from model.checksums import VERSION_FILES

        folder = os.path.dirname(os.fspath(model_file))
        names = [paths.MODEL_FILE, *(n for n in VERSION_FILES if n != paths.MODEL_FILE)]
        files = {}
        for name in names:
            path = os.path.join(folder, name)
            if name == paths.MODEL_FILE:
                path = os.fspath(model_file)
            if os.path.isfile(path):
                with open(path, "rb") as file:
                    files[name] = file.read()
        return cls(version, files, engine)

    def load(self, threads=None):
        """The `Predictor` of these files (written to a temporary folder, read, removed)."""
        from model.inference.predictor import Predictor

        folder = tempfile.mkdtemp(prefix="digits-model-")
        try:
            for name, data in self.files.items():
                with open(os.path.join(folder, name), "wb") as file:
                    file.write(data)
            return Predictor.load(os.path.join(folder, paths.MODEL_FILE), self.engine, threads)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def install(model, threads=None, predictor=None):
    """Loads `model` in this process, once (or keeps `predictor`, already loaded from it);
    `threads`: the threads one reading may use here (LiteRT's and OpenCV's)."""
    if threads:
        limit_opencv_threads(threads)
    if model.key not in _LOADED:
        _LOADED[model.key] = predictor or model.load(threads)
    return _LOADED[model.key]


def _predictor(model_key):
    try:
        return _LOADED[model_key]
    except KeyError:
        raise RuntimeError(f"this process has not loaded the model {model_key}") from None


def _reason(error):
    """A reading error in words, for a row."""
    if isinstance(error, InvalidImageError):
        # Pictures handed over as bytes (URLs) are named "the uploaded data" by the decoder.
        return str(error).replace("the uploaded data", "the file")
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "not a file"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, OSError):
        return f"cannot read the file: {error.strerror or error}"
    return f"could not be read ({type(error).__name__}: {error})"


def _row(source, version, result):
    if isinstance(result, BaseException):
        # The row names the file, so its reason need not: "the file is empty (0 bytes)".
        reason = _reason(result).replace(source, "the file")
        return {"path": source, "model_version": version, "status": "failed", "error": reason}
    try:
        answer = result.to_json()
    except Exception as error:  # a reading that cannot be written is that picture's failure
        return _row(source, version, error)
    if "numbers" in answer:
        numbers = answer["numbers"]
        unsure = any(n.get("uncertain", n.get("unsure", False)) for n in numbers)
    else:
        unsure = answer.get("uncertain", False)
    status = "unsure" if unsure else "read"
    return {"path": source, "model_version": version, "status": status, **answer}


def _read_each(predictor, inputs, page):
    results = []
    for item in inputs:
        try:
            if isinstance(item, BaseException):
                raise item
            results.append(predictor.read_page(item) if page else predictor.read(item))
        except Exception as error:  # one picture's failure is its row's, never the job's
            results.append(error)
    return results


def read_chunk(sources, model_key, version, page=False):
    """Reads pictures with this process's model; one row per source, in order.

    Args:
        sources: source strings (local paths or fsspec URLs).
        model_key: the `ModelFiles.key` of a model `install`ed in this process.
        version: the model version the rows record.
        page: read every number on a sheet (`Predictor.read_page`) instead of one number.

    Returns:
        A list of row dicts: path, model_version, status ("read", "unsure" or "failed"),
        and the reading's fields, or `error` with the reason.
    """
    predictor = _predictor(model_key)
    results, group, held = [], [], 0
    for index, source in enumerate(sources):
        try:
            item = read_source(source)  # a local path, or the bytes of a URL
        except Exception as error:
            item = error
        group.append(item)
        held += len(item) if isinstance(item, bytes) else 0
        # Pictures fetched from URLs are held in memory until read: at most HELD_BYTES.
        if held >= HELD_BYTES or index == len(sources) - 1:
            results += _read_group(predictor, group, page)
            group, held = [], 0
    return [_row(s, version, r) for s, r in zip(sources, results, strict=True)]


def _read_group(predictor, inputs, page):
    if page:
        return _read_each(predictor, inputs, page)
    readable = [item for item in inputs if not isinstance(item, BaseException)]
    try:
        readings = iter(predictor.read_many(readable))
        return [item if isinstance(item, BaseException) else next(readings) for item in inputs]
    except Exception:  # an unforeseen failure: find its picture by reading one at a time
        return _read_each(predictor, inputs, page)


def check_page_reader(predictor_class):
    """Raises a clear `UsageError` when this version of the package cannot read pages."""
    if not hasattr(predictor_class, "read_page"):
        raise UsageError(
            "--page needs Predictor.read_page (the page reader), which this version of the "
            "model package does not have; read one number per picture without --page"
        )
