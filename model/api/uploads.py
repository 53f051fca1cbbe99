"""Reading images out of requests: one as a multipart upload or as the raw body, several as
a multipart upload; with the app's size limit, and only the formats the app accepts."""

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from model import config

MEGABYTE = 1024 * 1024
MAX_IMAGE_BYTES = config.MAX_UPLOAD_MB * MEGABYTE
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and headers around the file
MAX_BATCH_BYTES = 5 * MAX_IMAGE_BYTES
# The upload page's formats (pages/1_Upload.py), as Pillow names them.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
FILE_FIELDS = ("file", "image", "files", "images")


class RequestError(Exception):
    """A request the API refuses: `status` is the HTTP status, the message says why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """One uploaded image: its file name (None for a raw body) and its bytes."""

    filename: str | None
    data: bytes


def too_large(what, size, limit):
    return RequestError(
        413, f"{what} is too large ({size / MEGABYTE:.1f} MB); the limit is {limit // MEGABYTE} MB"
    )


async def read_body(request, limit):
    """The request's body, refused (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large("the request", int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large("the request", size, limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette parses a form from the cached body, so the form reads what was checked here.
    request._body = body
    return body


def check_image(upload):
    """Refuses an upload that is empty (422), too large (413) or not an image the app reads
    (415), looking only at its header."""
    name = upload.filename or "the request body"
    if not upload.data:
        raise RequestError(422, f"{name} is empty (0 bytes)")
    if len(upload.data) > MAX_IMAGE_BYTES:
        raise too_large(name, len(upload.data), MAX_IMAGE_BYTES)
    try:
        with Image.open(io.BytesIO(upload.data)) as image:
            found = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        found = None
    if found not in FORMATS:
        what = f"a {found} image" if found else "not an image"
        raise RequestError(415, f"{name} is {what}; send {', '.join(FORMATS)}")
    return upload


def _is_url_encoded_form(request):
    return request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")


def _is_multipart(request):
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def _form_files(request, limit):
    await read_body(request, limit)
    try:
        form = await request.form(max_files=config.MAX_BATCH_FILES, max_fields=100)
    except (MultiPartException, HTTPException) as error:
        # Starlette answers a bad form with 400; it is a malformed request: 422 here.
        message = getattr(error, "detail", None) or str(error)
        raise RequestError(422, f"the multipart form cannot be read: {message}") from error
    files = [
        value
        for key, value in form.multi_items()
        if key in FILE_FIELDS and hasattr(value, "filename")
    ]
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    uploads = [Upload(value.filename, await value.read()) for value in files]
    return uploads, fields


async def one_image(request):
    """The image of a request, as a multipart upload (field "file") or as the raw body.

    Returns:
        (upload, form fields): the fields are {} for a raw body.

    Raises:
        RequestError: 413, 415 or 422 (no image, several images).
    """
    if _is_multipart(request):
        uploads, fields = await _form_files(request, MAX_IMAGE_BYTES + MULTIPART_OVERHEAD)
        if len(uploads) != 1:
            raise RequestError(
                422, f"send one image in the form field 'file' (got {len(uploads)} files)"
            )
        return check_image(uploads[0]), fields
    body = await read_body(request, MAX_IMAGE_BYTES)
    if not body:
        raise RequestError(
            422, "no image: send it as the request body or as the multipart field 'file'"
        )
    try:
        return check_image(Upload(None, body)), {}
    except RequestError as error:
        # curl -d label=4: a form of fields and no file (curl --data-binary @digit.png sends
        # an image with this type too, and is read).
        if error.status == 415 and _is_url_encoded_form(request):
            raise RequestError(
                422,
                "no image: the request is a form without a file; send the image as the "
                "multipart field 'file' (curl -F file=@digit.png -F label=4)",
            ) from error
        raise


async def several_images(request):
    """The images of a multipart request (fields "files"), unchecked: each is checked alone.

    Raises:
        RequestError: 413 (the whole request), 422 (not multipart, no files, too many).
    """
    if not _is_multipart(request):
        raise RequestError(422, "send the images as a multipart form, each in a field 'files'")
    uploads, _ = await _form_files(request, MAX_BATCH_BYTES)
    if not uploads:
        raise RequestError(422, "no images: send each in a multipart field 'files'")
    return uploads
