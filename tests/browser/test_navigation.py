"""Opening a page by its URL on a fresh server: the app's own navigation, not file names."""


def test_a_sub_page_opened_first_on_a_fresh_server_has_the_app_navigation(page, fresh_app_url):
    page.goto(f"{fresh_app_url}/Evaluation")
    page.get_by_text("How good is the model?").wait_for()
    sidebar = page.locator('[data-testid="stSidebarNav"]')
    sidebar.get_by_role("link", name="Draw").wait_for()
    assert "app" not in sidebar.inner_text().split("\n")
    assert page.url.endswith("/Evaluation")
