"""Turning whatever the caller hands in (path, bytes, PIL image, array) into a numpy image."""

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from model.errors import ImageTooLargeError, InvalidImageError

# Refuse decompression bombs: larger images raise instead of allocating gigabytes. JPEG
# photos up to 8x larger on each side are decoded at reduced size instead (camera pictures).
MAX_PIXELS = 40_000_000
JPEG_REDUCTION = 8
Image.MAX_IMAGE_PIXELS = None  # checked here, before decoding, with a clear message


def _from_pil(image):
    try:
        image = ImageOps.exif_transpose(image)
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            array = np.asarray(image, dtype=np.float64)
            low, high = float(array.min()), float(array.max())
            scaled = (array - low) * (255.0 / (high - low)) if high > low else np.zeros_like(array)
            return scaled.astype(np.uint8)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            return np.asarray(image.convert("RGBA"))
        return np.asarray(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
    except (OSError, ValueError, SyntaxError) as error:
        raise InvalidImageError(f"the image data is corrupt or truncated ({error})") from error


def _reduce_if_huge(image, name):
    """Decodes a huge JPEG at 1/2, 1/4 or 1/8 size; refuses any other huge image unread."""
    width, height = image.size
    if width * height <= MAX_PIXELS:
        return
    if image.format == "JPEG" and width * height <= MAX_PIXELS * JPEG_REDUCTION**2:
        # Draft picks the strongest reduction that stays at least this size: ask for half.
        side = int((MAX_PIXELS * width / height) ** 0.5) // 2
        image.draft(image.mode, (side, int(side * height / width)))
        if image.size[0] * image.size[1] <= MAX_PIXELS:
            return
    raise ImageTooLargeError(
        f"{name} is too large to decode safely ({width}x{height} pixels; the limit is "
        f"{MAX_PIXELS:,} pixels, or {MAX_PIXELS * JPEG_REDUCTION**2:,} for a JPEG)"
    )


def _open_bytes(data, name):
    """Decodes image file bytes; returns the array and its size over the file's full size."""
    if not data:
        raise InvalidImageError(f"{name} is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data))
        full_width = image.size[0]
        _reduce_if_huge(image, name)
        image.load()
        scale = image.size[0] / full_width
    except InvalidImageError:
        raise
    except UnidentifiedImageError as error:
        raise InvalidImageError(f"{name} is not an image format this app can read") from error
    except (OSError, ValueError, SyntaxError) as error:
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


def load_image(source):
    """Reads an image from a path, bytes, a PIL image or a numpy array.

    Args:
        source: a file path (str or Path), the bytes of an image file, a `PIL.Image.Image`,
            or an array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Arrays may be
            uint8 (0-255), float in 0-1 or 0-255, bool, or 16-bit (rescaled).

    Returns:
        uint8 array (H, W), (H, W, 3) or (H, W, 4), EXIF orientation applied, first frame only.
        A JPEG over MAX_PIXELS comes back at 1/2, 1/4 or 1/8 size (see `load_image_scaled`).

    Raises:
        InvalidImageError: missing file, not an image, corrupt, empty, too large, or an array
            of the wrong dtype or shape.
    """
    return load_image_scaled(source)[0]


def load_image_scaled(source):
    """Like `load_image`, and also the decoded size over the file's own size (1.0 or less)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
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
