"""The API's docs page in a real Chromium with every request off the machine refused: the
operations are listed (their scripts come from an installed package, not a CDN), and
"Authorize" sends the API key."""

from urllib.parse import urlsplit

from bench.servers import running_server

KEY = "docs-key-42"
LOOPBACK = ("127.0.0.1", "localhost")


def test_the_docs_work_offline_and_send_the_key(browser, tmp_path):
    env = {
        "DIGITS_FEEDBACK_DB": str(tmp_path / "feedback.db"),
        "DIGITS_REGISTRY": str(tmp_path / "registry"),
        "DIGITS_API_KEY": KEY,
    }
    refused = []

    def only_loopback(route):
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    with running_server(env, log=tmp_path / "server.log") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_loopback)
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock-summary-path")
            listed = page.locator(".opblock-summary-path").all_inner_texts()
            for path in ("/v1/predict", "/v1/read", "/v1/read/batch", "/v1/feedback", "/v1/model"):
                assert path in listed, listed

            page.locator("button.authorize").first.click()
            page.locator(".modal-ux input").fill(KEY)
            page.locator(".modal-ux button.authorize").click()
            page.locator(".modal-ux button.btn-done").click()
            page.locator("#operations-model-model_info_v1_model_get .opblock-summary").click()
            operation = page.locator("#operations-model-model_info_v1_model_get")
            operation.locator("button.try-out__btn").click()
            operation.locator("button.execute").click()
            status = operation.locator(".live-responses-table .response .response-col_status")
            status.first.wait_for()
            assert status.first.inner_text().strip() == "200"
            assert '"version": "v1"' in operation.locator(".live-responses-table").inner_text()
        finally:
            context.close()
    # Without the network the page still worked: nothing it needs lives elsewhere.
    assert all(urlsplit(address).hostname not in LOOPBACK for address in refused)
