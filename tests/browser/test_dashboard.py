"""The evaluation dashboard in a real browser."""

from support import ROOT


def test_dashboard_renders_the_confusion_matrix(page, app_url):
    page.goto(f"{app_url}/Evaluation")
    page.get_by_text("Confusion matrix").wait_for()
    # Plotly draws a heatmap as an image layer inside the plot's SVG.
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')].some("
        "plot => plot.querySelector('.hm image, g.heatmaplayer image'))"
    )
    page.screenshot(path=str(ROOT / "assets" / "screenshot-evaluation.png"))
