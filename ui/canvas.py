"""The draw page's canvas: streamlit-drawable-canvas's frontend, mounted through `canvas.js`.

`canvas.js` keeps a stroke whole when a rerun lands while it is drawn (a new brush size), sends
a finished stroke at once instead of after the canvas's 200 ms debounce, and reports the width
the page has for the canvas, so that a phone gets a canvas as wide as its screen. A brush changed
while the canvas still loads no longer removes it (Streamlit cleans up the overtaken call).
Undo, Redo and Clear stay under the canvas, hover or not (`canvas.css`); the toolbar's selection
mode, in which strokes left no ink, is gone.
"""

import functools
from pathlib import Path

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


def draw_canvas(stroke_width, max_width, max_height, key):
    """A freedraw canvas, black ink on white, that returns its pixels.

    Args:
        stroke_width: the brush's width in pixels.
        max_width, max_height: its size where the page has room; narrower (same aspect) where not.
        key: the widget key; kept the same from run to run, so the canvas is never remounted.

    Returns:
        streamlit_drawable_canvas.CanvasResult (`image_data`: RGBA, or None before a stroke).
    """
    space = (st.session_state.get(key) or {}).get("space")
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
    }
    from streamlit_drawable_canvas import CanvasResult

    component, module_url = _component()
    data["moduleUrl"] = _served_at(module_url)
    result = component(
        data=data,
        key=key,
        default={"drawing": {"raw": drawing, "data": None}, "space": None},
        on_drawing_change=lambda: None,
        on_space_change=lambda: None,
        width="stretch",
        height="content",
    )
    drawn = result.get("drawing") or {"raw": drawing, "data": None}
    return CanvasResult(drawn.get("raw"), drawn.get("data"), return_image_data=True)


def _served_at(path):
    base = st.get_option("server.baseUrlPath").strip("/")
    return f"/{base}/{path}" if base else f"/{path}"
