"""How well the page reader finds and reads every number on a sheet: the figures behind the
"pages" part of `python -m model realworld`.

Sheets are composed (`model.data.sheets`) from the pen digits of writers 25-30 only, whom
nothing trains on (training may use writers 1-20). A number is exact when the page reader
returns a number with its text whose box overlaps its own; a sheet is exact when its numbers
are all exact, nothing else is returned, and they come in reading order.
"""

import numpy as np

from model.data.pendigits import TEST_WRITERS, load_pendigits
from model.data.sheets import compose_sheet, digits_by_label

HELD_OUT_WRITERS = TEST_WRITERS
SHEETS = 200
SEED = 25
MISREAD_CAP = 30


def _overlap(a, b):
    """Intersection over the smaller box's area, of two boxes (x, y, w, h)."""
    width = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    height = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    smaller = min(a[2] * a[3], b[2] * b[3])
    return width * height / smaller if smaller else 0.0


def score_sheet(truth, found):
    """(exact numbers, sheet exact) of one sheet.

    Args:
        truth: [(text, box)] in reading order.
        found: [(text, box)] as the page reader returned them.
    """
    exact = 0
    for text, box in truth:
        overlapping = [read for read, read_box in found if _overlap(box, read_box) >= 0.5]
        exact += overlapping == [text]
    in_order = [text for text, _ in found] == [text for text, _ in truth]
    return exact, exact == len(truth) and in_order


def page_figures(predictor, pendigits_dir=None, sheets=SHEETS, seed=SEED):
    """Reads composed sheets with `Predictor.read_page`.

    Args:
        predictor: the `Predictor` to measure.
        pendigits_dir: the folder of `pendigits-orig.tra` (None: $PENDIGITS_DIR, else
            ../shared/pendigits).
        sheets: how many sheets, each written by one of the held-out writers in turn.
        seed: the composition's seed.

    Returns:
        {"sheets", "sheets_exact", "sheet_accuracy", "numbers", "numbers_exact",
        "number_accuracy", "writers", "misread"}.

    Raises:
        ValueError: `sheets` is not positive.
    """
    if sheets < 1:
        raise ValueError(f"sheets must be at least 1, not {sheets}")
    digits = load_pendigits(pendigits_dir, HELD_OUT_WRITERS)
    writers = {
        writer: digits_by_label([digit for digit in digits if digit.writer == writer])
        for writer in HELD_OUT_WRITERS
    }
    rng = np.random.default_rng(seed)
    numbers = numbers_exact = sheets_exact = 0
    misread = []
    for index in range(sheets):
        writer = HELD_OUT_WRITERS[index % len(HELD_OUT_WRITERS)]
        sheet = compose_sheet(writers[writer], rng)
        page = predictor.read_page(sheet.image)
        found = [(number.text, number.box) for number in page.numbers]
        exact, whole = score_sheet(sheet.numbers, found)
        numbers += len(sheet.numbers)
        numbers_exact += exact
        sheets_exact += whole
        if not whole and len(misread) < MISREAD_CAP:
            misread.append(
                {
                    "sheet": index,
                    "writer": writer,
                    "numbers": [text for text, _ in sheet.numbers],
                    "read": [text for text, _ in found],
                }
            )
    return {
        "sheets": sheets,
        "sheets_exact": sheets_exact,
        "sheet_accuracy": sheets_exact / sheets,
        "numbers": numbers,
        "numbers_exact": numbers_exact,
        "number_accuracy": numbers_exact / numbers if numbers else 0.0,
        "writers": list(HELD_OUT_WRITERS),
        "seed": seed,
        "misread": misread,
    }
