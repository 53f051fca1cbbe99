"""The model comparison page in a real browser."""

from support import ROOT


def test_comparison_page_shows_the_table_and_the_scatter(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.goto(f"{app_url}/Comparison")
    page.get_by_text("Which model reads digits best?").wait_for()
    page.locator("[data-testid='stDataFrame']").first.wait_for()
    # The accuracy-vs-latency scatter draws one marker per model.
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')].some("
        "plot => plot.querySelectorAll('.scatterlayer .point').length >= 10)"
    )
    page.screenshot(path=str(ROOT / "assets" / "screenshot-comparison.png"))
