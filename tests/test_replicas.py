"""Two API replicas on one PostgreSQL store and one registry folder: each sees the other's
feedback, and both serve the version activated in the registry."""

import time

import httpx
import pytest
from support import ROOT, add_bundled_copy

from bench.servers import running_server
from model.operations.feedback import FeedbackStore
from model.operations.registry import Registry

KEY = "replica-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEVEN = (ROOT / "assets" / "samples" / "chalk-7.png").read_bytes()
FOUR = (ROOT / "assets" / "samples" / "pen-4.jpg").read_bytes()


def _wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.slow
def test_two_replicas_share_feedback_and_the_active_version(postgres_url, tmp_path):
    registry_folder = tmp_path / "registry"
    env = {
        "DIGITS_FEEDBACK_DB": postgres_url,
        "DIGITS_REGISTRY": str(registry_folder),
        "DIGITS_API_KEY": KEY,
    }
    with (
        running_server(env, log=tmp_path / "a.log") as first,
        running_server(env, log=tmp_path / "b.log") as second,
        httpx.Client(base_url=first, headers=AUTH, timeout=60) as a,
        httpx.Client(base_url=second, headers=AUTH, timeout=60) as b,
    ):
        stored = a.post("/v1/feedback", files={"file": ("7.png", SEVEN)}, data={"label": "7"})
        assert stored.status_code == 200, stored.text
        assert b.get("/v1/feedback/summary").json()["samples"] == 1
        corrected = b.post("/v1/feedback", files={"file": ("4.jpg", FOUR)}, data={"label": "9"})
        assert corrected.status_code == 200, corrected.text
        assert a.get("/v1/feedback/summary").json() == {
            "samples": 2,
            "right": 1,
            "last_id": corrected.json()["ids"][0],
        }
        assert FeedbackStore(postgres_url).count() == 2

        assert a.get("/v1/model").json()["version"] == b.get("/v1/model").json()["version"] == "v1"
        version = add_bundled_copy(Registry(registry_folder))
        for client in (a, b):
            assert _wait_for(lambda c=client: c.get("/v1/model").json()["version"] == version)
            reading = client.post("/v1/read", content=SEVEN).json()
            assert reading["model_version"] == version and reading["text"] == "7"
        b.post("/v1/feedback", files={"file": ("7.png", SEVEN)}, data={"label": "7"})
        (latest,) = FeedbackStore(postgres_url).samples(limit=1)
        assert latest.model_version == version and latest.source == "api"
