"""Big pictures are decoded at reduced size, or refused before they cost memory: a 40 MP
upload costs a fraction of its full-size decode, and reads the same."""

import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from bench.upload_memory import SIDE_40MP, TARGET_MB, picture
from model.errors import ImageTooLargeError, InvalidImageError
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
    monkeypatch.setattr(image_io, "STRIP_PIXELS", 1000)  # many strips, each a few rows
    options = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    data = _encoded(image, **options)
    strips = image_io._png_strips(data, factor)
    whole = Image.open(io.BytesIO(data))
    whole.load()
    expected = image_io._reduced(whole, factor)
    assert strips.mode == expected.mode and strips.size == expected.size
    np.testing.assert_array_equal(np.asarray(strips), np.asarray(expected))


def _filtered_png(rows, depth, color, extra=()):
    """A PNG of packed `rows` (uint8, one per row) whose rows take turns at the filters
    None, Sub, Up and Average (a step of one byte: depths under 8 or one 8-bit channel)."""
    raw, above = [], np.zeros_like(rows[0], np.int16)
    for index, row in enumerate(rows.astype(np.int16)):
        kind = index % 4
        left = np.concatenate([[0], row[:-1]])
        filtered = [row, row - left, row - above, row - (left + above) // 2][kind]
        raw.append(bytes([kind]) + (filtered % 256).astype(np.uint8).tobytes())
        above = row
    height, width_bytes = rows.shape
    width = width_bytes * 8 // (depth * image_io._PNG_BANDS[color])
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    chunks = [image_io._png_chunk(b"IHDR", header), *extra]
    chunks.append(image_io._png_chunk(b"IDAT", zlib.compress(b"".join(raw))))
    return image_io._PNG_SIGNATURE + b"".join([*chunks, image_io._png_chunk(b"IEND", b"")])


def _palette_chunk(colours):
    rng = np.random.default_rng(1)
    return image_io._png_chunk(b"PLTE", rng.integers(0, 256, 3 * colours, np.uint8).tobytes())


@pytest.mark.parametrize(
    "depth, color, extra",
    [
        (1, 0, ()),
        (2, 0, ()),
        (4, 0, ()),
        (1, 3, (_palette_chunk(2),)),
        (4, 3, (_palette_chunk(16),)),
    ],
    ids=["1-bit", "2-bit grey", "4-bit grey", "1-bit palette", "4-bit palette"],
)
@pytest.mark.parametrize("factor", [2, 3])
def test_a_png_under_8_bits_decoded_in_strips_equals_the_whole_decode_shrunk(
    depth, color, extra, factor, monkeypatch
):
    monkeypatch.setattr(image_io, "STRIP_PIXELS", 1000)
    rows = np.random.default_rng(0).integers(0, 256, (203, 20), dtype=np.uint8)  # 160/80/40 px
    data = _filtered_png(rows, depth, color, extra)
    whole = Image.open(io.BytesIO(data))
    whole.load()
    expected = whole.convert(image_io._averaged_mode(whole)).reduce(factor)
    strips = image_io._png_strips(data, factor)
    assert strips.mode == expected.mode and strips.size == expected.size
    np.testing.assert_array_equal(np.asarray(strips), np.asarray(expected))


@pytest.mark.parametrize("transparency", [None, 1234])
def test_a_16_bit_grey_png_decoded_in_strips_keeps_its_depth(transparency, monkeypatch):
    monkeypatch.setattr(image_io, "STRIP_PIXELS", 1000)
    rng = np.random.default_rng(0)
    deep = rng.integers(0, 65536, (157, 203), dtype=np.uint16)
    deep[50:100] = deep[50:100] // 4096 * 4096  # smooth rows too: other PNG filters
    image = Image.fromarray(deep)
    data = _encoded(image, **({"transparency": transparency} if transparency else {}))
    strips = image_io._png_strips(data, 2)
    expected = Image.open(io.BytesIO(data)).convert("I").reduce(2)
    assert strips.mode == "I;16" and strips.size == expected.size
    np.testing.assert_array_equal(np.asarray(strips), np.asarray(expected))


def test_a_16_bit_colour_png_is_not_decoded_in_strips():
    rgb = np.zeros((20, 20, 3), np.uint16)
    header = struct.pack(">IIBBBBB", 20, 20, 16, 2, 0, 0, 0)
    data = image_io._PNG_SIGNATURE + image_io._png_chunk(b"IHDR", header)
    assert rgb.size and image_io._png_strips(data, 2) is None


def _sixteen_bit_seven(side):
    return Image.fromarray(np.asarray(picture(side, "L")).astype(np.uint16) * 257)


def test_a_huge_16_bit_png_of_a_digit_is_read_in_strips(predictor):
    data = _encoded(_sixteen_bit_seven(5600))
    assert image_io._png_strips(data, 2) is not None
    array, scale = load_image_scaled(data)
    assert scale == 0.5 and array.shape == (2800, 2800) and array.dtype == np.uint8
    assert predictor.read(data).text == "7"


def _four_bit(image):
    """A grey picture as a 16-colour palette picture (white paper, black ink at index 5)."""
    indices = np.where(np.asarray(image.convert("L")) < 128, 5, 0).astype(np.uint8)
    palette = Image.fromarray(indices, "P")
    palette.putpalette([255, 255, 255] + [0, 0, 0] * 15)
    return palette


@pytest.mark.parametrize(
    "make",
    [
        lambda: _encoded(picture(SIDE_40MP, "L").convert("1")),
        lambda: _encoded(_four_bit(picture(SIDE_40MP, "L")), bits=4),
        lambda: _encoded(picture(SIDE_40MP, "L").convert("1"), "TIFF", compression="group4"),
        lambda: _encoded(picture(SIDE_40MP, "L").convert("1"), "BMP"),
    ],
    ids=["1-bit PNG", "4-bit palette PNG", "1-bit TIFF", "1-bit BMP"],
)
def test_a_40_megapixel_1_bit_or_palette_picture_is_read_shrunk_never_converted_whole(
    make, predictor, monkeypatch
):
    data = make()
    converted, convert = [], Image.Image.convert

    def recording_convert(image, *arguments, **options):
        converted.append(image.size[0] * image.size[1])
        return convert(image, *arguments, **options)

    monkeypatch.setattr(Image.Image, "convert", recording_convert)
    array, scale = load_image_scaled(data)
    assert scale == pytest.approx(1 / 3) and array.shape[:2] == (2100, 2100)
    assert array.ndim == 2 or array.shape[2] == 3  # 1-bit is read as grey, never as RGBA
    # Converted (to grey or RGB) a strip at a time, or once shrunk: never at full size.
    assert converted and max(converted) <= 2100 * 2100
    monkeypatch.undo()
    assert predictor.read(data).text == "7"


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_a_picture_wider_than_the_widest_allowed_is_refused_from_its_header(mode):
    data = _encoded(Image.new(mode, (40_000_000, 1), 255))
    with pytest.raises(ImageTooLargeError, match="a side may be at most 65,535 pixels"):
        load_image_scaled(data)


def test_the_widest_picture_allowed_is_read_in_strips(predictor):
    with pytest.raises(ImageTooLargeError, match="a side may be at most"):
        load_image_scaled(_encoded(picture(610, "RGBA", transparent=True, width=65536)))
    data = _encoded(picture(610, "RGBA", transparent=True, width=65535))
    array, scale = load_image_scaled(data)
    assert scale == pytest.approx(0.25, abs=1e-4) and array.shape == (153, 16384, 4)
    # Read at 1000 px a side the 7 is a few pixels tall: only where it is found is checked,
    # in the file's own pixels (the drawing is the 610 px square in the middle).
    (digit,) = predictor.read(data).digits
    left, top, width, height = digit.box
    assert left >= 32462 and left + width <= 33072 + 30 and top + height <= 610


def test_a_tiff_is_read_by_its_cost_only_its_first_frame(predictor):
    image = _sixteen_bit_seven(5600)
    data = _encoded(image, "TIFF", compression="tiff_lzw", strip_size=2**31)
    with pytest.raises(ImageTooLargeError, match="too large to read safely as a TIFF"):
        load_image_scaled(data)
    # The same picture in strips of 64 KB (Pillow's default) is read.
    data = _encoded(_sixteen_bit_seven(3000), "TIFF", compression="tiff_lzw")
    array, scale = load_image_scaled(data)
    assert scale == 0.5 and array.dtype == np.uint8
    assert predictor.read(data).text == "7"
    frames = [Image.new("L", (3000, 3000), 255)] * 3
    data = _encoded(picture(3000, "L"), "TIFF", save_all=True, append_images=frames)
    assert Image.open(io.BytesIO(data)).n_frames == 4
    array, scale = load_image_scaled(data)
    assert scale == 0.5 and array.shape == (1500, 1500)
    assert predictor.read(data).text == "7"


def test_a_big_webp_is_refused_by_its_cost_a_small_one_read(predictor):
    with pytest.raises(ImageTooLargeError, match="too large to read safely as a WEBP"):
        load_image_scaled(_encoded(picture(3000, "RGB"), "WEBP"))
    assert predictor.read(_encoded(picture(1500, "RGB"), "WEBP")).text == "7"


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
    with pytest.raises(ImageTooLargeError, match="too large to read safely as a TIFF"):
        load_image_scaled(tiff)
    grey = _encoded(Image.new("L", (6000, 6000), 255), "TIFF", compression="tiff_lzw")
    array, scale = load_image_scaled(grey)  # 36 MB decoded whole: then shrunk
    assert scale == pytest.approx(1 / 3) and array.shape == (2000, 2000)


def test_a_huge_16_bit_png_is_shrunk_keeping_its_depth():
    ramp = np.tile(np.linspace(0, 4000, 4000).astype(np.uint16), (4000, 1))
    array, scale = load_image_scaled(_encoded(Image.fromarray(ramp)))
    assert scale == 0.5 and array.shape == (2000, 2000) and array.dtype == np.uint8
    assert array[0, 0] == 0 and array[0, -1] == 255 and 120 < array[0, 1000] < 135


def test_a_truncated_huge_png_is_a_clear_error():
    data = _encoded(picture(SIDE_40MP, "RGB"))
    with pytest.raises(InvalidImageError, match="corrupt or truncated"):
        load_image_scaled(data[: len(data) // 2])


@pytest.mark.slow
def test_the_worst_uploads_cost_less_than_the_targets_in_the_app_and_the_api():
    from bench.upload_memory import CONCURRENT_TARGET_MB, run

    result = run(quick=True)
    assert len(result["uploads"]) == 4, json.dumps(result)  # 2 pictures, 2 paths
    for upload in result["uploads"]:
        if upload["pixels"] == SIDE_40MP**2:
            assert upload["read"] == "7", json.dumps(upload)
        else:
            assert "a side may be at most" in upload["refused"], json.dumps(upload)
        assert upload["over_idle_mb"] <= TARGET_MB, json.dumps(upload)
    (concurrent,) = result["concurrent"]  # 10 batches of 49.5 MB of junk at once
    assert concurrent["over_idle_mb"] <= CONCURRENT_TARGET_MB, json.dumps(concurrent)
    assert set(concurrent["statuses"]) <= {"200", "503"}, json.dumps(concurrent)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_a_big_jpeg_is_decoded_straight_into_an_array_as_pillow_decodes_it(orientation):
    image = picture(3000, "RGB").resize((3600, 3000))  # 10.8 MP: over FULL_PIXELS
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encoded(image, "JPEG", quality=90, exif=exif.tobytes())
    opened = Image.open(io.BytesIO(data))
    array = image_io._big_jpeg_array(opened, data)
    assert array is not None and array.flags.c_contiguous
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
    np.testing.assert_array_equal(array, expected)
    np.testing.assert_array_equal(load_image_scaled(data)[0], expected)
    with pytest.raises(InvalidImageError, match="corrupt or truncated"):
        load_image_scaled(data[: len(data) // 2])
