"""File checksums: how exports, model versions and the inference engines tell that a model's
files have not changed.

Import rule: only the standard library and `model.paths`, so every package can use it.
"""

import hashlib
import json
import os
from pathlib import Path

from model import paths

# The files of a model version, checksummed in the manifest (v1: in model/bundled/checksums.json).
VERSION_FILES = (
    paths.MODEL_FILE,
    paths.GATE_FILE,
    paths.CALIBRATION_FILE,
    paths.CARD_FILE,
    paths.LITERT_FILE,
    *paths.LITERT_MORE_FILES,
    paths.LITERT_CARD_FILE,
    paths.PAIRS_FILE,
    paths.PAIRS_CARD_FILE,
)


def sha256_file(path):
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Checksums already computed, by path, with the file's size, inode and change times: a file
# is hashed again only when one of these changes (any write changes the ctime).
_checked = {}


def file_checksum(path):
    """`sha256_file`, remembered until the file's size, inode, mtime or ctime change."""
    status = os.stat(path)
    stamp = (status.st_size, status.st_ino, status.st_mtime_ns, status.st_ctime_ns)
    known = _checked.get(str(path))
    if known and known[0] == stamp:
        return known[1]
    checksum = sha256_file(path)
    _checked[str(path)] = (stamp, checksum)
    return checksum


def folder_checksums(folder):
    """The sha256 of each version file present in a folder."""
    folder = Path(folder)
    return {name: sha256_file(folder / name) for name in VERSION_FILES if (folder / name).is_file()}


def write_checksums(folder):
    """Records a model folder's checksums in `checksums.json`.

    The bundled model's are committed with it: a bundled file that differs from them is
    refused, while a new bundled model (a pull, a rebuild) brings its own.
    """
    checksums = folder_checksums(folder)
    (Path(folder) / paths.CHECKSUMS_FILE).write_text(json.dumps(checksums, indent=1) + "\n")
    return checksums
