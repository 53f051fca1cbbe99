"""The Upload page shows file names as plain text, says what the size limit is and refuses a
file over it by name, and feedback says honestly when a picture was already stored."""

import io
import re

import pytest
from markdown_it import MarkdownIt
from PIL import Image
from streamlit.testing.v1 import AppTest
from strokes import draw_digit
from support import ROOT

from model.operations.feedback import FeedbackStore
from ui.widgets.canvas import Drawing

NAMES = [
    "**bold**.png",
    "[x](http://example.org/x).png",
    "![i](http://example.org/i.png).png",
    ":red[x].png",
    "$x$ and $$y$$.png",
    "<b>tag</b> `code` # _it_ ~~s~~.png",
    "line\nbreak.png",
    "http://evil.example/login.png",
    "www.evil-example.com.png",
    "admin@evil.example.png",
]


def _upload_page():
    return AppTest.from_file(str(ROOT / "pages" / "1_Upload.py"), default_timeout=120)


def _png_of_a_seven():
    buffer = io.BytesIO()
    Image.fromarray(draw_digit(7)).save(buffer, "PNG")
    return buffer.getvalue()


def _rendered(markdown):
    """What CommonMark makes of a string: its HTML."""
    return MarkdownIt("commonmark", {"html": True}).enable("strikethrough").renderInline(markdown)


def _shows_literally(markdown, name):
    """Whether Markdown shows `name` as it is: no formatting, links, pictures, colours or
    maths (Streamlit's `:red[…]` and `$…$` need their `:` `[` `$` unescaped)."""
    html = _rendered(markdown).replace("\u2060", "")  # word joiners that stop autolinks
    plain = name.replace("\n", " ")
    escaped = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;")
    unescaped_specials = [
        c for i, c in enumerate(markdown) if c in ":[$" and markdown[i - 1 : i] != "\\"
    ]
    autolinked = _AUTOLINK.search(re.sub(r"\\(.)", r"\1", markdown))
    return html == escaped and not unescaped_specials and not autolinked


# GitHub Markdown's own links (https://github.github.com/gfm/#autolinks-extension-), as
# Streamlit's Markdown finds them in text: an address that follows the start of the text, a
# space or punctuation (an invisible word joiner is none of these).
_AUTOLINK = re.compile(r"(?<![\w\u2060])(?:https?://|www\.)|[-.\w+]@[-\w]+\.[-\w]")


def test_the_literal_check_sees_markdown():
    assert not _shows_literally("**bold**.png", "**bold**.png")
    assert not _shows_literally(":red[x].png", ":red[x].png")
    assert not _shows_literally("$x$.png", "$x$.png")
    assert not _shows_literally(r"www\.evil\.example\.png", "www.evil.example.png")
    assert not _shows_literally(r"http\:\/\/evil\.example", "http://evil.example")
    assert not _shows_literally(r"me\@evil\.example", "me@evil.example")


@pytest.mark.parametrize("name", NAMES)
def test_a_file_name_is_shown_as_plain_text(name):
    app = _upload_page().run()
    app.file_uploader(key="upload_files").set_value((name, _png_of_a_seven(), "image/png")).run()
    assert not app.exception, app.exception
    (subheader,) = app.subheader
    assert _shows_literally(subheader.value, name), subheader.value
    assert any("predicted-digit" in md.value and ">7<" in md.value for md in app.markdown)


@pytest.mark.parametrize("name", NAMES)
def test_a_file_that_cannot_be_read_is_named_as_plain_text(name):
    app = _upload_page().run()
    app.file_uploader(key="upload_files").set_value((name, b"not a picture", "image/png")).run()
    assert not app.exception, app.exception
    (error,) = app.error
    assert error.value.startswith("Could not read ")
    shown = error.value.removeprefix("Could not read ").split(": ", 1)[0]
    assert _shows_literally(shown, name), error.value


def test_the_size_limit_is_stated_and_a_file_over_it_is_refused_by_name():
    app = _upload_page().run()
    captions = " ".join(caption.value for caption in app.caption)
    assert "up to 10 MB each" in captions and "A file over 10 MB is refused" in captions
    too_big = b"\x89PNG" + bytes(12 * 1024 * 1024)
    files = [("**huge**.png", too_big, "image/png"), ("seven.png", _png_of_a_seven(), "image/png")]
    app.file_uploader(key="upload_files").set_value(files).run()
    assert not app.exception, app.exception
    (error,) = app.error
    assert error.value.startswith(
        r"\*\*huge\*\*\.png is 12.0 MB, over the 10 MB limit: it was not read"
    )
    assert [subheader.value for subheader in app.subheader] == [r"seven\.png"]  # the other: read


def test_the_same_picture_again_is_said_to_be_already_stored(monkeypatch):
    app = _upload_page().run()
    app.button(key="upload_sample_chalk-7.png").click().run()
    next(button for button in app.button if button.label == "Yes, it is 7").click().run()
    assert [s.value for s in app.success] == ["Saved — thank you. Confirmed: 7."]
    monkeypatch.setattr("ui.widgets.feedback.THANKS_SECONDS", 0.0)
    app.run()  # the same picture, shown again
    assert not app.success
    (info,) = [info.value for info in app.info]
    assert info.startswith("Already stored: you answered for this same picture before")
    assert "Confirmed: 7" in info and "not stored again" in info
    assert FeedbackStore().count() == 1


def test_a_second_identical_drawing_is_said_to_be_already_stored(monkeypatch):
    drawing = {"image": draw_digit(1, canvas_size=360)}
    monkeypatch.setattr(
        "ui.widgets.canvas.draw_canvas",
        lambda *arguments, **options: Drawing(drawing["image"], None),
    )
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    next(button for button in app.button if button.label == "Yes, it is 1").click().run()
    assert any("Saved — thank you" in s.value for s in app.success)
    monkeypatch.setattr("ui.widgets.feedback.THANKS_SECONDS", 0.0)
    drawing["image"] = None  # cleared
    app.run()
    drawing["image"] = draw_digit(1, canvas_size=360)  # the same drawing again
    app.run()
    assert not app.exception and not app.success
    assert any(info.value.startswith("Already stored") for info in app.info)
    assert FeedbackStore().count() == 1
