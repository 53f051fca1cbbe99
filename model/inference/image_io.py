"""Turning whatever the caller hands in (path, bytes, PIL image, array) into a numpy image."""

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from model.errors import ImageTooLargeError, InvalidImageError

try:  # libspng decodes plain PNGs about twice as fast as Pillow, to the same pixels
    import pyspng
except ImportError:  # pragma: no cover - Pillow reads every PNG anyway
    pyspng = None

# Refuse decompression bombs: larger images raise instead of allocating gigabytes. JPEG
# photos up to 8x larger on each side are decoded at reduced size instead (camera pictures).
# A side over MAX_SIDE (the most a JPEG or WebP can have) is refused: one row of a
# 40,000,000 x 1 picture is already 160 MB.
MAX_PIXELS = 40_000_000
MAX_SIDE = 65_535
JPEG_REDUCTION = 8
Image.MAX_IMAGE_PIXELS = None  # checked here, before decoding, with a clear message

# Memory: a picture costs several bytes per pixel while it is read (about 8 for RGB, 26 when
# transparency has to be composited), and the reader works at 1000 pixels a side anyway.
# JPEG photos up to FULL_PIXELS_JPEG (every real photo of the evaluation sets), other
# pictures up to FULL_PIXELS, or FULL_PIXELS_ALPHA with transparency, are decoded as they
# are; larger ones at 1/2, 1/3, ... size, so that no upload costs more than about 150 MB.
# JPEGs shrink while decoding (`draft`), non-interlaced PNGs of 1 to 16 bits strip by strip
# (never whole, except 16-bit colour); other pictures are decoded whole only when that costs
# at most DECODE_BYTES (width x height x the bytes of a decoded pixel, and what the decoder
# holds beside: WebP three more copies, TIFF a strip), and refused above.
FULL_PIXELS_JPEG = 4096 * 4096
FULL_PIXELS = 2896 * 2896
FULL_PIXELS_ALPHA = 2048 * 2048
JPEG_FORMATS = ("JPEG", "MPO")
DECODE_BYTES = 64 * 1024 * 1024
STRIP_PIXELS = 1024 * 1024  # pixels decoded, converted or shrunk at a time
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_BANDS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> channels
_BYTE_IMAGE = {1: 0, 2: 4, 3: 2, 4: 6}  # bytes a PNG filter steps by -> 8-bit colour type
_PLAIN_PNG_TYPES = {0: FULL_PIXELS, 2: FULL_PIXELS, 6: FULL_PIXELS_ALPHA}  # gray, RGB, RGBA
# Chunks that change what Pillow makes of the pixels: a palette, transparency, a rotation.
_PNG_TRANSFORMING = (b"PLTE", b"tRNS", b"eXIf")


def _array(image, rows=256):
    """`np.asarray(image)` a strip of rows at a time: asarray alone holds two copies."""
    width, height = image.size
    if width * height <= 1_000_000:
        return np.asarray(image)
    first = np.asarray(image.crop((0, 0, width, min(rows, height))))
    array = np.empty((height, *first.shape[1:]), first.dtype)
    array[: len(first)] = first
    for top in range(rows, height, rows):
        array[top : top + rows] = np.asarray(image.crop((0, top, width, min(height, top + rows))))
    return array


def _to_8_bits(array):
    """Deep pixels (16-bit, int32, float) stretched from their lowest to their highest value
    onto 0-255, a strip of rows at a time (never a float copy of the whole picture)."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidImageError("the image holds NaN or infinite pixel values")
    low, high = array.min(), array.max()
    result = np.zeros(array.shape, np.uint8)
    if high > low:
        scale = 255.0 / (float(high) - float(low))
        rows = max(1, STRIP_PIXELS // max(1, array.shape[1]))
        for top in range(0, len(array), rows):
            result[top : top + rows] = (array[top : top + rows] - low) * scale
    return result


def _from_pil(image):
    try:
        if image.getexif().get(0x0112, 1) != 1:  # an EXIF orientation to apply
            image = ImageOps.exif_transpose(image)
        # Only the first frame is read: `Image.open` starts there.
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            return _to_8_bits(_array(image))
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            return _array(image.convert("RGBA"))
        return _array(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
    except InvalidImageError:
        raise
    except (OSError, ValueError, SyntaxError) as error:
        raise InvalidImageError(f"the image data is corrupt or truncated ({error})") from error


def _too_large(name, width, height):
    return ImageTooLargeError(
        f"{name} is too large to decode safely ({width}x{height} pixels; the limit is "
        f"{MAX_PIXELS:,} pixels, or {MAX_PIXELS * JPEG_REDUCTION**2:,} for a JPEG)"
    )


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _reduction(image):
    """The factor a picture is shrunk by while decoding: 1 up to its limit (FULL_PIXELS_JPEG,
    FULL_PIXELS, or FULL_PIXELS_ALPHA with transparency), else the smallest that brings it
    under."""
    width, height = image.size
    if _has_alpha(image):
        limit = FULL_PIXELS_ALPHA
    else:
        limit = FULL_PIXELS_JPEG if image.format in JPEG_FORMATS else FULL_PIXELS
    factor = 1
    while -(-width // factor) * -(-height // factor) > limit:
        factor += 1
    return factor


def _averaged_mode(image):
    """The mode a picture is shrunk in: 1-bit as grey, a palette or other modes as RGB(A),
    16-bit grey kept deep."""
    if image.mode == "1":
        return "L"
    if image.mode.startswith("I;16"):
        return "I"
    if image.mode in ("L", "LA", "RGB", "RGBA", "I", "F"):
        return image.mode
    return "RGBA" if _has_alpha(image) else "RGB"


def _reduced(image, factor):
    """`image.reduce(factor)`, in a mode that can be averaged (a palette cannot), converted
    and shrunk a strip of rows at a time: never a converted copy of the whole picture."""
    if factor == 1:
        return image
    mode, width, height = _averaged_mode(image), *image.size
    rows = factor * max(1, STRIP_PIXELS // (width * factor))
    output = None
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        strip = (strip.convert(mode) if strip.mode != mode else strip).reduce(factor)
        if image.mode.startswith("I;16"):
            strip = strip.convert("I;16")  # averages of 16-bit values: 2 bytes, not 4
        if output is None:
            output = Image.new(strip.mode, (-(-width // factor), -(-height // factor)))
        output.paste(strip, (0, top // factor))
    return output


def _png_chunk(kind, body):
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def _png(width, height, depth, color, extra, raw):
    """A PNG of its own holding `raw` (filtered rows, each led by its filter byte), decoded."""
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    image = Image.open(
        io.BytesIO(
            b"".join(
                [
                    _PNG_SIGNATURE,
                    _png_chunk(b"IHDR", header),
                    *extra,
                    _png_chunk(b"IDAT", zlib.compress(raw, 0)),
                    _png_chunk(b"IEND", b""),
                ]
            )
        )
    )
    image.load()
    return image


def _png_strips(data, factor):
    """Decodes a non-interlaced PNG of 1 to 8 bits (or 16-bit grey, with or without alpha)
    shrunk by `factor`, a strip of rows at a time, so that the whole picture is never in
    memory at full size.

    Each strip is handed to Pillow as a PNG of its own, whose first row is the last row of
    the strip before (unfiltered): PNG filters only look one row up. That row's raw bytes
    come from the strip itself for 8-bit pictures, else from the same rows read as an 8-bit
    picture whose pixels are as many bytes as the real ones (the filters' step).

    Returns:
        The shrunk PIL image, or None when the PNG is not of that kind (16-bit colour,
        interlaced).
    """
    view = memoryview(data)
    position, header, extra, compressed = len(_PNG_SIGNATURE), None, [], []
    while position + 8 <= len(view):
        length, kind = struct.unpack(">I4s", view[position : position + 8])
        body = view[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body[:13])
        elif kind in (b"PLTE", b"tRNS"):
            extra.append(_png_chunk(kind, bytes(body)))
        elif kind == b"IDAT":
            compressed.append(body)
        elif kind == b"IEND":
            break
        position += 12 + length
    if header is None:
        return None
    width, height, depth, color, _, _, interlaced = header
    if interlaced or color not in _PNG_BANDS or depth not in (1, 2, 4, 8, 16):
        return None
    bits = depth * _PNG_BANDS[color]
    step = max(1, bits // 8)
    if depth != 8 and step not in _BYTE_IMAGE:
        return None
    row_bytes = 1 + -(-width * bits // 8)
    rows_per_strip = factor * max(1, STRIP_PIXELS // (width * factor))
    inflate = zlib.decompressobj()
    pending = bytearray()
    previous = bytes(row_bytes)  # filter "none", all zeros: what PNG assumes above row 0
    output, top = None, 0

    def decode_strip(raw, rows):
        nonlocal previous, output, top
        strip = _png(width, rows + 1, depth, color, extra, previous + raw)
        if depth == 8:
            last = strip.crop((0, rows, width, rows + 1))
        else:
            as_bytes = _png(
                (row_bytes - 1) // step, rows + 1, 8, _BYTE_IMAGE[step], [], previous + raw
            )
            last = as_bytes.crop((0, rows, as_bytes.size[0], rows + 1))
        previous = b"\0" + last.tobytes()
        strip = _reduced(strip.crop((0, 1, width, rows + 1)), factor)
        if output is None:
            output = Image.new(strip.mode, (-(-width // factor), -(-height // factor)))
        output.paste(strip, (0, top))
        top += strip.size[1]

    rows_done = 0
    chunks = iter(compressed)
    tail = b""
    while rows_done < height:
        want = min(rows_per_strip, height - rows_done) * row_bytes
        while len(pending) < want:
            if not tail:
                tail = next(chunks, None)
                if tail is None:
                    raise ValueError("its PNG data ends early")
            pending += inflate.decompress(tail, want - len(pending))
            tail = inflate.unconsumed_tail
        rows = want // row_bytes
        decode_strip(bytes(pending[:want]), rows)
        del pending[:want]
        rows_done += rows
    return output


def _pixel_bytes(mode):
    """What one pixel of a decoded picture takes in Pillow (RGB is kept in 4 bytes)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def _decode_cost(image, data):
    """Bytes that decoding the whole picture takes: the picture, and what its decoder holds
    beside it (WebP's decoder, buffers of its own; TIFF's, a strip or tile and the file)."""
    width, height = image.size
    cost = width * height * _pixel_bytes(image.mode)
    if image.format == "WEBP":
        cost *= 4  # measured: a 4096x4096 WebP peaks 252 MB over idle while decoding
    elif image.format == "TIFF":
        tags = getattr(image, "tag_v2", {})
        try:
            samples = int(tags.get(277, len(image.getbands())))
            bits = tags.get(258, (1,))  # the TIFF default
            bits = sum(bits) if len(bits) == samples else int(bits[0]) * samples
            if 322 in tags and 323 in tags:
                block = int(tags[322]) * int(tags[323])
            else:
                block = width * min(height, int(tags.get(278, height)))
        except (TypeError, ValueError, IndexError):  # odd tags: the worst, a 32-bit strip of all
            bits, block = 32 * len(image.getbands()), width * height
        cost += block * bits // 8 + len(data)
    return cost


def _decoded(image, data, name):
    """Decodes an opened image, shrunk while decoding when it is huge (see FULL_PIXELS), or
    refuses it from its header when that would cost too much memory (see DECODE_BYTES)."""
    width, height = image.size
    jpeg = image.format in JPEG_FORMATS
    if width * height > (MAX_PIXELS * JPEG_REDUCTION**2 if jpeg else MAX_PIXELS):
        raise _too_large(name, width, height)
    if max(width, height) > MAX_SIDE:
        raise ImageTooLargeError(
            f"{name} is too large to decode safely ({width}x{height} pixels; a side may be "
            f"at most {MAX_SIDE:,} pixels)"
        )
    factor = _reduction(image)
    if jpeg:
        if factor == 1:
            image.load()
            return image
        # Draft picks the strongest reduction that stays at least the size asked for.
        image.draft(image.mode, (-(-width // factor), -(-height // factor)))
        if image.size[0] * image.size[1] > MAX_PIXELS:
            raise _too_large(name, width, height)
        image.load()
        return _reduced(image, _reduction(image))
    if image.format == "PNG" and factor > 1:
        strips = _png_strips(data, factor)
        if strips is not None:
            return strips
    if _decode_cost(image, data) > DECODE_BYTES:
        raise ImageTooLargeError(
            f"{name} is too large to read safely as a {image.format or 'picture'} of "
            f"{width}x{height} pixels ({image.mode}); save it as JPEG or as a non-interlaced "
            "PNG (not 16-bit colour), or shrink it"
        )
    image.load()
    return _reduced(image, factor)


# EXIF orientation -> the same turn as `ImageOps.exif_transpose`, on an array.
_ORIENTATIONS = {
    2: lambda array: array[:, ::-1],
    3: lambda array: array[::-1, ::-1],
    4: lambda array: array[::-1],
    5: lambda array: array.swapaxes(0, 1),
    6: lambda array: np.rot90(array, -1),
    7: lambda array: np.rot90(array, 2).swapaxes(0, 1),
    8: lambda array: np.rot90(array, 1),
}


def _big_jpeg_array(image, data):
    """A JPEG (RGB or grey) over FULL_PIXELS, decoded whole by OpenCV straight into an array,
    upright; None for any other picture, or a JPEG cut short (Pillow then says so).

    Pillow would hold it twice while it becomes an array (its own copy at 4 bytes a pixel):
    a 16.8 MP photo peaked 160 MB over an idle server, this way 50 MB less. The pixels are
    the same (checked on the 93 JPEGs of the real sets)."""
    width, height = image.size
    if image.format not in JPEG_FORMATS or image.mode not in ("RGB", "L"):
        return None
    if width * height <= FULL_PIXELS or _reduction(image) > 1:
        return None
    if not data[-4096:].rstrip(b"\0").endswith(b"\xff\xd9"):  # no end-of-image marker
        return None
    grey = image.mode == "L"
    flags = (cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR_RGB) | (
        cv2.IMREAD_IGNORE_ORIENTATION
    )
    array = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if array is None or array.shape[:2] != (height, width):
        return None
    turn = _ORIENTATIONS.get(image.getexif().get(0x0112, 1))
    return np.ascontiguousarray(turn(array)) if turn else array


def _plain_png(data):
    """The pixels of a plain PNG (8-bit gray, RGB or RGBA, not interlaced, no palette,
    transparency chunk or EXIF, small enough to decode whole) decoded by libspng: exactly
    Pillow's, faster. None for any other file, or one libspng refuses (Pillow then reads it,
    or says what is wrong)."""
    if pyspng is None or not data.startswith(_PNG_SIGNATURE) or len(data) < 33:
        return None
    width, height, depth, color, _, _, interlaced = struct.unpack(">IIBBBBB", data[16:29])
    if data[12:16] != b"IHDR" or depth != 8 or interlaced or color not in _PLAIN_PNG_TYPES:
        return None
    if width * height > _PLAIN_PNG_TYPES[color]:
        return None
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind in _PNG_TRANSFORMING:
            return None
        if kind == b"IDAT":
            break
        position += 12 + length
    try:
        return pyspng.load(data)
    except Exception:  # libspng's own errors; Pillow reports the problem
        return None


def _open_bytes(data, name):
    """Decodes image file bytes; returns the array and its size over the file's full size."""
    if not data:
        raise InvalidImageError(f"{name} is empty (0 bytes)")
    plain = _plain_png(data)
    if plain is not None:
        return plain, 1.0
    try:
        image = Image.open(io.BytesIO(data))
        array = _big_jpeg_array(image, data)
        if array is not None:
            return array, 1.0
        full_width = image.size[0]
        image = _decoded(image, data, name)
        scale = image.size[0] / full_width
    except InvalidImageError:
        raise
    except UnidentifiedImageError as error:
        raise InvalidImageError(f"{name} is not an image format this app can read") from error
    except (OSError, ValueError, SyntaxError, zlib.error, struct.error) as error:
        raise InvalidImageError(f"{name} is corrupt or truncated ({error})") from error
    return _from_pil(image), scale


def _check_array(array):
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    if array.dtype.kind not in "uif":
        raise InvalidImageError(f"an image array must be numeric, not {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImageError(
            f"an image array must be (H, W), (H, W, 3) or (H, W, 4), not {array.shape}"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise InvalidImageError(f"the image is empty ({array.shape[0]}x{array.shape[1]} pixels)")
    if array.shape[0] * array.shape[1] > MAX_PIXELS:
        raise ImageTooLargeError(f"the image is too large (over {MAX_PIXELS:,} pixels)")
    if array.dtype != np.uint8:
        values = array.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise InvalidImageError("the image array holds NaN or infinite values")
        if array.dtype.kind == "f" and values.max(initial=0) <= 1.0 and values.min(initial=0) >= 0:
            values = values * 255.0
        elif values.max(initial=0) > 255 or values.min(initial=0) < 0:
            low, high = values.min(), values.max()
            values = (values - low) * (255.0 / (high - low)) if high > low else values * 0
        array = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return array


def fit_within(image, longest_side):
    """Shrinks an image (anti-aliased) so its longer side is at most `longest_side` pixels."""
    height, width = image.shape[:2]
    scale = longest_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def enlarged_sharp(image, shortest_side, longest_side):
    """A small picture enlarged by a whole factor, each pixel a sharp block, until its shorter
    side reaches `shortest_side`, its longer side within `longest_side`; the picture itself
    where that is less than twice its size."""
    shortest, longest = min(image.shape[:2]), max(image.shape[:2])
    factor = min(-(-shortest_side // max(shortest, 1)), longest_side // max(longest, 1))
    if factor < 2:
        return image
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)


def load_image(source):
    """Reads an image from a path, bytes, a PIL image or a numpy array.

    Args:
        source: a file path (str or Path), the bytes of an image file, a `PIL.Image.Image`,
            or an array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Arrays may be
            uint8 (0-255), float in 0-1 or 0-255, bool, or 16-bit (rescaled).

    Returns:
        uint8 array (H, W), (H, W, 3) or (H, W, 4), EXIF orientation applied, first frame only.
        A picture over FULL_PIXELS (see there for JPEGs and transparency) comes back shrunk
        by a whole factor, and a JPEG over MAX_PIXELS at 1/2, 1/4 or 1/8 size or less (see
        `load_image_scaled`).

    Raises:
        InvalidImageError: missing file, not an image, corrupt, empty, too large, or an array
            of the wrong dtype or shape.
    """
    return load_image_scaled(source)[0]


def load_image_scaled(source):
    """Like `load_image`, and also the decoded size over the file's own size (1.0 or less)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            raise InvalidImageError(
                f"{path} is a folder, not an image: name the images in it ({path}/*.png)"
            )
        if not path.is_file():
            raise InvalidImageError(f"{path}: no such file")
        array, scale = _open_bytes(path.read_bytes(), str(path))
        return _check_array(array), scale
    if isinstance(source, (bytes, bytearray, memoryview)):
        array, scale = _open_bytes(bytes(source), "the uploaded data")
        return _check_array(array), scale
    if isinstance(source, Image.Image):
        return _check_array(_from_pil(source)), 1.0
    if isinstance(source, np.ndarray):
        return _check_array(source), 1.0
    raise InvalidImageError(
        f"cannot read an image from a {type(source).__name__}; "
        "give a file path, bytes, a PIL image or a numpy array"
    )
