"""Big pictures are decoded at reduced size, or refused before they cost memory: a 40 MP
upload costs a fraction of its full-size decode, and reads the same."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from bench.upload_memory import SIDE_40MP, TARGET_MB, picture
from model.errors import InvalidImageError
from model.inference import image_io
from model.inference.image_io import load_image_scaled


def _encoded(image, kind="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def _noise(mode, size=(157, 203), seed=0):
    bands = len(Image.new(mode, (1, 1)).getbands())
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0]) if bands == 1 else (size[1], size[0], bands)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels[50:100] = pixels[50:100] // 16 * 16  # smooth rows too: other PNG filters
    return Image.fromarray(pixels, mode)


def _palette(transparency=None):
    image = _noise("L").convert("P", palette=Image.Palette.ADAPTIVE)
    if transparency is not None:
        image.info["transparency"] = transparency
    return image


@pytest.mark.parametrize(
    "image",
    [
        _noise("L"),
        _noise("RGB"),
        _noise("RGBA"),
        _noise("LA"),
        _palette(),
        _palette(transparency=5),
    ],
    ids=["L", "RGB", "RGBA", "LA", "P", "P+tRNS"],
)
@pytest.mark.parametrize("factor", [2, 3, 4])
def test_a_png_decoded_in_strips_equals_the_whole_decode_shrunk(image, factor, monkeypatch):
    monkeypatch.setattr(image_io, "STRIP_BYTES", 3000)  # many strips, each a few rows
    options = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    data = _encoded(image, **options)
    strips = image_io._png_strips(data, factor)
    whole = Image.open(io.BytesIO(data))
    whole.load()
    expected = image_io._reduced(whole, factor)
    assert strips.mode == expected.mode and strips.size == expected.size
    np.testing.assert_array_equal(np.asarray(strips), np.asarray(expected))


def test_a_40_megapixel_png_is_read_at_reduced_size_with_boxes_in_its_own_pixels(predictor):
    data = _encoded(picture(SIDE_40MP, "RGB"))
    array, scale = load_image_scaled(data)
    assert scale == pytest.approx(1 / 3) and array.shape == (2100, 2100, 3)
    result = predictor.predict(data)
    assert result.digit == 7
    left, top, width, height = result.box
    # The 7 spans x 0.3-0.7 and y 0.25-0.8 of the side (plus its stroke), in file pixels.
    assert abs(left - 0.3 * SIDE_40MP) < 0.05 * SIDE_40MP
    assert abs(top - 0.25 * SIDE_40MP) < 0.05 * SIDE_40MP
    assert abs(left + width - 0.7 * SIDE_40MP) < 0.05 * SIDE_40MP
    assert predictor.read(data).text == "7"


def test_pictures_under_the_limits_are_decoded_whole():
    array, scale = load_image_scaled(_encoded(Image.new("RGB", (2896, 2896), "white")))
    assert scale == 1.0 and array.shape == (2896, 2896, 3)
    array, scale = load_image_scaled(_encoded(Image.new("RGBA", (2100, 2100), (0, 0, 0, 0))))
    assert scale == 0.5 and array.shape == (1050, 1050, 4)  # transparency: a lower limit


def test_a_huge_picture_of_another_format_is_refused_before_decoding():
    tiff = _encoded(Image.new("RGB", (6000, 6000), "white"), "TIFF", compression="tiff_lzw")
    with pytest.raises(InvalidImageError, match="too large to read safely as a TIFF"):
        load_image_scaled(tiff)
    grey = _encoded(Image.new("L", (6000, 6000), 255), "TIFF", compression="tiff_lzw")
    array, scale = load_image_scaled(grey)  # 36 MB decoded whole: then shrunk
    assert scale == pytest.approx(1 / 3) and array.shape == (2000, 2000)


def test_a_huge_16_bit_png_is_decoded_whole_then_shrunk_keeping_its_depth():
    ramp = np.tile(np.linspace(0, 4000, 4000).astype(np.uint16), (4000, 1))
    array, scale = load_image_scaled(_encoded(Image.fromarray(ramp)))  # no strips: 16-bit
    assert scale == 0.5 and array.shape == (2000, 2000) and array.dtype == np.uint8
    assert array[0, 0] == 0 and array[0, -1] == 255 and 120 < array[0, 1000] < 135


def test_a_truncated_huge_png_is_a_clear_error():
    data = _encoded(picture(SIDE_40MP, "RGB"))
    with pytest.raises(InvalidImageError, match="corrupt or truncated"):
        load_image_scaled(data[: len(data) // 2])


@pytest.mark.slow
def test_a_40_megapixel_png_costs_less_than_the_target_over_the_idle_server():
    from bench.upload_memory import run

    result = run(quick=True)
    (upload,) = result["uploads"]
    assert upload["read"] == "7" and upload["pixels"] == SIDE_40MP**2
    assert 0 < upload["over_idle_mb"] <= TARGET_MB, json.dumps(result)
