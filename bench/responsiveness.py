"""The reading as the pen moves and after it lifts, in a real browser: one visitor alone, then 8
drawing at once.

A `streamlit run app.py` of its own on 127.0.0.1 and Debian's Chromium (driven by Playwright).
Each visitor clears the canvas, draws a "1" with the mouse at a hand's pace (STROKE_SECONDS
from top to bottom) and waits for the digit. Two figures, read from the page's own clock:
how often the reading shown changes while the pen moves (a new partial reading, marked
`data-reading="partial-N"`, per second of stroke), and the time from the stroke's pointerup to
the reading of the whole stroke (`data-reading="final"`), split at the moment the page sends
the stroke to the server. Every visitor draws a fixed number of strokes and the whole run has
a time limit, so it stops by itself.

    python -m bench.responsiveness [--quick] [--out bench/responsiveness.json]
"""

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import ROOT, emit, machine, parser
from bench.servers import CHROMIUM_ARGS, start_streamlit, wait_until_healthy
from bench.startup import STROKE

RESULTS_FILE = ROOT / "bench" / "responsiveness.json"
VISITORS = 8
LIMIT_SECONDS = 480
STROKE_SECONDS = 1.5
STROKE_MOVES = 50

# Timestamps from the page's clock: the stroke's start, each new partial reading shown while
# it is drawn, its end, the first message the page sends after it (the stroke), the server's
# first answer to it (its script run has begun), and the moment the reading of the whole
# stroke is shown.
_RECORDER = """
const fresh = (down) => ({ down, partials: [], seen: [], up: null, sent: null, reply: null,
                           shown: null });
window.__bench = fresh(null);
window.addEventListener('pointerdown', () => { window.__bench = fresh(performance.now()); }, true);
window.addEventListener('pointerup', () => { window.__bench.up = performance.now(); }, true);
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
    const bench = window.__bench;
    if (bench.up !== null && bench.sent === null) bench.sent = performance.now();
    if (!this.__benchListening) {
        this.__benchListening = true;
        this.addEventListener('message', () => {
            const bench = window.__bench;
            if (bench.sent !== null && bench.reply === null) bench.reply = performance.now();
        });
    }
    return send.call(this, data);
};
new MutationObserver(() => {
    const bench = window.__bench;
    const digit = document.querySelector('.predicted-digit');
    if (!digit || bench.down === null) return;
    const reading = digit.dataset.reading || '';
    if (bench.up === null && reading.startsWith('partial') && !bench.seen.includes(reading)) {
        bench.seen.push(reading);
        bench.partials.push(performance.now());
    }
    if (bench.up !== null && bench.shown === null && reading === 'final'
            && digit.innerText.trim() === '1') {
        bench.shown = performance.now();
    }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""
_PROMPT = "Draw a digit on the canvas"
_DIGIT = "() => { const d = document.querySelector('.predicted-digit'); return d && d.innerText.trim() === '1'; }"  # noqa: E501


def _along(points, count):
    """`count` points evenly spaced along the polyline `points`."""
    points = np.asarray(points, dtype=float)
    at = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    where = np.linspace(0, at[-1], count)
    return np.column_stack([np.interp(where, at, points[:, axis]) for axis in (0, 1)]).tolist()


async def _draw(page):
    """A "1" at a hand's pace: STROKE_MOVES moves over STROKE_SECONDS."""
    canvas = page.locator("canvas.upper-canvas")
    bounds = await canvas.bounding_box()
    points = [
        (bounds["x"] + x * bounds["width"], bounds["y"] + y * bounds["height"]) for x, y in STROKE
    ]
    await page.mouse.move(*points[0])
    await page.mouse.down()
    for x, y in _along(points, STROKE_MOVES)[1:]:
        await asyncio.sleep(STROKE_SECONDS / STROKE_MOVES)  # the pen's pace, not a wait
        await page.mouse.move(x, y)
    await page.mouse.up()


async def _visitor(browser, url, strokes):
    """One visitor's strokes: [(sent, first reply, shown) in milliseconds after the stroke's end,
    partial readings shown per second of stroke]."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_init_script(_RECORDER)
    page = await context.new_page()
    page.set_default_timeout(60_000)
    times = []
    try:
        await page.goto(url)
        await page.get_by_text(_PROMPT).wait_for()
        for _ in range(strokes):
            await _draw(page)
            await page.wait_for_function(
                "() => window.__bench.shown !== null && window.__bench.reply !== null"
            )
            bench = await page.evaluate("window.__bench")
            times.append(
                [bench[name] - bench["up"] for name in ("sent", "reply", "shown")]
                + [1000 * len(bench["partials"]) / (bench["up"] - bench["down"])]
            )
            await page.get_by_role("button", name="Clear").click()
            await page.locator(".predicted-digit").wait_for(state="detached")
            await page.get_by_text("The canvas is empty").wait_for()
    finally:
        await context.close()
    return times


def _summary(times):
    times = np.asarray(times)
    sent, reply, shown, rates = times[:, 0], times[:, 1], times[:, 2], times[:, 3]

    def p50(values):
        return round(float(np.percentile(values, 50)), 1)

    return {
        "strokes": len(times),
        # While the pen moves: new readings shown per second of stroke.
        "updates_per_second_while_drawing_p50": round(float(np.percentile(rates, 50)), 1),
        "updates_per_second_while_drawing_min": round(float(np.min(rates)), 1),
        # After it lifts: pointerup to the reading of the whole stroke.
        "p50_ms": p50(shown),
        "p95_ms": round(float(np.percentile(shown, 95)), 1),
        "mean_ms": round(float(np.mean(shown)), 1),
        # Where the time goes (medians of each part; they need not add up to p50_ms).
        "stroke_end_to_sent_p50_ms": p50(sent),
        "sent_to_first_reply_p50_ms": p50(reply - sent),
        "first_reply_to_digit_shown_p50_ms": p50(shown - reply),
    }


async def _measure(url, alone_strokes, crowd_strokes):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        try:
            await _visitor(browser, url, 2)  # warms the server: the model, the first run
            alone = await _visitor(browser, url, alone_strokes)
            crowd = await asyncio.gather(
                *(_visitor(browser, url, crowd_strokes) for _ in range(VISITORS))
            )
        finally:
            await browser.close()
    return alone, [stroke for visitor in crowd for stroke in visitor]


def run(quick=False):
    """Both measurements, on a server of its own.

    Raises:
        RuntimeError: Chromium is missing, the server did not start, or the run went past its
            time limit.
    """
    if shutil.which("chromium") is None:
        raise RuntimeError("Chromium is not installed (apt-get install -y chromium)")
    alone_strokes, crowd_strokes = (5, 2) if quick else (30, 8)
    with (
        tempfile.TemporaryDirectory() as data_dir,
        open(Path(data_dir) / "server.log", "w+") as log,
    ):
        server, url = start_streamlit(data_dir, log)
        try:
            wait_until_healthy(url, server, time.monotonic() + 90)
            alone, crowd = asyncio.run(
                asyncio.wait_for(_measure(url, alone_strokes, crowd_strokes), LIMIT_SECONDS)
            )
        except (TimeoutError, RuntimeError) as error:
            log.seek(0)
            raise RuntimeError(f"{error!r}\nserver output:\n{log.read()[-2000:]}") from error
        finally:
            server.terminate()
            server.wait(timeout=20)
    return {
        "benchmark": "responsiveness",
        "what": "readings shown per second while a 1.5 s stroke is drawn, and stroke end "
        "(pointerup) to the reading of the whole stroke shown, Chromium, page clock",
        "alone": _summary(alone),
        f"{VISITORS}_visitors": _summary(crowd),
        "machine": machine(),
    }


if __name__ == "__main__":
    arguments = parser(__doc__)
    arguments.add_argument("--out", help=f"also write the result here (e.g. {RESULTS_FILE})")
    arguments = arguments.parse_args()
    result = emit(run(arguments.quick))
    if arguments.out:
        Path(arguments.out).write_text(json.dumps(result, indent=2) + "\n")
