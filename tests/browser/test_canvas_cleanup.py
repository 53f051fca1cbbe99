"""canvas.js on its own, in Chromium: when Streamlit cleans up one of its calls, the canvas (and
what is drawn on it) goes only if the component has left the page.

Streamlit cleans up a call that newer data overtook while it loaded, and under load that can
happen before the newer call has reached the module; the canvas was disposed then, and the next
call made a new, empty one (a drawn 4 vanished before a 7 was drawn beside it). The package's
own canvas is replaced here by a stand-in that counts mounts and disposals.
"""

from support import ROOT

ORIGIN = "http://canvas.test"
STAND_IN = """
export default function mount(component) {
  window.mounts = (window.mounts || 0) + 1;
  return () => { window.disposed = (window.disposed || 0) + 1; };
}
"""
# One component call as Streamlit makes it, on a box in a shadow root as Streamlit gives it.
CALLS = """async () => {
  const canvas = await import("/canvas.js");
  const host = document.createElement("div");
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = '<div class="canvas-root"></div>';
  const data = { moduleUrl: "/stand-in.js", maxWidth: 460, canvasWidth: 460, partialSeq: null };
  const call = () => canvas.default({ data, parentElement: root, setStateValue: () => {} });
  const overtaken = await call();
  await overtaken();  // before the newer call below has run
  const whileShown = window.disposed || 0;
  const newer = await call();
  host.remove();
  await newer();  // the component left the page
  return { whileShown, disposed: window.disposed || 0, mounts: window.mounts };
}"""


def test_the_canvas_outlives_an_overtaken_call_and_goes_with_the_component(browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        files = {
            "/": ("text/html", "<!doctype html><body></body>"),
            "/canvas.js": ("text/javascript", (ROOT / "ui/widgets/canvas.js").read_text()),
            "/stand-in.js": ("text/javascript", STAND_IN),
        }

        def serve(route):
            path = route.request.url.removeprefix(ORIGIN)
            content_type, body = files[path]
            route.fulfill(status=200, content_type=content_type, body=body)

        page.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/")
        counts = page.evaluate(CALLS)
    finally:
        context.close()
    assert counts["whileShown"] == 0, "an overtaken call's cleanup disposed the canvas"
    assert counts["disposed"] == 1, "the canvas stayed after the component left the page"
    assert counts["mounts"] == 2
