"""File checksums: how exports and model versions tell their files have not changed."""

import hashlib
import os


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
