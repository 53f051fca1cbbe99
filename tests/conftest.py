"""Shared fixtures: the real MNIST, USPS and real-handwriting folders and the bundled predictor."""

import sys

import pytest
from support import MNIST_DIR, PENDIGITS_DIR, REALWORLD_DIR, USPS_DIR, require


@pytest.fixture(scope="session")
def mnist_dir():
    require((MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(), f"MNIST is missing at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def usps_dir():
    require((USPS_DIR / "zip.train.gz").is_file(), f"USPS is missing at {USPS_DIR}")
    return USPS_DIR


@pytest.fixture(scope="session")
def realworld_dir():
    require(
        (REALWORLD_DIR / "manifest.tsv").is_file(),
        f"the real-handwriting set is missing at {REALWORLD_DIR}",
    )
    return REALWORLD_DIR


@pytest.fixture(scope="session")
def pendigits_dir():
    require(
        (PENDIGITS_DIR / "pendigits-orig.tra").is_file(), f"pendigits is missing at {PENDIGITS_DIR}"
    )
    return PENDIGITS_DIR


@pytest.fixture(scope="session")
def predictor():
    from model import Predictor

    return Predictor.load()


@pytest.fixture(autouse=True)
def real_main_module():
    """Puts back pytest's `__main__` after each test: Streamlit's AppTest leaves the page it
    ran there, and a process spawned later (a Dask worker) would run that page first."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def private_data(tmp_path_factory, monkeypatch):
    """Each test gets its own feedback database and model registry, never the repo's `data/`."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("DIGITS_FEEDBACK_DB", str(folder / "feedback.db"))
    monkeypatch.setenv("DIGITS_REGISTRY", str(folder / "registry"))
    return folder


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on loopback for the session (see tests/postgres.py)."""
    from postgres import bin_folder, running_postgres

    require(bin_folder() is not None, "PostgreSQL is not installed (apt-get install postgresql)")
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server):
    """The URL of a new, empty database on the test server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def feedback_location(request, tmp_path):
    """Where a feedback store lives, once per backend: a SQLite file, a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "feedback.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def admin_password(monkeypatch):
    """An admin password in the environment, as on a single-machine install; no wrong
    password recorded yet (the record is shared by every session of the process)."""
    from support import ADMIN_PASSWORD

    from ui.widgets.admin import _guesses

    _guesses.clear()
    monkeypatch.setenv("DIGITS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    yield ADMIN_PASSWORD
    _guesses.clear()
