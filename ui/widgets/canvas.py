"""The draw page's canvas: streamlit-drawable-canvas's frontend, mounted through `canvas.js`.

`canvas.js` keeps a stroke whole when a rerun lands while it is drawn (a new brush size), sends
a finished stroke at once instead of after the canvas's 200 ms debounce, and reports the width
the page has for the canvas, so that a phone gets a canvas as wide as its screen. A brush changed
while the canvas still loads, or any call Streamlit cleans up while the canvas is still on the
page, no longer removes it (nor what is drawn).
Undo, Redo and Clear stay under the canvas, hover or not (`canvas.css`); the toolbar's selection
mode, in which strokes left no ink, is gone. While the pen moves, the picture so far comes as a
partial drawing, at most every 100 ms and only once the one before was read.
"""

import functools
from pathlib import Path
from typing import NamedTuple

import streamlit as st

# Where Streamlit serves the package's own component (registered when it is imported).
_PACKAGE_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"


@functools.cache
def _component():
    """Registers the component, once: the package is imported here, inside the running app,
    because it registers its own component when imported."""
    import streamlit_drawable_canvas

    assets = Path(streamlit_drawable_canvas.__file__).parent / "frontend" / "build"
    module = next(assets.glob("index-*.js")).name
    # Inline content, which Streamlit tells from a file name by its line breaks; the page's own
    # rules (canvas.css) come after the package's.
    package_css = next(assets.glob("index-*.css")).read_text()
    own_css = (Path(__file__).parent / "canvas.css").read_text()
    css = f"/* streamlit-drawable-canvas */\n{package_css}\n{own_css}"
    component = st.components.v2.component(
        "digits_canvas",
        js=(Path(__file__).parent / "canvas.js").read_text(),
        css=css,
        html='<div class="canvas-root"></div>',
        isolate_styles=True,
    )
    return component, f"_stcore/bidi-components/{_PACKAGE_COMPONENT}/{module}"


# The narrowest canvas still worth drawing on.
MIN_WIDTH = 240


def canvas_size(space, max_width, aspect):
    """The canvas's (width, height) for `space` pixels of page width (None: not known yet).

    Args:
        space: the width the page gives the canvas, as reported by the browser, or None.
        max_width: the widest canvas wanted.
        aspect: height / width.

    Returns:
        (width, height) in pixels: `max_width` wide, or narrower to fit `space`.
    """
    width = max_width if not space else max(MIN_WIDTH, min(max_width, int(space)))
    return width, round(width * aspect)


class Drawing(NamedTuple):
    """What is on the canvas: `image_data` RGBA (None before a stroke); `partial_seq` the
    number of the picture sent while a stroke is drawn (None once the stroke has ended);
    `strokes` the finished strokes in the order drawn (`canvas_strokes`; [] while drawing)."""

    image_data: object
    partial_seq: int | None
    strokes: list = []


def draw_canvas(stroke_width, max_width, max_height, key):
    """A freedraw canvas, black ink on white, that returns its pixels, while the pen moves too.

    Args:
        stroke_width: the brush's width in pixels.
        max_width, max_height: its size where the page has room; narrower (same aspect) where not.
        key: the widget key; kept the same from run to run, so the canvas is never remounted.

    Returns:
        A `Drawing`: the picture so far while a stroke is drawn, else the finished strokes.
    """
    state = st.session_state.get(key) or {}
    space = state.get("space")
    partial = state.get("partial")
    width, height = canvas_size(space, max_width, max_height / max_width)
    drawing = {"objects": [], "background": "#FFFFFF"}
    data = {
        "fillColor": "#eee",
        "strokeWidth": stroke_width,
        "strokeColor": "#000000",
        "backgroundColor": "#FFFFFF",
        "backgroundImageURL": None,
        "realtimeUpdateStreamlit": True,
        "canvasWidth": width,
        "canvasHeight": height,
        "maxWidth": max_width,
        "drawingMode": "freedraw",
        "initialDrawing": drawing,
        "displayRadius": 3,
        "returnImageData": True,
        "disabled": False,
        "backgroundImageFit": "stretch",
        "maxDisplayHeight": None,
        "fontSize": 20,
        "label": "",
        # The partial picture read in this run: the canvas sends the next once it sees it.
        "partialSeq": partial.get("seq") if isinstance(partial, dict) else None,
    }
    from streamlit_drawable_canvas import CanvasResult

    component, module_url = _component()
    data["moduleUrl"] = _served_at(module_url)
    result = component(
        data=data,
        key=key,
        default={"drawing": {"raw": drawing, "data": None}, "space": None, "partial": None},
        on_drawing_change=lambda: None,
        on_space_change=lambda: None,
        on_partial_change=lambda: None,
        width="stretch",
        height="content",
    )
    partial = _partial_picture(result.get("partial"), CanvasResult)
    if partial is not None:
        return partial
    drawn = result.get("drawing") or {"raw": drawing, "data": None}
    image = CanvasResult(drawn.get("raw"), drawn.get("data"), return_image_data=True).image_data
    return Drawing(image, None, canvas_strokes(drawn.get("raw")))


# The largest partial picture taken (a 460x360 PNG of strokes is 10-40 kB).
MAX_PARTIAL_CHARS = 2_000_000


def _partial_picture(partial, canvas_result):
    """The picture sent while a stroke is drawn as a `Drawing`, or None when there is none or
    it is not a PNG of a sensible size (then the finished strokes are read instead)."""
    if not isinstance(partial, dict) or not isinstance(partial.get("seq"), int):
        return None
    data = partial.get("data")
    if not isinstance(data, str) or not data.startswith("data:image/png;base64,"):
        return None
    if len(data) > MAX_PARTIAL_CHARS:
        return None
    try:
        image = canvas_result(None, data, return_image_data=True).image_data
    except (ValueError, OSError):
        return None
    return Drawing(image, partial["seq"])


def canvas_strokes(drawing):
    """The freehand strokes of the canvas's drawing (fabric.js JSON), in the order drawn.

    Args:
        drawing: `CanvasResult.json_data`: {"objects": [{"type": "path", "path": [["M", x, y],
            ["Q", cx, cy, x, y], ..., ["L", x, y]], ...}, ...]}.

    Returns:
        A list of strokes, each a list of (x, y) canvas pixels; [] for anything else.
    """
    strokes = []
    for shape in (drawing or {}).get("objects") or []:
        if not isinstance(shape, dict) or str(shape.get("type")).lower() != "path":
            continue
        points = []
        for command in shape.get("path") or []:
            numbers = [value for value in command[1:] if isinstance(value, int | float)]
            if len(numbers) >= 2:
                points.append((float(numbers[-2]), float(numbers[-1])))
        if points:
            strokes.append(points)
    return strokes


def _served_at(path):
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"/{base}/{path}" if base else f"/{path}"
