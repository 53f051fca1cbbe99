"""Reading images out of requests: one as a multipart upload or as the raw body, several as
a multipart upload; with the app's size limit, and only the formats the app accepts.

A body is read in the chunks it arrives in, and refused (413) as soon as it passes its
limit; a multipart form's files are spooled (to disk past 1 MB each), and each file is read
whole only when its picture is read. How many requests with an upload a process takes at
once is capped by their sizes (`InFlight`): past the cap it answers 503 with `Retry-After`,
unread.
"""

import contextlib
import io

from PIL import Image, UnidentifiedImageError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from model import config

MEGABYTE = 1024 * 1024
MAX_IMAGE_BYTES = config.MAX_UPLOAD_MB * MEGABYTE
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and headers around the file
MAX_ONE_BYTES = MAX_IMAGE_BYTES + MULTIPART_OVERHEAD  # a request with one image
MAX_BATCH_BYTES = 5 * MAX_IMAGE_BYTES
# Upload bytes that one worker process takes at once: two maximal batches and five maximal
# images beside them (each request holds at most its spooled files' first MB in memory, and
# the pictures are read one per predictor); past it, 503.
MAX_BATCH_BYTES_IN_FLIGHT = 2 * MAX_BATCH_BYTES
MAX_UPLOAD_BYTES_IN_FLIGHT = MAX_BATCH_BYTES_IN_FLIGHT + 5 * MAX_ONE_BYTES
RETRY_AFTER_SECONDS = 1
# The upload page's formats (pages/1_Upload.py), as Pillow names them.
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
FILE_FIELDS = ("file", "image", "files", "images")


class RequestError(Exception):
    """A request the API refuses: `status` is the HTTP status, the message says why;
    `headers` go with the answer."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.headers = headers


class InFlight:
    """The upload bytes of the requests being read or read from, at most `limit`: a request
    whose declared size (else its endpoint's limit) does not fit is refused (503,
    `Retry-After`) before its body is read. Used from the event loop only: no lock."""

    def __init__(self, limit=MAX_UPLOAD_BYTES_IN_FLIGHT):
        self.limit = limit
        self.used = 0

    @contextlib.asynccontextmanager
    async def slot(self, request, most):
        """Holds room for the request's body (at most `most` bytes) while it is served."""
        declared = request.headers.get("content-length", "")
        size = min(int(declared), most) if declared.isdigit() else most
        if self.used + size > self.limit:
            raise RequestError(
                503,
                f"the server is reading {self.used / MEGABYTE:.0f} MB of uploads already; "
                f"retry in {RETRY_AFTER_SECONDS} s",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.used += size
        try:
            yield
        finally:
            self.used -= size


class Upload:
    """One uploaded image: its file name (None for a raw body) and a file of its bytes."""

    def __init__(self, filename, file):
        self.filename = filename
        self.file = file
        self.pixels = None  # width x height, as the file's header says (`check_image`)

    @property
    def size(self):
        return self.file.seek(0, io.SEEK_END)

    @property
    def data(self):
        """The image's bytes, read from the file anew (none are kept)."""
        if isinstance(self.file, io.BytesIO):
            return self.file.getvalue()  # shares the buffer: no copy
        self.file.seek(0)
        return self.file.read()


def too_large(what, size, limit):
    return RequestError(
        413, f"{what} is too large ({size / MEGABYTE:.1f} MB); the limit is {limit // MEGABYTE} MB"
    )


async def _chunks(request, limit):
    """The request's body as it arrives, refused (413) as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large("the request", int(declared), limit)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large("the request", size, limit)
        yield chunk


async def read_body(request, limit):
    """The request's body in a file (`io.BytesIO`), refused (413) past `limit` bytes."""
    body = io.BytesIO()
    async for chunk in _chunks(request, limit):
        body.write(chunk)
    return body


def check_image(upload):
    """Refuses an upload that is empty (422), too large (413) or not an image the app reads
    (415), looking only at its header."""
    name = upload.filename or "the request body"
    size = upload.size
    if not size:
        raise RequestError(422, f"{name} is empty (0 bytes)")
    if size > MAX_IMAGE_BYTES:
        raise too_large(name, size, MAX_IMAGE_BYTES)
    upload.file.seek(0)
    try:
        with Image.open(upload.file) as image:
            found = image.format
            upload.pixels = image.size[0] * image.size[1]
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
    """The files and fields of a multipart request, its files spooled (to disk past 1 MB;
    closed, and so deleted, with the last reference to them)."""
    parser = MultiPartParser(
        request.headers,
        _chunks(request, limit),
        max_files=config.MAX_BATCH_FILES,
        max_fields=100,
    )
    try:
        form = await parser.parse()
    except (MultiPartException, HTTPException) as error:
        # Starlette answers a bad form with 400; it is a malformed request: 422 here.
        message = getattr(error, "detail", None) or str(error)
        raise RequestError(422, f"the multipart form cannot be read: {message}") from error
    files = [
        Upload(value.filename, value.file)
        for key, value in form.multi_items()
        if key in FILE_FIELDS and hasattr(value, "filename")
    ]
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    return files, fields


async def one_image(request):
    """The image of a request, as a multipart upload (field "file") or as the raw body.

    Returns:
        (upload, form fields): the fields are {} for a raw body.

    Raises:
        RequestError: 413, 415 or 422 (no image, several images).
    """
    if _is_multipart(request):
        uploads, fields = await _form_files(request, MAX_ONE_BYTES)
        if len(uploads) != 1:
            raise RequestError(
                422, f"send one image in the form field 'file' (got {len(uploads)} files)"
            )
        return check_image(uploads[0]), fields
    body = await read_body(request, MAX_IMAGE_BYTES)
    if not body.tell():
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
