"""Whole numbers of pendigits writers written on ruled paper, read with `Predictor.read`: how
many are exact, by where the line lies and how it is drawn.

Each number (composed as in `bench.pen_numbers`) gets ruled lines across the whole picture, one
pitch apart: on the baseline the writing rests on ("on": the digits' bottoms overlap it), or
through the lower part of the digits ("through"); as dark as the ink, grey, or blue; a third of
the pictures are blurred and noisy like a photo. Ruling erasure (`model.inference.ink`) was
developed on the VALIDATION writers (21-24, seed 78, the default); the test writers only report.

    python -m bench.ruled [--writers validation|test] [--count N] [--seed S]
        [--pendigits-dir DIR]
"""

import cv2
import numpy as np

from bench.common import machine
from bench.pen_numbers import composed, main, timed_reads

SEEDS = {"validation": 78, "test": 1}
PLACES = ("on", "through")
TONES = {"ink": (0, 0, 0), "grey": (120, 120, 120), "blue": (90, 140, 210)}


def _baseline(coverage):
    """The row the writing rests on: the median bottom of the digit-sized pieces of ink."""
    mask = (coverage > 0.5).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    tall = stats[1:][heights >= 0.5 * heights.max()]
    return float(np.median(tall[:, cv2.CC_STAT_TOP] + tall[:, cv2.CC_STAT_HEIGHT]))


def ruled_number(number, rng):
    """One composed number (see `model.data.pen_sets.composed_number`) on ruled paper.

    Returns:
        {"text", "place", "tone", "photo", "picture" (uint8 RGB)}
    """
    coverage = 1.0 - number["picture"][:, :, 0].astype(np.float32) / 255.0
    rows = np.flatnonzero(coverage.max(axis=1) > 0.5)
    top, bottom = int(rows[0]), _baseline(coverage)
    height = max(bottom - top, 10.0)
    pen = number["pen"]
    place = str(rng.choice(PLACES))
    tone = str(rng.choice(list(TONES)))
    photo = bool(rng.random() < 1 / 3)
    if place == "on":  # the strokes' bottoms lie on the line
        line = bottom - pen * float(rng.uniform(0.0, 0.5))
    else:
        line = top + height * float(rng.uniform(0.7, 0.85))
    thickness = max(1, int(round(height * float(rng.uniform(0.02, 0.05)))))
    pitch = height * float(rng.uniform(1.4, 1.9))
    side = int(height * float(rng.uniform(0.3, 1.0)))
    above = int(max(0.0, pitch - line + thickness))
    below = int(max(0.0, line + pitch + thickness - coverage.shape[0]))
    coverage = np.pad(coverage, ((above, below + 4), (side, side)))
    line += above
    ruling = np.zeros_like(coverage)
    y = line - pitch * np.floor(line / pitch)
    while y < coverage.shape[0]:
        centre = int(round(y * 16))  # sub-pixel lines, anti-aliased
        cv2.line(
            ruling,
            (0, centre),
            ((coverage.shape[1] - 1) * 16, centre),
            1.0,
            thickness,
            cv2.LINE_AA,
            4,
        )
        y += pitch
    colour = np.array(TONES[tone], np.float32)
    paper = np.full((*coverage.shape, 3), 250.0, np.float32)
    paper = paper * (1 - ruling[..., None]) + colour * ruling[..., None]
    ink = np.array([30.0, 30.0, 60.0], np.float32)
    picture = paper * (1 - coverage[..., None]) + ink * coverage[..., None]
    if photo:
        picture = cv2.GaussianBlur(picture, (0, 0), float(rng.uniform(0.5, 1.0)))
        picture += rng.normal(0, float(rng.uniform(2, 6)), picture.shape[:2])[..., None]
    picture = np.clip(np.rint(picture), 0, 255).astype(np.uint8)
    return {
        "text": number["text"],
        "place": place,
        "tone": tone,
        "photo": photo,
        "picture": picture,
    }


def ruled_numbers(writers="validation", count=300, seed=None, pendigits_dir=None):
    """`count` numbers of the chosen writers on ruled paper (see `ruled_number`)."""
    return _ruled(writers, count, seed, pendigits_dir)[2]


def _ruled(writers, count, seed, pendigits_dir):
    chosen, seed, numbers = composed(writers, count, seed, pendigits_dir, SEEDS)
    rng = np.random.default_rng([seed, 2502])
    return chosen, seed, [ruled_number(number, rng) for number in numbers]


def run(writers="validation", count=300, seed=None, pendigits_dir=None):
    """The figures of `count` ruled numbers of one set of writers."""
    chosen, seed, numbers = _ruled(writers, count, seed, pendigits_dir)
    texts, milliseconds = timed_reads([number["picture"] for number in numbers])
    right = [text == number["text"] for text, number in zip(texts, numbers, strict=True)]
    wrong = [
        {"text": number["text"], "read": text, "place": number["place"]}
        for text, number in zip(texts, numbers, strict=True)
        if text != number["text"]
    ][:20]

    def share(key, value):
        picked = [ok for ok, number in zip(right, numbers, strict=True) if number[key] == value]
        return {"count": len(picked), "right": int(sum(picked))}

    return {
        "writers": list(chosen),
        "seed": seed,
        "right": int(sum(right)),
        "count": len(numbers),
        "accuracy": round(sum(right) / len(numbers), 4),
        "by_place": {place: share("place", place) for place in PLACES},
        "by_tone": {tone: share("tone", tone) for tone in TONES},
        "photo": share("photo", True),
        "wrong": wrong,
        "median_ms": round(float(np.median(milliseconds)), 2),
        "machine": machine(),
    }


if __name__ == "__main__":
    main(run, SEEDS, __doc__)
