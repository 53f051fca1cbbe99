"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary folder, listening on
127.0.0.1 only, at a free port, stopped (`pg_ctl stop -m fast`) and removed afterwards.

PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (Debian's
package makes it), else as `nobody`.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from bench.servers import free_port

USER = "digits"  # the database superuser initdb makes (trust login, loopback only)


def bin_folder():
    """The folder of initdb and pg_ctl (Debian keeps them out of $PATH), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda f: int(f.split("/")[4]))
    return Path(folders[-1]) if folders else None


def _as_owner(folder):
    """The command prefix that runs a program as the data folder's owner."""
    if os.geteuid() != 0:
        return []
    user = "postgres"
    try:
        pwd.getpwnam(user)
    except KeyError:
        user = "nobody"
    shutil.chown(folder, user)
    return ["runuser", "-u", user, "--"]


class Server:
    """A running server: `url()` of a database, `new_database()` for a fresh one, `stop()`
    and `start()` again (on the same port, its data kept)."""

    def __init__(self, port, stop=None, start=None):
        self.port = port
        self._databases = 0
        self.stop, self.start = stop, start

    def url(self, database="postgres"):
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self):
        """The URL of a new empty database."""
        self._databases += 1
        name = f"test_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)


@contextlib.contextmanager
def running_postgres():
    """Yields a `Server`; stops it and deletes its data however the block ends."""
    binaries = bin_folder()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="digits-postgres-"))
    data, log = folder / "data", folder / "server.log"
    owner = _as_owner(folder)

    def run(*command):
        subprocess.run([*owner, *map(str, command)], check=True, capture_output=True, timeout=120)

    started = False

    def start():
        run(binaries / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start")

    def stop():
        run(binaries / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")

    try:
        run(binaries / "initdb", "-D", data, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder} "
            "-c fsync=off -c max_connections=200"
        )
        start()
        started = True
        yield Server(port, stop, start)
    except subprocess.CalledProcessError as error:
        detail = error.stderr.decode(errors="replace")
        if log.is_file():
            detail += log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from error
    finally:
        if started:
            # Stopped already (by a test that stopped it and failed before starting it)?
            subprocess.run(
                [*owner, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(folder, ignore_errors=True)
