"""The pictures a batch job reads: folders, globs, file lists, paths and fsspec URLs.

A source is one string: an absolute local path, or a URL (`s3://bucket/scan.png`,
`file:///data/scan.png`) that fsspec opens. The same string is the picture's key in the
output, so a re-run from any folder recognises what was read.
"""

import glob
import os
from pathlib import Path

from model.errors import UsageError

LIST_SUFFIXES = (".txt", ".lst", ".list")
GLOB_CHARACTERS = "*?["
# A picture file larger than this is not read (a row says so): every worker holds at most
# one file of this size at a time, and the decoder's own pixel limits bound the rest.
MAX_FILE_BYTES = 64 * 1024 * 1024


def is_url(source):
    """Whether a source is a URL for fsspec rather than a local path."""
    return "://" in source


def _walk(folder):
    """Every file under a local folder, sorted, without following links to folders."""
    found = []
    for root, folders, files in os.walk(folder):
        folders.sort()
        found += [os.path.join(root, name) for name in sorted(files)]
    return found


def _expand_url(url):
    import fsspec

    filesystem, path = fsspec.core.url_to_fs(url)
    if any(character in path for character in GLOB_CHARACTERS):
        paths = sorted(p for p in filesystem.glob(path) if filesystem.isfile(p))
    elif filesystem.isdir(path):
        paths = sorted(filesystem.find(path))
    else:
        return [url]
    return [filesystem.unstrip_protocol(p) for p in paths]


def _list_file(path):
    """The sources named in a file list: one path or URL a line; blank lines and lines
    starting with # are ignored. Relative paths are relative to the current folder."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as error:
        raise UsageError(f"cannot read the file list {path}: {error.strerror}") from None
    lines = [line.rstrip("\r") for line in text.split("\n")]
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _expand_one(item, warn):
    if is_url(item):
        return _expand_url(item)
    if os.path.isdir(item):
        return [os.path.abspath(path) for path in _walk(item)]
    if os.path.isfile(item) and item.lower().endswith(LIST_SUFFIXES):
        return [source for line in _list_file(item) for source in _expand_one(line, warn)]
    if not os.path.lexists(item) and any(c in item for c in GLOB_CHARACTERS):
        matches = sorted(path for path in glob.glob(item, recursive=True) if os.path.isfile(path))
        if not matches:
            warn(f"no file matches {item!r}")
        return [os.path.abspath(path) for path in matches]
    # A file, or a path that does not exist: its row will say so.
    return [os.path.abspath(item)]


def expand(inputs, exclude=(), warn=lambda message: None):
    """The sources that `inputs` name, in order, each once.

    Args:
        inputs: folders (every file under them, sorted), glob patterns (`scans/**/*.png`),
            file lists (`.txt`, `.lst` or `.list`: one path or URL a line), picture paths,
            and fsspec URLs (a file, a folder or a glob).
        exclude: local paths never to read (the job's own output).
        warn: called with a message for a glob that matches nothing.

    Returns:
        A list of source strings: absolute local paths and URLs.
    """
    skip = {os.path.abspath(path) for path in exclude}
    sources, seen = [], set()
    for item in inputs:
        for source in _expand_one(os.fspath(item), warn):
            if source not in seen and source not in skip:
                seen.add(source)
                sources.append(source)
    return sources


def read_source(source, limit=MAX_FILE_BYTES):
    """What to hand the predictor for a source: a local path (after checking its size), or
    the bytes of a URL.

    Raises:
        OSError: the file cannot be reached or read, is not a file, or is over `limit`.
    """
    if not is_url(source):
        size = os.stat(source).st_size
        if not os.path.isfile(source):
            raise IsADirectoryError(f"{source} is not a file")
        if size > limit:
            raise OSError(f"the file is {size:,} bytes, over the limit of {limit:,}")
        return source
    import fsspec

    with fsspec.open(source, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"the file is over the limit of {limit:,} bytes")
    return data
