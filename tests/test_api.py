"""The HTTP API on a real uvicorn server: every endpoint, every error, batches, concurrent
clients reading what the predictor reads in-process, and the API key."""

import io
import json
import shutil
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image
from strokes import draw_digit
from support import BREAKS, ROOT, add_bundled_copy, run_cli

from bench.servers import running_server
from model import paths
from model.api.app import create_app
from model.api.predictors import Predictors
from model.inference.calibration import confidence_of
from model.inference.predictor import Predictor
from model.operations.feedback import FeedbackStore
from model.operations.registry import Registry

KEY = "test-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
SAMPLES = ROOT / "assets" / "samples"
PEN_4 = (SAMPLES / "pen-4.jpg").read_bytes()
CHALK_7 = (SAMPLES / "chalk-7.png").read_bytes()
THIN_2 = (SAMPLES / "thin-2.png").read_bytes()


def _png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _number_png():
    """A white picture with two of the samples side by side."""
    left = np.asarray(Image.open(io.BytesIO(THIN_2)).convert("L").resize((200, 280)))
    right = np.asarray(Image.open(io.BytesIO(CHALK_7)).convert("L").resize((200, 280)))
    if left.mean() < 128:
        left = 255 - left
    if right.mean() < 128:
        right = 255 - right
    return _png(np.hstack([left, np.full((280, 40), 255, np.uint8), right]))


@pytest.fixture
def broken(request):
    """A registry whose active v2 is broken in one way (the test's parameter)."""
    registry = Registry()
    add_bundled_copy(registry)
    BREAKS[request.param](registry)
    return registry


def _without_ids(answer):
    return {key: value for key, value in answer.items() if key not in ("request_id",)}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    env = {
        "DIGITS_FEEDBACK_DB": str(folder / "feedback.db"),
        "DIGITS_REGISTRY": str(folder / "registry"),
        "DIGITS_API_KEY": KEY,
    }
    with running_server(env, log=folder / "server.log") as url:
        yield url, folder


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server[0], headers=AUTH, timeout=60) as client:
        yield client


@pytest.mark.slow
def test_health_readiness_and_model(client):
    assert client.get("/healthz", headers={"Authorization": ""}).json() == {"status": "ok"}
    ready = client.get("/readyz", headers={"Authorization": ""})
    assert ready.status_code == 200 and ready.json() == {
        "status": "ready",
        "model_version": "v1",
        "feedback": "ok",
        "problems": [],
    }
    model = client.get("/v1/model").json()
    assert model["version"] == "v1" and model["checksums"] == "ok" and model["fallback"] is None
    assert model["engine"] == "litert" and model["card"]["test_accuracy"] > 0.99


@pytest.mark.slow
def test_predict_and_read_answer_as_the_predictor_does(client, predictor):
    multipart = client.post("/v1/predict", files={"file": ("pen-4.jpg", PEN_4, "image/jpeg")})
    raw = client.post("/v1/predict", content=PEN_4, headers={"Content-Type": "image/jpeg"})
    expected = {**predictor.predict(PEN_4).to_json(), "model_version": "v1"}
    assert multipart.status_code == raw.status_code == 200
    assert _without_ids(multipart.json()) == _without_ids(raw.json()) == expected
    assert multipart.json()["digit"] == 4 and len(multipart.json()["request_id"]) == 16
    assert multipart.headers["x-request-id"] == multipart.json()["request_id"]

    number = _number_png()
    reading = client.post("/v1/read", content=number, headers={"Content-Type": "image/png"})
    assert _without_ids(reading.json()) == {
        **predictor.read(number).to_json(),
        "model_version": "v1",
    }
    assert reading.json()["text"] == "27"
    assert all(len(digit["box"]) == 4 for digit in reading.json()["digits"])


@pytest.mark.slow
def test_predict_and_read_box_one_digit_alike(client):
    # A canvas digit that `predict` reads at half size, and a photo read at its own size.
    for picture in (_png(draw_digit(5)), PEN_4):
        predicted = client.post("/v1/predict", content=picture).json()
        read = client.post("/v1/read", content=picture).json()
        assert read["text"] == str(predicted["digit"])
        assert read["digits"][0]["box"] == predicted["box"]


# MNIST test digits that the bundled ensemble's first network alone reads otherwise (another
# digit, or another unsure flag): #2053, a 4, read 9 at 0.56 through the API when it rebuilt
# the engine with the first network only.
def _first_network_only(predictor):
    from model.inference.engines import LiteRTEngine

    alone = Predictor.load()
    alone.engine = LiteRTEngine(predictor.engine.path, 1)
    return alone


def _disagreeing(predictor, digits, count=12):
    """Indices of MNIST test digits the first network alone reads otherwise than the model
    (another digit, or sure where the model is unsure, or the reverse)."""
    both, gate = predictor._calibrated(digits)
    first, _ = predictor._calibrated(digits, first_only=True)
    threshold = predictor.threshold
    unsure_both = confidence_of(both.max(axis=1), gate) < threshold
    unsure_first = confidence_of(first.max(axis=1), gate) < threshold
    differ = (both.argmax(axis=1) != first.argmax(axis=1)) | (unsure_both != unsure_first)
    return [int(index) for index in np.flatnonzero(differ)[:count]]


@pytest.mark.slow
def test_the_api_the_cli_and_the_predictor_read_with_both_networks(
    client, predictor, mnist_dir, tmp_path
):
    from model.data.mnist import read_idx_images

    digits = read_idx_images(mnist_dir / "t10k-images-idx3-ubyte.gz")
    chosen = _disagreeing(predictor, digits)
    pngs = [_png(digits[index]) for index in chosen]
    expected = [predictor.predict(png).to_json() for png in pngs]
    # The digits are worth testing: the first network alone reads some of them otherwise.
    alone = _first_network_only(predictor)
    differ = [
        (answer["digit"], answer["uncertain"])
        != (alone.predict(png).digit, alone.predict(png).uncertain)
        for png, answer in zip(pngs, expected, strict=True)
    ]
    assert sum(differ) >= 3, (chosen, differ)

    answers = [client.post("/v1/predict", content=png).json() for png in pngs]
    assert [_without_ids(answer) for answer in answers] == [
        {**answer, "model_version": "v1"} for answer in expected
    ]
    readings = [client.post("/v1/read", content=png).json() for png in pngs]
    assert [_without_ids(reading) for reading in readings] == [
        {**predictor.read(png).to_json(), "model_version": "v1"} for png in pngs
    ]
    for index, png in zip(chosen, pngs, strict=True):
        (tmp_path / f"{index}.png").write_bytes(png)
    cli = run_cli("predict", *(tmp_path / f"{index}.png" for index in chosen))
    assert cli.returncode == 0, cli.stderr
    lines = [json.loads(line) for line in cli.stdout.splitlines()]
    assert [{k: v for k, v in line.items() if k != "path"} for line in lines] == expected


@pytest.mark.slow
def test_a_callers_request_id_is_kept(client):
    answer = client.post("/v1/read", content=CHALK_7, headers={"X-Request-ID": "order-17.a"})
    assert answer.json()["request_id"] == "order-17.a" == answer.headers["x-request-id"]


@pytest.mark.slow
def test_every_image_format_the_app_reads(client, predictor):
    image = Image.open(io.BytesIO(CHALK_7)).convert("RGB")
    for name in ("PNG", "JPEG", "WEBP", "BMP", "TIFF"):
        buffer = io.BytesIO()
        image.save(buffer, format=name)
        answer = client.post("/v1/predict", content=buffer.getvalue())
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["digit"] == predictor.predict(buffer.getvalue()).digit == 7


def _error(answer, status):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error", "request_id"} and body["error"]["status"] == status
    assert "Traceback" not in answer.text
    return body["error"]["message"]


@pytest.mark.slow
def test_errors_are_json_with_a_clear_message(client):
    big = b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024)
    assert "limit is 10 MB" in _error(client.post("/v1/predict", content=big), 413)
    multipart_big = client.post("/v1/read", files={"file": ("big.png", big, "image/png")})
    assert "limit is 10 MB" in _error(multipart_big, 413)
    bomb = io.BytesIO()
    Image.new("1", (8000, 6000), 1).save(bomb, format="PNG")  # 48 M pixels in a few kB
    assert "too large" in _error(client.post("/v1/read", content=bomb.getvalue()), 413)

    text = client.post("/v1/predict", files={"file": ("notes.txt", b"my notes", "text/plain")})
    assert "notes.txt is not an image" in _error(text, 415)
    gif = io.BytesIO()
    Image.new("L", (28, 28)).save(gif, format="GIF")
    assert "GIF" in _error(client.post("/v1/predict", content=gif.getvalue()), 415)
    truncated = client.post("/v1/read", content=CHALK_7[: len(CHALK_7) // 2])
    assert "corrupt or truncated" in _error(truncated, 415)

    assert "no image" in _error(client.post("/v1/predict"), 422)
    form_without_file = client.post("/v1/read", data={"label": "3"}, files={"x": ("a", b"b")})
    assert "one image" in _error(form_without_file, 422)
    assert "multipart" in _error(client.post("/v1/read/batch", content=PEN_4), 422)
    assert _error(client.get("/v1/nowhere"), 404)
    assert _error(client.get("/v1/predict"), 405)


@pytest.mark.slow
def test_a_bad_file_in_a_batch_fails_alone(client, predictor):
    files = [
        ("files", ("pen-4.jpg", PEN_4, "image/jpeg")),
        ("files", ("notes.txt", b"not a picture", "text/plain")),
        ("files", ("empty.png", b"", "image/png")),
        ("files", ("thin-2.png", THIN_2, "image/png")),
    ]
    answer = client.post("/v1/read/batch", files=files)
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [result["filename"] for result in results] == [name for _, (name, *_) in files]
    assert results[0] == {"filename": "pen-4.jpg", **predictor.read(PEN_4).to_json()}
    assert results[1]["error"]["status"] == 415 and results[2]["error"]["status"] == 422
    assert results[3]["text"] == "2" and answer.json()["model_version"] == "v1"
    too_many = [("files", (f"{i}.png", CHALK_7, "image/png")) for i in range(33)]
    assert "Too many files" in _error(client.post("/v1/read/batch", files=too_many), 422)


@pytest.mark.slow
def test_concurrent_clients_get_the_in_process_answers(server, predictor):
    pictures = [PEN_4, CHALK_7, THIN_2, _number_png()]
    expected = [predictor.read(picture).to_json() for picture in pictures]
    local = threading.local()

    def call(index):
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=server[0], headers=AUTH, timeout=60)
        answer = local.client.post("/v1/read", content=pictures[index % len(pictures)])
        return index, answer.status_code, _without_ids(answer.json())

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(call, range(160)))
    for index, status, body in answers:
        assert status == 200
        assert body == {**expected[index % len(pictures)], "model_version": "v1"}


@pytest.mark.slow
def test_the_api_key_is_required(server):
    url = server[0]
    picture = {"content": CHALK_7, "headers": {"Content-Type": "image/png"}}
    assert "API key" in _error(httpx.post(f"{url}/v1/read", **picture), 401)
    wrong = {**picture["headers"], "Authorization": "Bearer not-the-key"}
    assert _error(httpx.post(f"{url}/v1/read", content=CHALK_7, headers=wrong), 401)
    basic = {"Authorization": f"Basic {KEY}"}
    assert _error(httpx.get(f"{url}/v1/model", headers=basic), 401)
    assert httpx.get(f"{url}/healthz").status_code == 200  # liveness needs no key


@pytest.mark.slow
def test_feedback_is_stored_like_the_apps(client, server):
    store = FeedbackStore(server[1] / "feedback.db")
    before = store.count()
    number = _number_png()
    answer = client.post("/v1/feedback", files={"file": ("n.png", number)}, data={"label": "29"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["predicted"] == "27" and body["label"] == "29" and len(body["ids"]) == 2
    stored = [store.sample(row_id) for row_id in body["ids"]]
    assert [(s.predicted, s.label, s.source, s.model_version) for s in stored] == [
        (2, 2, "api", "v1"),
        (7, 9, "api", "v1"),
    ]
    assert all(s.crop_png.startswith(b"\x89PNG") and s.image28.shape == (28, 28) for s in stored)
    summary = client.get("/v1/feedback/summary").json()
    assert summary["samples"] == before + 2 == store.count()

    wrong_count = client.post(
        "/v1/feedback", files={"file": ("n.png", number)}, data={"label": "123"}
    )
    assert "3 digits but 2 were read" in _error(wrong_count, 422)
    assert "label" in _error(client.post("/v1/feedback", files={"file": ("n.png", number)}), 422)
    unkeyed = httpx.post(f"{server[0]}/v1/feedback", files={"file": ("n.png", number)})
    assert _error(unkeyed, 401)
    assert store.count() == before + 2


@pytest.mark.slow
def test_the_docs_describe_every_endpoint(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/read", "/v1/read/batch", "/v1/feedback", "/v1/model"} <= set(
        spec["paths"]
    )
    predict = spec["paths"]["/v1/predict"]["post"]
    assert {"multipart/form-data", "image/png"} <= set(predict["requestBody"]["content"])
    assert {"200", "413", "415", "422"} <= set(predict["responses"])
    assert "example" in json.dumps(spec["components"]["schemas"]["PredictionOut"])
    # "Authorize" in the docs sends the key as a bearer token on every /v1 operation.
    assert spec["components"]["securitySchemes"]["APIKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "the API key the server was started with ($DIGITS_API_KEY)",
    }
    assert all(
        operation["security"] == [{"APIKey": []}]
        for path, operations in spec["paths"].items()
        if path.startswith("/v1")
        for operation in operations.values()
    )
    assert "/readyz" in spec["paths"] and "security" not in spec["paths"]["/readyz"]["get"]
    docs = client.get("/docs").text
    assert "cdn" not in docs and "/static-offline-docs/swagger-ui-bundle.js" in docs
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200


# In-process (Starlette's TestClient): the cases that need another app than the server's.


def test_without_a_key_feedback_is_refused():
    from fastapi.testclient import TestClient

    with TestClient(create_app(api_key="")) as local:
        answer = local.post("/v1/feedback", files={"file": ("a.png", CHALK_7)}, data={"label": "7"})
        assert "needs an API key" in _error(answer, 403)
        assert local.post("/v1/read", content=CHALK_7).json()["text"] == "7"  # no key: open


class _Broken(Predictors):
    def refresh(self, force=False):
        raise RuntimeError("a bug")


def test_a_bug_answers_500_without_a_traceback():
    from fastapi.testclient import TestClient

    with TestClient(create_app(_Broken(), api_key=""), raise_server_exceptions=False) as local:
        message = _error(local.post("/v1/read", content=CHALK_7), 500)
        assert "internal error" in message and "a bug" not in message


def _answers_without_the_key(local):
    """The text of every answer a caller without the key gets, with a status each."""
    answers = [
        local.get("/readyz"),
        local.get("/healthz"),
        local.get("/v1/model", headers={"Authorization": ""}),
        local.post("/v1/read", content=CHALK_7, headers={"Authorization": ""}),
        local.post("/v1/predict", content=b"junk", headers={"Authorization": ""}),
    ]
    return [(answer.status_code, answer.text) for answer in answers]


@pytest.mark.parametrize("broken", list(BREAKS), indirect=True)
@pytest.mark.parametrize("key", ["", KEY])
def test_a_broken_registry_falls_back_to_the_bundled_v1(broken, key):
    from fastapi.testclient import TestClient

    with TestClient(create_app(api_key=key), headers={"Authorization": f"Bearer {KEY}"}) as local:
        ready = local.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded" and ready.json()["model_version"] == "v1"
        assert "reading with the bundled v1" in ready.json()["problems"][0]
        model = local.get("/v1/model").json()
        assert model["version"] == "v1" and model["checksums"] == "ok" and model["fallback"]
        reading = local.post("/v1/read", content=CHALK_7).json()
        assert reading["text"] == "7" and reading["model_version"] == "v1"
        # A key holder is told where; no one else is shown a path on the server.
        assert (str(broken.folder) in model["fallback"]) == bool(key)
        for status, text in _answers_without_the_key(local):
            assert status < 500 and str(broken.folder) not in text, text
            assert str(paths.BUNDLED_DIR) not in text and "/tmp/" not in text, text


def test_the_api_mends_when_the_registry_is_mended(private_data, monkeypatch):
    from fastapi.testclient import TestClient

    from model.api import predictors as module

    monkeypatch.setattr(module, "CHECK_EVERY", 0.0)
    registry = Registry()
    version = add_bundled_copy(registry)
    manifest = registry.manifest_path.read_text()
    registry.manifest_path.write_text(manifest[: len(manifest) // 2])
    with TestClient(create_app(api_key="")) as local:
        assert local.get("/readyz").json()["status"] == "degraded"
        registry.manifest_path.write_text(manifest)
        assert local.get("/readyz").json() == {
            "status": "ready",
            "model_version": version,
            "feedback": "off",
            "problems": [],
        }


def test_without_a_verified_bundled_v1_nothing_is_served(private_data, monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    bundled = tmp_path / "bundled"
    shutil.copytree(paths.BUNDLED_DIR, bundled)
    (bundled / paths.CALIBRATION_FILE).write_text("{}")
    monkeypatch.setattr(paths, "BUNDLED_DIR", bundled)
    with TestClient(create_app(api_key="")) as local:
        message = _error(local.get("/readyz"), 503)
        assert "refusing model version v1" in message and str(tmp_path) not in message
        assert "no model can be served" in _error(local.post("/v1/read", content=CHALK_7), 503)


def test_no_predictor_is_lent_to_two_requests_at_once():
    predictors = Predictors(size=2)
    in_use, overlaps, lock = set(), [], threading.Lock()

    def borrow_often():
        for _ in range(50):
            with predictors.borrow() as (_, predictor):
                with lock:
                    overlaps.append(id(predictor) in in_use)
                    in_use.add(id(predictor))
                predictor.predict(CHALK_7)
                with lock:
                    in_use.discard(id(predictor))

    threads = [threading.Thread(target=borrow_often) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(overlaps) == 300 and not any(overlaps)
    assert predictors._pool.predictors.qsize() == 2


def test_a_newly_activated_version_is_served_without_a_restart(monkeypatch):
    from model.api import predictors as module

    monkeypatch.setattr(module, "CHECK_EVERY", 0.0)
    predictors = Predictors(size=1)
    with predictors.borrow() as (version, _):
        assert version == "v1"
    registry = Registry()
    new = add_bundled_copy(registry)
    with predictors.borrow() as (version, predictor):
        assert version == new and predictor.predict(CHALK_7).digit == 7
    registry.rollback()
    assert predictors.status() == ("v1", None)


def _raw_request(request):
    """The bytes of an httpx request on the wire (HTTP/1.1)."""
    body = request.read()
    head = f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    return head.encode() + b"\r\n" + body


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_feedback_post_retried_after_a_dropped_connection_is_stored_once(
    feedback_location, tmp_path
):
    env = {
        "DIGITS_FEEDBACK_DB": str(feedback_location),
        "DIGITS_REGISTRY": str(tmp_path / "registry"),
        "DIGITS_API_KEY": KEY,
    }
    store = FeedbackStore(feedback_location)
    with running_server(env, log=tmp_path / "server.log") as url:
        headers = {**AUTH, "Idempotency-Key": "7f1c2a4e-order-17"}
        form = {"files": {"file": ("7.png", CHALK_7)}, "data": {"label": "7"}}
        first = httpx.Request("POST", f"{url}/v1/feedback", headers=headers, **form)
        # The client sends the request, and its connection drops before the answer comes.
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(_raw_request(first))
            _wait_for(lambda: store.count() == 1)
        with httpx.Client(base_url=url, timeout=60) as client:
            retried = client.post("/v1/feedback", headers=headers, **form)
            assert retried.status_code == 200, retried.text
            assert retried.headers["idempotent-replayed"] == "true"
            assert store.count() == 1 and retried.json()["ids"] == [store.samples()[0].id]
            again = client.post("/v1/feedback", headers=headers, **form)
            assert again.json()["ids"] == retried.json()["ids"] and store.count() == 1

            other = {**form, "data": {"label": "1"}}
            assert "another request" in _error(
                client.post("/v1/feedback", headers=headers, **other), 422
            )
            new = client.post("/v1/feedback", headers={**AUTH, "Idempotency-Key": "n2"}, **form)
            assert new.status_code == 200 and "idempotent-replayed" not in new.headers
            bad_key = client.post(
                "/v1/feedback", headers={**AUTH, "Idempotency-Key": "a b"}, **form
            )
            assert "Idempotency-Key" in _error(bad_key, 422)
    assert store.count() == 2


def test_readyz_says_when_the_feedback_store_is_unreachable(monkeypatch):
    from fastapi.testclient import TestClient

    from bench.servers import free_port

    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/digits"
    monkeypatch.setenv("DIGITS_FEEDBACK_DB", url)
    with TestClient(create_app(api_key=KEY), headers=AUTH) as local:
        ready = local.get("/readyz", headers={"Authorization": ""})
        assert ready.status_code == 200 and ready.json()["feedback"] == "unreachable"
        assert ready.json()["status"] == "degraded" and "feedback" in ready.json()["problems"][0]
        assert "s3cret" not in ready.text and str(free_port) not in ready.text
        assert local.post("/v1/read", content=CHALK_7).json()["text"] == "7"  # reads go on
        stored = local.post("/v1/feedback", files={"file": ("7.png", CHALK_7)}, data={"label": "7"})
        assert "cannot use the feedback database" in _error(stored, 503)
        assert "s3cret" not in stored.text


def test_small_request_mistakes_get_short_clear_answers():
    from fastapi.testclient import TestClient

    with TestClient(create_app(api_key=KEY), headers=AUTH) as local:
        huge = "x" * 900_000
        answer = local.post(
            "/v1/feedback", files={"file": ("7.png", CHALK_7)}, data={"label": huge}
        )
        message = _error(answer, 422)
        assert "label must be the true digits" in message and "900000 characters" in message
        assert len(answer.content) < 500
        # curl -d label=4: a form with no file.
        form = local.post("/v1/feedback", data={"label": "4"})
        assert "no image" in _error(form, 422) and "-F file=@" in _error(form, 422)
        # curl --data-binary @digit.png without a Content-Type still sends an image.
        url_encoded = {"Content-Type": "application/x-www-form-urlencoded"}
        assert local.post("/v1/read", content=CHALK_7, headers=url_encoded).json()["text"] == "7"
        not_an_image = _error(local.post("/v1/predict", content=b"hello"), 415)
        assert not_an_image.startswith("the request body is not an image; send PNG")


@pytest.mark.slow
def test_readyz_follows_a_postgresql_restart(postgres_server, tmp_path):
    url = postgres_server.new_database()
    env = {
        "DIGITS_FEEDBACK_DB": url,
        "DIGITS_REGISTRY": str(tmp_path / "registry"),
        "DIGITS_API_KEY": KEY,
    }
    form = {"files": {"file": ("7.png", CHALK_7)}, "data": {"label": "7"}}
    with (
        running_server(env, log=tmp_path / "server.log") as api,
        httpx.Client(base_url=api, headers=AUTH, timeout=60) as client,
    ):
        assert client.post("/v1/feedback", **form).status_code == 200
        assert client.get("/readyz").json()["feedback"] == "ok"
        postgres_server.stop()
        try:
            _wait_for(lambda: client.get("/readyz").json()["feedback"] == "unreachable")
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "degraded"
            assert client.post("/v1/read", content=CHALK_7).json()["text"] == "7"
            assert "cannot use the feedback database" in _error(
                client.post("/v1/feedback", **form), 503
            )
        finally:
            postgres_server.start()
        # The pool's connections died with the server; new ones are made without a restart.
        _wait_for(lambda: client.get("/readyz").json()["status"] == "ready")
        assert client.post("/v1/feedback", **form).status_code == 200
    assert FeedbackStore(url).count() == 2


@pytest.mark.slow
def test_strokes_are_read_as_the_predictor_reads_them(client, predictor):
    one = [[(140, 70), (160, 40), (160, 250)]]
    zero = [
        [
            (210, 40),
            (170, 80),
            (160, 150),
            (175, 230),
            (215, 250),
            (255, 230),
            (265, 150),
            (255, 80),
            (210, 40),
        ]
    ]
    body = {"strokes": one + zero, "pen_width": 20}
    answer = client.post("/v1/read/strokes", json=body)
    assert answer.status_code == 200, answer.text
    expected = predictor.read_strokes(one + zero, 20).to_json()
    answered = answer.json()
    assert (answered["text"], answered["model_version"]) == (expected["text"], "v1")
    fields = ("digit", "confidence", "uncertain", "box", "probabilities")
    assert [[digit[field] for field in fields] for digit in answered["digits"]] == [
        [digit[field] for field in fields] for digit in expected["digits"]
    ]
    assert "strokes" in _error(client.post("/v1/read/strokes", json={"strokes": 7}), 422)
    message = _error(
        client.post("/v1/read/strokes", json={"strokes": [[[1, 2]]], "pen_width": -1}), 422
    )
    assert "pen_width" in message
    nan = b'{"strokes": [[[NaN, 2], [3, 4]]]}'
    headers = {"Content-Type": "application/json"}
    assert "finite" in _error(client.post("/v1/read/strokes", content=nan, headers=headers), 422)
    huge = b'{"strokes": [' + b"[[1,2]]," * 400_000 + b"[[1,2]]]}"
    assert "too large" in _error(
        client.post("/v1/read/strokes", content=huge, headers=headers), 413
    )
    assert (
        client.post("/v1/read/strokes", json=body, headers={"Authorization": ""}).status_code == 401
    )


def test_each_predictor_leaves_opencv_one_thread(tmp_path):
    """Requests are the parallelism of the API: a process that serves them gives OpenCV one
    thread (two cost twice the CPU for the same time)."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        Predictors(2, registry_folder=tmp_path / "registry", interpreter_threads=1)
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(before)
