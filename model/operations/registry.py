"""Model versions: a folder per version and a JSON manifest with their checksums and metrics.

The bundled model is version "v1"; each accepted fine-tune adds the next one (v2, v3, ...) in
its own folder, holding everything `Predictor.load` reads beside the model. The manifest
(`manifest.json`) lists every version with its parent, creation time, the sha256 of each of
its files and its metrics, and names the active one. Before a version is loaded or activated,
every file is checked against the manifest, and a file that changed is refused, as is an entry
that lists no files or names a folder outside the registry. When the active version is refused,
`verify_bundled` gives the bundled v1, checked against the checksums committed beside it.
"""

import contextlib
import datetime
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

from model import paths
from model.checksums import (
    file_checksum,
    folder_checksums,
)
from model.errors import RegistryError, TamperedModelError

try:
    import fcntl
except ImportError:  # Windows: manifest updates are still atomic, only not serialised.
    fcntl = None

BUNDLED_VERSION = "v1"
BUNDLED_FOLDER = "bundled"  # the manifest's name for model/bundled
LOCK_FILE = ".lock"


def default_folder():
    """$DIGITS_REGISTRY, else `data/registry` in the repository."""
    return Path(os.environ.get(paths.REGISTRY_ENV) or paths.DATA_DIR / "registry")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def bundled_checksums():
    """The bundled model's committed checksums (computed now if the file is missing)."""
    recorded = paths.BUNDLED_DIR / paths.CHECKSUMS_FILE
    if recorded.is_file():
        return json.loads(recorded.read_text())
    return folder_checksums(paths.BUNDLED_DIR)


def verify_bundled():
    """Checks the bundled model's files against their committed checksums.

    Returns:
        The bundled model file, verified.

    Raises:
        TamperedModelError: a bundled file is missing or differs from `checksums.json`, or
            the checksums file itself is missing or unreadable.
    """
    recorded = paths.BUNDLED_DIR / paths.CHECKSUMS_FILE
    try:
        expected = json.loads(recorded.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TamperedModelError(
            f"the bundled model's {recorded} cannot be read ({error})"
        ) from error
    _check_files(BUNDLED_VERSION, paths.BUNDLED_DIR, expected, recorded)
    return paths.BUNDLED_DIR / paths.MODEL_FILE


def _check_files(version, folder, expected_files, reference):
    """Checks every file `expected_files` lists (name -> sha256) in `folder`.

    Raises:
        TamperedModelError: the list is empty or lacks the model file, a name is not a plain
            file name, or a file is missing or differs from its checksum.
    """
    if not isinstance(expected_files, dict) or paths.MODEL_FILE not in expected_files:
        raise TamperedModelError(
            f"refusing model version {version}: {reference} lists no checksum for its "
            f"{paths.MODEL_FILE}, so its files cannot be checked"
        )
    for name, expected in expected_files.items():
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            raise TamperedModelError(
                f"refusing model version {version}: {reference} lists {name!r}, "
                "which is not a file name"
            )
        path = folder / name
        if not path.is_file():
            raise TamperedModelError(
                f"model version {version} is incomplete: {path} is missing. Restore it, "
                "or switch to another version."
            )
        if file_checksum(path) != expected:
            raise TamperedModelError(
                f"refusing model version {version}: {path} does not match its sha256 "
                f"in {reference} (it was changed after it was recorded there). "
                "Restore the file, or switch to another version."
            )


def _bundled_version():
    folder = paths.BUNDLED_DIR
    card = json.loads((folder / paths.CARD_FILE).read_text())
    return {
        "id": BUNDLED_VERSION,
        "parent": None,
        "created": card.get("trained_at"),
        "folder": BUNDLED_FOLDER,
        "note": "the bundled model (model/bundled)",
        "files": bundled_checksums(),
        "metrics": {"mnist_test_accuracy": {"after": card.get("test_accuracy")}},
    }


class Registry:
    """The model versions in a folder (default: `default_folder()`).

    The manifest is created on first use with the bundled model as v1; v1 is checked against
    the checksums committed beside it (`model/bundled/checksums.json`). A folder that cannot
    be written still works, with v1 only.

    Raises:
        RegistryError: the manifest is not valid JSON or not a registry manifest (it is left
            as it is).
    """

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else default_folder()
        self.manifest_path = self.folder / paths.MANIFEST_FILE
        self.manifest = self._read()
        if self.manifest is None:
            # Nothing is written until a version is added or activated (`_update`).
            self.manifest = {"active": BUNDLED_VERSION, "versions": [_bundled_version()]}

    def _read(self):
        if not self.manifest_path.is_file():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RegistryError(
                f"the model registry's manifest {self.manifest_path} cannot be read ({error}); "
                "it was left untouched. Restore it, or set "
                f"{paths.REGISTRY_ENV} to another folder."
            ) from error
        versions = manifest.get("versions") if isinstance(manifest, dict) else None
        if not isinstance(versions, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("id"), str) for entry in versions
        ):
            versions = []
        ids = [entry["id"] for entry in versions]
        if not ids or manifest.get("active") not in ids:
            raise RegistryError(
                f"{self.manifest_path} is not a model registry manifest (no active version "
                "among its versions); it was left untouched."
            )
        return manifest

    def _unwritable(self, error):
        return RegistryError(
            f"the model registry {self.folder} cannot be written ({error.strerror or error}); "
            f"nothing was changed. Make it writable, or set {paths.REGISTRY_ENV} to another "
            "folder."
        )

    def _write(self, manifest):
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=self.folder, prefix=".manifest-", suffix=".json"
            )
            with os.fdopen(handle, "w") as file:
                file.write(json.dumps(manifest, indent=1) + "\n")
            os.chmod(temporary, 0o644)  # mkstemp makes it private; the manifest is not secret
            os.replace(temporary, self.manifest_path)  # atomic: readers see the old or the new
        except OSError as error:
            if temporary:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            raise self._unwritable(error) from error

    @contextlib.contextmanager
    def _locked(self):
        """Serialises read-modify-write of the manifest between processes."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = open(self.folder / LOCK_FILE, "a")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise self._unwritable(error) from error
        with lock:
            if fcntl:
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    @property
    def active(self):
        """The id of the active version ("v1", "v2", ...)."""
        return self.manifest["active"]

    @property
    def versions(self):
        """Every version's manifest entry, oldest first."""
        return list(self.manifest["versions"])

    def version(self, version=None):
        """One version's manifest entry (default: the active one).

        Raises:
            RegistryError: no version has that id.
        """
        version = version or self.active
        for entry in self.manifest["versions"]:
            if entry["id"] == version:
                return entry
        known = ", ".join(entry["id"] for entry in self.manifest["versions"])
        raise RegistryError(f"there is no model version {version!r} (known: {known})")

    def folder_of(self, version=None):
        """The folder holding a version's files.

        Raises:
            TamperedModelError: the entry names no folder, or one outside the registry.
        """
        entry = self.version(version)
        name = entry.get("folder")
        if name == BUNDLED_FOLDER:
            return paths.BUNDLED_DIR
        if not isinstance(name, str) or not name:
            raise TamperedModelError(
                f"refusing model version {entry['id']}: its entry in {self.manifest_path} "
                "names no folder"
            )
        folder = (self.folder / name).resolve()
        if folder.parent != self.folder.resolve():
            raise TamperedModelError(
                f"refusing model version {entry['id']}: its folder {name!r} in "
                f"{self.manifest_path} is not a folder of the registry"
            )
        return folder

    def model_path(self, version=None):
        """A version's `.keras` model file, unverified (see `verify`)."""
        return self.folder_of(version) / paths.MODEL_FILE

    def verify(self, version=None):
        """Checks every file of a version against its sha256 (in the manifest; for v1, the
        committed `checksums.json`).

        Returns:
            The version's verified model file.

        Raises:
            TamperedModelError: a file is missing or differs from its checksum (the message
                names the file), the entry lists no files or no model file, or its folder is
                missing or outside the registry.
            RegistryError: no version has that id.
        """
        entry = self.version(version)
        folder = self.folder_of(entry["id"])
        # The bundled model is checked against the checksums committed with it.
        if entry.get("folder") == BUNDLED_FOLDER:
            return verify_bundled()
        _check_files(entry["id"], folder, entry.get("files"), self.manifest_path)
        return folder / paths.MODEL_FILE

    def status(self, version=None):
        """ "ok", or why the version cannot be loaded (the `TamperedModelError` message)."""
        try:
            self.verify(version)
        except TamperedModelError as error:
            return str(error)
        return "ok"

    def load_predictor(self, version=None, engine="auto", threads=None):
        """The `Predictor` of a version (default: the active one), after `verify`.

        Args:
            version: a version id; None for the active one.
            engine, threads: as for `Predictor.load`.

        Raises:
            TamperedModelError, RegistryError: as for `verify`.
        """
        from model.inference.predictor import Predictor

        return Predictor.load(self.verify(version), engine, threads)

    def _update(self, change):
        """Applies `change(manifest)` to the manifest as it is on disk now, and saves it."""
        with self._locked():
            manifest = self._read() or self.manifest
            result = change(manifest)
            self._write(manifest)
        self.manifest = manifest
        return result

    def activate(self, version):
        """Makes a version the active one, after checking its files.

        Raises:
            TamperedModelError, RegistryError: as for `verify`.
        """
        self.verify(version)

        def set_active(manifest):
            manifest["active"] = version

        self._update(set_active)

    def rollback(self):
        """Activates the active version's parent.

        Returns:
            The id of the version now active.

        Raises:
            RegistryError: the active version has no parent (it is v1).
            TamperedModelError: the parent's files changed.
        """
        parent = self.version().get("parent")
        if parent is None:
            raise RegistryError(f"{self.active} is the first version: nothing to roll back to")
        self.activate(parent)
        return parent

    def staging_folder(self):
        """A new empty folder inside the registry, for a version being built."""
        self.folder.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(dir=self.folder, prefix=".staging-"))
        staged.chmod(0o755)  # it becomes the version's folder
        return staged

    def add_version(self, staged, parent, metrics, activate=True):
        """Registers the files in `staged` as a new version, moving the folder into place.

        Args:
            staged: a folder (from `staging_folder`) with the version's files; at least
                the model file.
            parent: the version it was fine-tuned from.
            metrics: a JSON-ready dict kept in the manifest.
            activate: make it the active version.

        Returns:
            The new version's id.

        Raises:
            FileNotFoundError: `staged` has no model file.
            RegistryError: `parent` is not a version.
        """
        staged = Path(staged)
        if not (staged / paths.MODEL_FILE).is_file():
            raise FileNotFoundError(f"no {paths.MODEL_FILE} in {staged}")
        self.version(parent)
        files = folder_checksums(staged)

        def add(manifest):
            # The next number after every version, and after any folder left by a crash.
            names = [entry["id"] for entry in manifest["versions"]]
            names += [path.name for path in self.folder.glob("v*") if path.is_dir()]
            numbers = [int(name[1:]) for name in names if name[1:].isdigit()]
            version = f"v{max(numbers) + 1}"
            os.replace(staged, self.folder / version)
            manifest["versions"].append(
                {
                    "id": version,
                    "parent": parent,
                    "created": _now(),
                    "folder": version,
                    "files": files,
                    "metrics": metrics,
                }
            )
            if activate:
                manifest["active"] = version
            return version

        return self._update(add)

    def discard(self, staged):
        """Removes a staging folder that will not become a version."""
        shutil.rmtree(staged, ignore_errors=True)


class Serving(NamedTuple):
    """The model to read with: its verified file, its version, and why it is the bundled v1
    instead of the active version (None when it is the active one)."""

    model_file: Path
    version: str
    problem: str | None


def serving_model(folder=None):
    """The active version of the registry in `folder`, verified; else the bundled v1, verified.

    The app, the CLI and the API all read with this model: a registry that cannot be read,
    or an active version that is refused, degrades to the bundled v1 instead of stopping.

    Args:
        folder: the registry (default: `default_folder()`).

    Raises:
        RegistryError: the bundled v1 is refused too (its files changed or are missing).
    """
    try:
        registry = Registry(folder)
        return Serving(registry.verify(), registry.active, None)
    except RegistryError as error:
        return Serving(verify_bundled(), BUNDLED_VERSION, str(error))
