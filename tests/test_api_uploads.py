"""Uploads on a real uvicorn server: degenerate pictures are refused or read at reduced size,
bodies are read in chunks, and the upload bytes in flight are capped (503, Retry-After)."""

import io
import socket
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from bench.servers import running_server
from bench.upload_memory import SIDE_40MP, picture
from model.api.uploads import MAX_BATCH_BYTES


def _saved(image, kind="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def _sixteen_bit(side):
    return Image.fromarray(np.asarray(picture(side, "L")).astype(np.uint16) * 257)


def _four_bit(side):
    indices = np.where(np.asarray(picture(side, "L")) < 128, 5, 0).astype(np.uint8)
    palette = Image.fromarray(indices, "P")
    palette.putpalette([255, 255, 255] + [0, 0, 0] * 15)
    return _saved(palette, bits=4)


# (name, bytes, what the server answers: the digits read, or an error's status and words)
PICTURES = [
    ("16-bit.png", lambda: _saved(_sixteen_bit(3000)), "7"),
    ("1-bit.png", lambda: _saved(picture(SIDE_40MP, "L").convert("1")), "7"),
    ("4-bit-palette.png", lambda: _four_bit(SIDE_40MP), "7"),
    (
        "1-bit.tif",
        lambda: _saved(picture(SIDE_40MP, "L").convert("1"), "TIFF", compression="group4"),
        "7",
    ),
    (
        "frames.tif",
        lambda: _saved(
            picture(3000, "L"),
            "TIFF",
            compression="tiff_lzw",
            save_all=True,
            append_images=[Image.new("L", (3000, 3000), 255)] * 2,
        ),
        "7",
    ),
    (
        "40000000x1.png",
        lambda: _saved(Image.new("RGBA", (40_000_000, 1), (255, 255, 255, 255))),
        (413, "a side may be at most 65,535 pixels"),
    ),
    (
        "16-bit-one-strip.tif",
        lambda: _saved(_sixteen_bit(5600), "TIFF", compression="tiff_lzw", strip_size=2**31),
        (413, "too large to read safely as a TIFF"),
    ),
    (
        "big.webp",
        lambda: _saved(picture(4000, "RGB"), "WEBP"),
        (413, "too large to read safely as a WEBP"),
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-uploads")
    env = {
        "DIGITS_FEEDBACK_DB": str(folder / "feedback.db"),
        "DIGITS_REGISTRY": str(folder / "registry"),
    }
    with running_server(env, log=folder / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def pictures():
    return [(name, make(), expected) for name, make, expected in PICTURES]


@pytest.mark.slow
def test_every_degenerate_picture_is_refused_or_read_in_a_batch_and_alone(server, pictures):
    with httpx.Client(base_url=server, timeout=300) as client:
        files = [("files", (name, data)) for name, data, _ in pictures]
        answer = client.post("/v1/read/batch", files=files)
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [result["filename"] for result in results] == [name for name, _, _ in pictures]
        for (name, data, expected), result in zip(pictures, results, strict=True):
            if isinstance(expected, str):
                assert result.get("text") == expected, (name, result)
            else:
                status, words = expected
                assert result["error"]["status"] == status and words in result["error"]["message"]
                alone = client.post("/v1/read", files={"file": (name, data)})
                assert alone.status_code == status and words in alone.json()["error"]["message"]
        raw = client.post("/v1/predict", content=pictures[0][1])
        assert raw.status_code == 200 and raw.json()["digit"] == 7


def _hold_batch(url, size):
    """Opens a batch request that declares `size` bytes and sends only its headers and a few
    bytes: the server holds room for it until the connection closes."""
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(
        (
            f"POST /v1/read/batch HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\n"
            "Content-Type: multipart/form-data; boundary=xyz\r\n\r\n--xyz\r\n"
        ).encode()
    )
    return connection


@pytest.mark.slow
def test_uploads_past_the_cap_get_503_with_retry_after_until_room_is_made(server):
    small = _saved(picture(280, "L"))
    with httpx.Client(base_url=server, timeout=60) as client:
        held = [_hold_batch(server, MAX_BATCH_BYTES) for _ in range(2)]
        try:
            deadline, answer = time.monotonic() + 20, None
            while time.monotonic() < deadline:
                answer = client.post("/v1/read/batch", files=[("files", ("a.png", small))])
                if answer.status_code == 503:
                    break
                time.sleep(0.2)
            assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
            assert "retry in 1 s" in answer.json()["error"]["message"]
            # Single pictures still have room beside two maximal batches.
            assert client.post("/v1/read", content=small).json()["text"] == "7"
        finally:
            for connection in held:
                connection.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            answer = client.post("/v1/read/batch", files=[("files", ("a.png", small))])
            if answer.status_code == 200:
                break
            time.sleep(0.2)
        assert answer.status_code == 200 and answer.json()["results"][0]["text"] == "7"
