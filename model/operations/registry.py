"""Model versions: a folder per version and a JSON manifest with their checksums and metrics.

The bundled model is version "v1"; each accepted fine-tune adds the next one (v2, v3, ...) in
its own folder, holding everything `Predictor.load` reads beside the model. The manifest
(`manifest.json`) lists every version with its parent, creation time, the sha256 of each of
its files and its metrics, and names the active one. Before a version is loaded or activated,
every file is checked against the manifest, and a file that changed is refused.
"""

import contextlib
import datetime
import json
import os
import shutil
import tempfile
from pathlib import Path

from model import paths
from model.errors import RegistryError, TamperedModelError
from model.operations.checksums import (
    file_checksum,
    folder_checksums,
)

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
        ids = [entry.get("id") for entry in versions or [] if isinstance(entry, dict)]
        if not ids or manifest.get("active") not in ids:
            raise RegistryError(
                f"{self.manifest_path} is not a model registry manifest (no active version "
                "among its versions); it was left untouched."
            )
        return manifest

    def _write(self, manifest):
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".manifest-", suffix=".json")
        with os.fdopen(handle, "w") as file:
            file.write(json.dumps(manifest, indent=1) + "\n")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the manifest is not secret
        os.replace(temporary, self.manifest_path)  # atomic: readers see the old or the new one

    @contextlib.contextmanager
    def _locked(self):
        """Serialises read-modify-write of the manifest between processes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK_FILE, "a") as lock:
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
        """The folder holding a version's files."""
        entry = self.version(version)
        if entry["folder"] == BUNDLED_FOLDER:
            return paths.BUNDLED_DIR
        return self.folder / entry["folder"]

    def model_path(self, version=None):
        """A version's `.keras` model file, unverified (see `verify`)."""
        return self.folder_of(version) / paths.MODEL_FILE

    def verify(self, version=None):
        """Checks every file of a version against its sha256 (in the manifest; for v1, the
        committed `checksums.json`).

        Returns:
            The version's verified model file.

        Raises:
            TamperedModelError: a file is missing or differs from its checksum; the message
                names the file.
            RegistryError: no version has that id.
        """
        entry = self.version(version)
        folder = self.folder_of(entry["id"])
        # The bundled model is checked against the checksums committed with it.
        bundled = entry["folder"] == BUNDLED_FOLDER
        expected_files = bundled_checksums() if bundled else entry["files"]
        reference = paths.BUNDLED_DIR / paths.CHECKSUMS_FILE if bundled else self.manifest_path
        for name, expected in expected_files.items():
            path = folder / name
            if not path.is_file():
                raise TamperedModelError(
                    f"model version {entry['id']} is incomplete: {path} is missing. Restore it, "
                    "or switch to another version."
                )
            if file_checksum(path) != expected:
                raise TamperedModelError(
                    f"refusing model version {entry['id']}: {path} does not match its sha256 "
                    f"in {reference} (it was changed after it was recorded there). "
                    "Restore the file, or switch to another version."
                )
        return folder / paths.MODEL_FILE

    def status(self, version=None):
        """ "ok", or why the version cannot be loaded (the `TamperedModelError` message)."""
        try:
            self.verify(version)
        except TamperedModelError as error:
            return str(error)
        return "ok"

    def load_predictor(self, version=None, engine="auto"):
        """The `Predictor` of a version (default: the active one), after `verify`.

        Raises:
            TamperedModelError, RegistryError: as for `verify`.
        """
        from model.inference.predictor import Predictor

        return Predictor.load(self.verify(version), engine)

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
        parent = self.version()["parent"]
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
