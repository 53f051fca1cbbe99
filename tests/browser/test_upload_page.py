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
