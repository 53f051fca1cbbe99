"""The HTTP API: `create_app()` is the FastAPI app that `python -m model serve` runs in uvicorn.

Every answer is JSON. Errors are {"error": {"status", "message"}, "request_id"}, never a
traceback; the request id is also in the X-Request-ID header (a caller's own is kept).
With $DIGITS_API_KEY set, every /v1 endpoint wants `Authorization: Bearer <key>`; feedback
always does, so without a key the API stores none. An answer to a caller without the key
names no path on the server. The docs (/docs, /redoc) are served with their scripts from an
installed package (fastapi-offline), so they work with no internet.
"""

import asyncio
import ctypes
import ctypes.util
import hashlib
import hmac
import logging
import os
import re
import time
import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from model import config, paths
from model.api import balance, schemas
from model.api.predictors import ModelUnavailable, Predictors
from model.api.uploads import (
    FORMATS,
    MAX_BATCH_BYTES,
    MAX_BATCH_BYTES_IN_FLIGHT,
    MAX_ONE_BYTES,
    MAX_UPLOAD_BYTES_IN_FLIGHT,
    InFlight,
    RequestError,
    check_image,
    one_image,
    read_body,
    several_images,
)
from model.errors import FeedbackError, ImageTooLargeError, InvalidImageError
from model.inference.image_io import load_image
from model.operations.feedback import FeedbackStore, crop_png

log = logging.getLogger("model.api")
REQUEST_ID = re.compile(r"^[\w.-]{1,64}$")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, as the IETF draft
# A path on the server: an absolute path of at least two parts (kept: its last part).
SERVER_PATH = re.compile(r"(?<![\w:/.])/(?:[^\s'\"/:,;()]+/)+([^\s'\"/:,;()]*)")
SHOWN_LABEL = 20  # characters of a refused label echoed in the 422
FEEDBACK_CHECK_EVERY = 1.0  # seconds /readyz keeps what it found about the feedback store
ERRORS = {
    code: {"model": schemas.ErrorOut, "description": text}
    for code, text in {
        413: f"the image is over {config.MAX_UPLOAD_MB} MB or too many pixels",
        415: "not an image, or not one of " + ", ".join(FORMATS),
        422: "no image, or a malformed request",
        503: "no verified model version can be served, or too many uploads at once "
        "(then with `Retry-After`)",
    }.items()
}
# A worker with one predictor reads a picture up to this size in its event loop: a few ms at
# most, the event loop's other requests waiting for the one predictor anyway.
INLINE_PIXELS = 1_000_000
STROKES_BODY_LIMIT = 2 * 1024 * 1024  # 50,000 points as JSON fit well within it
AUTH_ERRORS = {401: {"model": schemas.ErrorOut, "description": "a missing or wrong API key"}}


def _image_body(description):
    """The OpenAPI request body of an image endpoint: a multipart upload or the raw bytes."""
    binary = {"type": "string", "format": "binary"}
    raw = {"schema": binary}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": binary}},
                },
                "image/png": raw,
                "image/jpeg": raw,
                "image/webp": raw,
                "image/bmp": raw,
                "image/tiff": raw,
                "application/octet-stream": raw,
            },
        }
    }


class RequestIds:
    """ASGI middleware: gives each request an id (the caller's X-Request-ID if sane) and
    sends it back in the X-Request-ID header; closes the connection after the answer when
    this worker holds more than its share of them (see `model.api.balance`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
                if balance.shed():
                    message["headers"].append((b"connection", b"close"))
            await send(message)

        return await self.app(scope, receive, send_with_id)


def _request_id(request):
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex[:16]


def _error(request, status, message, headers=None):
    body = {"error": {"status": status, "message": message}, "request_id": _request_id(request)}
    return JSONResponse(body, status_code=status, headers=headers)


def without_paths(message):
    """`message` with every absolute path on the server cut to its last part."""
    return SERVER_PATH.sub(r"\1", message)


def _shown_label(label):
    return (
        repr(label)
        if len(label) <= SHOWN_LABEL
        else f"{label[:SHOWN_LABEL]!r}... ({len(label)} characters)"
    )


def _status_of(error):
    """The HTTP status of a picture the reader refused."""
    return 413 if isinstance(error, ImageTooLargeError) else 415


def _fewer_malloc_arenas(arenas=2):
    """Caps glibc's malloc arenas: each thread that reads a picture would otherwise get one
    of its own, which keeps the memory it freed (measured: a 16.8 MP JPEG cost 161 MB over
    the idle server, 129 MB with 2 arenas). Does nothing where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _card_summary(card):
    keys = ("name", "test_accuracy", "val_accuracy", "trained_at", "parameters", "ensemble")
    summary = {key: card[key] for key in keys if key in card}
    data = card.get("data") or {}
    if isinstance(data, dict):
        summary["data"] = {key: data[key] for key in ("source", "train", "test") if key in data}
    return summary


def create_app(predictors=None, api_key=None, max_upload_bytes=MAX_UPLOAD_BYTES_IN_FLIGHT):
    """The API's FastAPI app.

    Args:
        predictors: a `Predictors` pool (default: $DIGITS_API_PREDICTORS of the registry's
            active version, else 2).
        api_key: the key callers must send (default: $DIGITS_API_KEY; None or "" for none).
        max_upload_bytes: the upload bytes taken at once; more are answered 503.
    """
    _fewer_malloc_arenas()
    if predictors is None:
        predictors = Predictors(int(os.environ.get(paths.API_PREDICTORS_ENV) or 2))
    api_key = os.environ.get(paths.API_KEY_ENV) if api_key is None else api_key
    app = FastAPIOffline(
        title="Handwritten digit recognizer",
        version="1",
        description=(
            "Reads handwritten digits and numbers from pictures (PNG, JPEG, WebP, BMP, TIFF; "
            f"up to {config.MAX_UPLOAD_MB} MB), with the same answers as `python -m model "
            "predict` and `read`. Send an image as a multipart upload (field `file`) or as the "
            "raw request body. With an API key set on the server, press Authorize and give "
            "it: it is sent as `Authorization: Bearer <key>`."
        ),
    )
    app.add_middleware(RequestIds)
    check_key = _KeyCheck(api_key)
    store = _Feedback()

    def has_key(request):
        return bool(api_key) and _key_matches(request, api_key)

    def shown(request, message):
        """A message as the caller may see it: with server paths for a key holder only."""
        return message if has_key(request) else without_paths(message)

    in_flight = InFlight(max_upload_bytes)
    batches_in_flight = InFlight(min(MAX_BATCH_BYTES_IN_FLIGHT, max_upload_bytes))
    # Pictures read at once, one per predictor, first come first served (an asyncio
    # semaphore is fair): a batch waits its turn for each of its pictures.
    readings = asyncio.Semaphore(getattr(predictors, "size", 2))
    one_reader = getattr(predictors, "size", 2) == 1

    async def one_upload(request: Request):
        async with in_flight.slot(request, MAX_ONE_BYTES):
            yield

    async def batch_upload(request: Request):
        batch, upload = batches_in_flight, in_flight
        async with batch.slot(request, MAX_BATCH_BYTES), upload.slot(request, MAX_BATCH_BYTES):
            yield

    # Async, so FastAPI runs it in the event loop, not in a thread of its own.
    async def check_admin_key(_: Annotated[None, Depends(check_key)]):
        if not api_key:
            raise HTTPException(
                403, f"feedback through the API needs an API key: set {paths.API_KEY_ENV}"
            )

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return _error(request, error.status_code, str(error.detail), headers)

    @app.exception_handler(RequestError)
    async def refused(request, error):
        return _error(request, error.status, str(error), error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, error):
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}" for problem in error.errors()
        )
        return _error(request, 422, f"bad request: {problems}")

    @app.exception_handler(ModelUnavailable)
    async def unavailable(request, error):
        return _error(request, 503, shown(request, f"no model can be served: {error}"))

    @app.exception_handler(Exception)
    async def crashed(request, error):
        log.exception("request %s failed", _request_id(request))
        return _error(request, 500, f"internal error; quote request id {_request_id(request)}")

    def run(read, data):
        with predictors.borrow() as (version, predictor):
            result = predictor.read(data) if read else predictor.predict(data)
        return version, result

    async def answer(request, read, upload):
        try:
            async with readings:
                if one_reader and upload.pixels is not None and upload.pixels <= INLINE_PIXELS:
                    # One reader in this process, a small picture: read here, not in a
                    # thread (the hand-off cost 0.4 ms of CPU, a sixth of a canvas request).
                    version, result = run(read, upload.data)
                else:
                    version, result = await run_in_threadpool(run, read, upload.data)
        except InvalidImageError as error:
            raise RequestError(_status_of(error), str(error)) from error
        return {**result.to_json(), "model_version": version, "request_id": _request_id(request)}

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    async def healthz():
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: a verified model version is loaded (degraded: the bundled v1 "
        "stands in, or the feedback store cannot be reached)",
        response_model=schemas.ReadyOut,
        responses={503: {"model": schemas.ErrorOut}},
    )
    async def readyz(request: Request):
        pool = await run_in_threadpool(predictors.serving)
        if pool is None:
            _, why = predictors.status()
            return _error(request, 503, f"not ready: {without_paths(why)}")
        problems = []
        if pool.problem:
            problems.append(
                f"reading with the bundled {pool.version}: {without_paths(pool.problem)}"
            )
        feedback = "off"
        if api_key:
            feedback = "ok" if await run_in_threadpool(store.reachable) else "unreachable"
            if feedback == "unreachable":
                problems.append(
                    "the feedback store cannot be reached: feedback answers 503 until it can; "
                    "reading goes on"
                )
        return {
            "status": "degraded" if problems else "ready",
            "model_version": pool.version,
            "feedback": feedback,
            "problems": problems,
        }

    @app.get(
        "/v1/model",
        tags=["model"],
        summary="The served model version, its card's summary and its checksums' status",
        response_model=schemas.ModelOut,
        responses={**AUTH_ERRORS, 503: ERRORS[503]},
        dependencies=[Depends(check_key)],
    )
    def model_info(request: Request):
        pool = predictors.serving()
        with predictors.borrow() as (version, predictor):
            engine, threshold = predictor.engine.name, predictor.threshold
        checksums = predictors.checksums(pool)
        return {
            "version": version,
            "engine": engine,
            "threshold": threshold,
            "checksums": shown(request, checksums),
            "card": _card_summary(pool.card if pool else predictors.card),
            "fallback": shown(request, pool.problem) if pool and pool.problem else None,
        }

    @app.post(
        "/v1/predict",
        tags=["reading"],
        summary="Read one digit: all the ink in the picture is taken as one digit",
        response_model=schemas.PredictionOut,
        responses={**ERRORS, **AUTH_ERRORS},
        openapi_extra=_image_body("one image with one digit"),
        dependencies=[Depends(check_key)],
    )
    async def predict(request: Request):
        async with in_flight.slot(request, MAX_ONE_BYTES):  # as `one_upload`, cheaper inline
            upload, _ = await one_image(request)
            return JSONResponse(await answer(request, False, upload))

    @app.post(
        "/v1/read",
        tags=["reading"],
        summary="Read a number: every digit, left to right, each with its box",
        response_model=schemas.ReadingOut,
        responses={**ERRORS, **AUTH_ERRORS},
        openapi_extra=_image_body("one image of a number"),
        dependencies=[Depends(check_key)],
    )
    async def read(request: Request):
        async with in_flight.slot(request, MAX_ONE_BYTES):  # as `one_upload`, cheaper inline
            upload, _ = await one_image(request)
            return JSONResponse(await answer(request, True, upload))

    @app.post(
        "/v1/read/strokes",
        tags=["reading"],
        summary="Read a number from its pen strokes (as a drawing canvas records them)",
        response_model=schemas.ReadingOut,
        responses={
            413: {"model": schemas.ErrorOut, "description": "a body over 2 MB"},
            422: {"model": schemas.ErrorOut, "description": "not a list of strokes of points"},
            **AUTH_ERRORS,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schemas.StrokesIn.model_json_schema()}},
            }
        },
        dependencies=[Depends(check_key)],
    )
    async def read_strokes(request: Request):
        raw = (await read_body(request, STROKES_BODY_LIMIT)).getvalue()
        try:
            body = schemas.StrokesIn.model_validate_json(raw)
        except ValidationError as error:
            raise RequestValidationError(error.errors()) from error

        def run_strokes():
            with predictors.borrow() as (version, predictor):
                return version, predictor.read_strokes(body.strokes, body.pen_width)

        try:
            async with readings:
                version, result = await run_in_threadpool(run_strokes)
        except InvalidImageError as error:
            raise RequestError(422, str(error)) from error
        return {**result.to_json(), "model_version": version, "request_id": _request_id(request)}

    @app.post(
        "/v1/read/batch",
        tags=["reading"],
        summary="Read several images in one request; a bad image gets an error of its own",
        response_model=schemas.BatchOut,
        responses={**ERRORS, **AUTH_ERRORS},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "files": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                    "maxItems": config.MAX_BATCH_FILES,
                                }
                            },
                        }
                    }
                },
            }
        },
        dependencies=[Depends(check_key), Depends(batch_upload)],
    )
    async def read_batch(request: Request):
        uploads = await several_images(request)

        def read_one(upload):
            # Each picture's bytes are read from its spooled file only now, one at a time.
            with predictors.borrow() as (version, predictor):
                return version, predictor.read(check_image(upload).data).to_json()

        results, version = [], None
        for upload in uploads:
            try:
                async with readings:
                    version, reading = await run_in_threadpool(read_one, upload)
                results.append({"filename": upload.filename, **reading})
            except (RequestError, InvalidImageError) as error:
                status = getattr(error, "status", None) or _status_of(error)
                problem = {"status": status, "message": str(error)}
                results.append({"filename": upload.filename, "error": problem})
        if version is None:
            version, _ = await run_in_threadpool(predictors.status)
        return JSONResponse(
            {"results": results, "model_version": version, "request_id": _request_id(request)}
        )

    @app.post(
        "/v1/read/page",
        tags=["reading"],
        summary="Read a sheet: every handwritten number on it, top to bottom, then left to right",
        response_model=schemas.PageOut,
        responses={**ERRORS, **AUTH_ERRORS},
        openapi_extra=_image_body("one image of a sheet (a form, a list, a table)"),
        dependencies=[Depends(check_key), Depends(one_upload)],
    )
    async def read_page(request: Request):
        upload, _ = await one_image(request)

        def run_page():
            with predictors.borrow() as (version, predictor):
                return version, predictor.read_page(upload.data)

        try:
            async with readings:
                version, page = await run_in_threadpool(run_page)
        except InvalidImageError as error:
            raise RequestError(_status_of(error), str(error)) from error
        answer = {**page.to_json(), "model_version": version, "request_id": _request_id(request)}
        return JSONResponse(answer)

    @app.post(
        "/v1/feedback",
        tags=["feedback"],
        summary="Store what an image really shows (a confirmation or a correction)",
        description=(
            "A multipart form: the image (`file`) and its true digits (`label`, e.g. `2026`); "
            "optional `source` (default `api`). The image is read again, and each digit is "
            "stored with its 28x28 image, its crop and the model's reading, all in one "
            "transaction, in the same store as the app's feedback. Needs the API key. "
            "Send an `Idempotency-Key` header (any unique text, e.g. a UUID) to retry safely: "
            "a request with a key already stored stores nothing and gets the first answer."
        ),
        response_model=schemas.FeedbackOut,
        responses={**ERRORS, **AUTH_ERRORS, 403: {"model": schemas.ErrorOut}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file", "label"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "label": {"type": "string", "example": "2026"},
                                "source": {"type": "string", "example": "api"},
                            },
                        }
                    }
                },
            }
        },
        dependencies=[Depends(check_admin_key), Depends(one_upload)],
    )
    async def feedback(request: Request):
        key = request.headers.get("idempotency-key")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise RequestError(
                422, "Idempotency-Key must be 1 to 200 visible ASCII characters (e.g. a UUID)"
            )
        upload, fields = await one_image(request)
        label = fields.get("label", "").strip()
        if not label.isdigit() or not label.isascii():
            raise RequestError(
                422, f"label must be the true digits, e.g. '2026' (got {_shown_label(label)})"
            )
        source = fields.get("source", "api").strip()[:40] or "api"
        try:
            stored, replayed = await run_in_threadpool(
                _store_feedback, predictors, store, upload.data, label, source, key
            )
        except InvalidImageError as error:
            raise RequestError(_status_of(error), str(error)) from error
        except FeedbackError as error:
            raise RequestError(503, str(error)) from error
        except ValueError as error:  # the key came with another request
            raise RequestError(422, str(error)) from error
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse({**stored, "request_id": _request_id(request)}, headers=headers)

    @app.get(
        "/v1/feedback/summary",
        tags=["feedback"],
        summary="How many feedback samples the store holds, and how many were read right",
        responses={**AUTH_ERRORS, 403: {"model": schemas.ErrorOut}},
        dependencies=[Depends(check_admin_key)],
    )
    def feedback_summary():
        try:
            samples = store.get().samples(with_images=False)
        except FeedbackError as error:
            raise RequestError(503, str(error)) from error
        right = sum(sample.correct for sample in samples)
        return {
            "samples": len(samples),
            "right": right,
            "last_id": max((s.id for s in samples), default=None),
        }

    return app


class _KeyCheck(HTTPBearer):
    """The API key's check, as one dependency that also declares the bearer scheme in the
    OpenAPI document (so the docs' Authorize sends the key). No key set: every call passes."""

    def __init__(self, api_key):
        super().__init__(
            auto_error=False,
            scheme_name="APIKey",
            description=f"the API key the server was started with (${paths.API_KEY_ENV})",
        )
        self.api_key = api_key

    async def __call__(self, request: Request):
        if self.api_key and not _key_matches(request, self.api_key):
            raise HTTPException(401, "send the API key as 'Authorization: Bearer <key>'")


def _key_matches(request, api_key):
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), api_key.encode()
    )


class _Feedback:
    """The feedback store, opened on first use and kept (with its PostgreSQL connections);
    `reachable()` says, at most once a second, whether it answers."""

    def __init__(self):
        self._store = None
        self._checked = (float("-inf"), False)

    def get(self):
        """The store.

        Raises:
            FeedbackError: it cannot be opened now (tried again on the next call).
        """
        if self._store is None:
            self._store = FeedbackStore()
        return self._store

    def reachable(self):
        when, answer = self._checked
        if time.monotonic() - when < FEEDBACK_CHECK_EVERY:
            return answer
        try:
            self.get().ping()
            answer = True
        except FeedbackError:
            answer = False
        self._checked = (time.monotonic(), answer)
        return answer


def _fingerprint(data, label, source):
    digest = hashlib.sha256(data)
    digest.update(f"\0{label}\0{source}".encode())
    return digest.hexdigest()


def _store_feedback(predictors, store, data, label, source, key=None):
    """Reads the image and stores one feedback row per digit with its true label; with an
    idempotency key, once per key.

    Returns:
        (answer, replayed): replayed is True when the key's request was stored before.
    """
    with predictors.borrow() as (version, predictor):
        reading = predictor.read(data)
        digits = reading.digits
        if len(digits) != len(label) and len(label) == 1:
            single = predictor.predict(data)
            digits = [single] if single.digit is not None else []
    if len(digits) != len(label):
        raise RequestError(
            422,
            f"the label has {len(label)} digits but {len(digits)} were read in the image "
            f"({reading.text or reading.reason}); send one label digit per digit read",
        )
    image = load_image(data)
    samples = [
        {
            "image28": digit.image28,
            "predicted": digit.digit,
            "label": int(true),
            "confidence": digit.confidence,
            "source": source,
            "crop_png": crop_png(image, digit.box),
            "model_version": version,
        }
        for digit, true in zip(digits, label, strict=True)
    ]
    predicted = "".join(str(digit.digit) for digit in digits)

    def answer(ids):
        return {"ids": ids, "predicted": predicted, "label": label, "model_version": version}

    if key is None:
        return answer(store.get().add_many(samples)), False
    stored, new = store.get().add_once(key, _fingerprint(data, label, source), samples, answer)
    return stored, not new
