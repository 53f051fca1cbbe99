"""Opening a page by its URL on a fresh server: the app's own navigation, not file names."""

import pytest

PAGES = {
    "Upload": "Upload an image, or click a sample",
    "Evaluation": "How good is the model?",
    "Comparison": "Which model reads digits best?",
    "Monitoring": "Here is how the model does on them",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_sub_page_opened_first_on_a_fresh_server_has_the_app_navigation(
    page, fresh_app_url, name
):
    page.goto(f"{fresh_app_url}/{name}")
    page.get_by_text(PAGES[name]).wait_for()
    sidebar = page.locator('[data-testid="stSidebarNav"]')
    sidebar.get_by_role("link", name="Draw").wait_for()
    assert "app" not in sidebar.inner_text().split("\n")
    assert page.url.endswith(f"/{name}")
