"""The upload page in a real browser: the file chooser, a good photo and a corrupt file."""

from support import ROOT, wait_for_predicted_digit


def test_uploaded_photo_is_read_and_a_corrupt_file_is_explained(page, app_url, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    page.goto(f"{app_url}/Upload")
    page.get_by_text("Upload an image, or click a sample").wait_for()
    files = [str(ROOT / "assets" / "samples" / "pen-4.jpg"), str(broken)]
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(files)
    wait_for_predicted_digit(page, 4)
    page.get_by_text("Could not read broken.png").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    page.screenshot(path=str(ROOT / "assets" / "screenshot-upload.png"))


def test_file_names_that_look_like_addresses_are_plain_text(page, app_url):
    with open(ROOT / "assets" / "samples" / "pen-4.jpg", "rb") as file:
        photo = file.read()
    files = [
        {"name": "http://evil.example/login.png", "mimeType": "image/jpeg", "buffer": photo},
        {"name": "www.evil-example.com.png", "mimeType": "image/png", "buffer": b"not a png"},
        {"name": "admin@evil.example.png", "mimeType": "image/jpeg", "buffer": photo},
    ]
    page.goto(f"{app_url}/Upload")
    page.get_by_text("Upload an image, or click a sample").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(files)
    wait_for_predicted_digit(page, 4)
    main = page.get_by_test_id("stMain")
    error = main.get_by_test_id("stAlert").filter(has_text="Could not read")
    error.wait_for()
    headings = main.locator("h3").all_inner_texts()
    shown = [text.replace("\u2060", "") for text in [*headings, error.inner_text()]]
    assert "http://evil.example/login.png" in shown
    assert "admin@evil.example.png" in shown
    assert any("Could not read www.evil-example.com.png:" in text for text in shown), shown
    links = main.locator("a[href*='evil']:not([href^='#'])")  # not a heading's own anchor
    assert links.count() == 0, links.evaluate_all("(links) => links.map((a) => a.outerHTML)")


def test_a_long_number_is_shown_on_one_line(visitor, app_url, tmp_path):
    import cv2
    import numpy as np

    # Ten digits in a script-like font, dark on white, as a scan of a written number.
    sheet = np.full((160, 1100, 3), 255, np.uint8)
    cv2.putText(sheet, "4827105396", (30, 115), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 3.2, 0, 7)
    path = tmp_path / "long-number.png"
    cv2.imwrite(str(path), sheet)
    visitor.goto(f"{app_url}/Upload")
    visitor.get_by_text("Upload an image, or click a sample").wait_for()
    visitor.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    shown = visitor.locator(".predicted-digit").first
    shown.wait_for()
    size = shown.evaluate(
        "(element) => { const box = element.getBoundingClientRect();"
        " return [box.height, parseFloat(getComputedStyle(element).fontSize),"
        " element.innerText.length]; }"
    )
    height, font, digits = size
    assert digits >= 8, f"the number was read as {digits} digits"
    assert height < 1.6 * font, f"{digits} digits took {height:.0f} px at {font:.0f} px type"
