"""Inference only: load the bundled model once, read digits with a compiled call.

TensorFlow is not imported here: with the LiteRT engine, the app never loads it.
"""

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from model import paths
from model.errors import InvalidImageError
from model.inference.calibration import (
    DEFAULT_THRESHOLD,
    GATE_DOUBT,
    apply_temperature,
    confidence_of,
)
from model.inference.cascade import first_is_final
from model.inference.engines import load_engine
from model.inference.image_io import load_image_scaled
from model.inference.ink import find_ink
from model.inference.letter_shapes import letter_shape
from model.inference.page import NO_NUMBER, Page, PageNumber, find_numbers, sheet_ink
from model.inference.pairs import load_pair_reader
from model.inference.preprocess import BLANK, PAIR_SHAPE, locate, source_box
from model.inference.reader import choose_digits, plan_digits
from model.inference.strokes import (
    box_of,
    drawn,
    estimated_pen,
    grouped,
    run_image,
    stacked,
    validated,
)

STACKED_REASON = "strokes laid over one another as no two digits are written (a K?)"
PICTURE_SIDE = 1000  # strokes are drawn at most this big when their picture is read too

# A digit cut from one stroke with others (touching digits) is sure from this confidence:
# the halves of a letter (an A's "1" and "4") are digits the gate is half sure of (40-70%).
CUT_CONFIDENCE = 0.9


@dataclass
class Prediction:
    """One digit's reading.

    digit: 0-9, the most likely digit; None when there is no digit at all (a blank image,
        a dot, a dash; `reason` says why).
    confidence: how sure the reading is: the calibrated probability of `digit`, times
        `is_digit` where the gate doubts there is a digit (under `gate_doubt`; 0.0 when digit
        is None, and for strokes laid out as a letter is: see `letter_shapes`).
    probabilities: float (10,) calibrated probabilities of the ten digits, supposing the
        picture is a digit; they sum to 1 (uniform when digit is None).
    image28: uint8 (28, 28), the MNIST-format image the model saw (white on black).
    reason: why there is no digit, or why it is uncertain; None otherwise.
    uncertain: True when `confidence` is below the predictor's threshold: the picture may
        not be a digit (a scribble, a letter) or may be badly written; do not trust `digit`.
    box: (x, y, width, height) of the digit's ink in the source image's pixels.
    is_digit: the digit gate's probability that the picture is one digit at all.
    gate_doubt: the calibrated `is_digit` under which the gate's doubt lowers `confidence`.
    paired: read together with its neighbour by the pair reader (two digits written into each
        other, `model.inference.pairs`): `probabilities` are the pair reader's for this digit,
        `is_digit` its probability that the piece is two digits, and `image28` this digit's
        half of the pair's picture.
    """

    digit: int | None
    confidence: float
    probabilities: np.ndarray
    image28: np.ndarray
    reason: str | None = None
    uncertain: bool = False
    box: tuple | None = None
    is_digit: float = 1.0
    gate_doubt: float = GATE_DOUBT
    paired: bool = False

    @property
    def scores(self):
        """float (10,): each digit's probability, times `is_digit` where the gate takes the
        picture for no digit (what is left to 1 is then the chance that it is no digit); the
        largest is `confidence`. What to show beside the confidence."""
        return confidence_of(self.probabilities, self.is_digit, self.gate_doubt).astype(np.float32)

    def to_json(self):
        return {
            "digit": self.digit,
            "confidence": round(self.confidence, 6),
            "uncertain": self.uncertain,
            "is_digit": round(self.is_digit, 6),
            "probabilities": [round(float(p), 6) for p in self.probabilities],
            **({"box": list(self.box)} if self.box else {}),
            **({"reason": self.reason} if self.reason else {}),
            **({"paired": True} if self.paired else {}),
        }


@dataclass
class Reading:
    """A whole number read from a picture.

    text: the digits left to right ("2026"); "" when none were found.
    digits: one `Prediction` per digit, left to right, each with its `box`.
    reason: why nothing was read (a blank picture, only dots), or why the reading cannot be
        trusted (a digit of it is `uncertain`: a scribble in two parts is no number); else None.
    skipped: (box, reason) for ink that was ignored as not a digit (dots, dashes).
    """

    text: str
    digits: list
    reason: str | None = None
    skipped: list = field(default_factory=list)

    @property
    def uncertain(self):
        """Whether the picture could not be read: some digit of it is `uncertain`. A number
        is read only when every digit of it is, as a single digit is."""
        return any(digit.uncertain for digit in self.digits)

    @property
    def confidence(self):
        """How sure the whole reading is: the product of its digits' confidences (0.0 when
        there are none)."""
        return math.prod(digit.confidence for digit in self.digits) if self.digits else 0.0

    def to_json(self):
        return {
            "text": self.text,
            "uncertain": self.uncertain,
            "digits": [digit.to_json() for digit in self.digits],
            **({"reason": self.reason} if self.reason else {}),
        }


def _no_digit(reason):
    return Prediction(
        None,
        0.0,
        np.full(10, 0.1, dtype=np.float32),
        np.zeros((28, 28), np.uint8),
        reason,
        is_digit=0.0,
    )


class Predictor:
    """The digit recognizer: `Predictor.load()` once, then `predict`, `read` or `predict_batch`.

    `threshold`: calibrated confidence below which a reading is flagged `uncertain`;
    `gate_doubt`: the gate's `is_digit` under which it lowers the confidence (both fitted by
    `python -m model calibrate`, in calibration.json).
    """

    def __init__(self, engine, card=None, calibration=None, pairs=None):
        self.engine = engine
        self.pairs = pairs  # the pair reader (`model.inference.pairs`), or None
        self.card = card or {}
        self.calibration = calibration or {}
        self.temperature = float(self.calibration.get("temperature", 1.0))
        self.threshold = float(self.calibration.get("threshold", DEFAULT_THRESHOLD))
        self.gate_doubt = float(self.calibration.get("gate_doubt", GATE_DOUBT))

    @classmethod
    def load(cls, path=None, engine="auto", threads=None):
        """Loads a `.keras` model (default: the bundled one) with what lies beside it.

        The model card, `calibration.json`, the digit gate (`gate.keras`) and the LiteRT
        export (`digits.tflite`) are read from the model's folder when there.

        Args:
            path: a `.keras` digit model; None for the bundled one.
            engine: "auto" (LiteRT when a verified export of this model is beside it, else
                Keras), "litert" or "keras". Both give the same digits but for rare near-ties
                (int8 weights; 1 in 10,000 MNIST test digits, `litert.json`); LiteRT is
                faster and does not import TensorFlow.
            threads: threads per LiteRT interpreter (default: up to two; the API gives each
                of its concurrent predictors one).

        Raises:
            FileNotFoundError: no model at `path`, or engine="litert" without a current export.
            ValueError: an unknown engine.
        """
        path = Path(path) if path else paths.BUNDLED_DIR / paths.MODEL_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no model file at {path}; run `python -m model train`")
        card, calibration = (
            path.parent / name for name in (paths.CARD_FILE, paths.CALIBRATION_FILE)
        )
        return cls(
            load_engine(path, engine, threads),
            json.loads(card.read_text()) if card.is_file() else None,
            json.loads(calibration.read_text()) if calibration.is_file() else None,
            load_pair_reader(path.parent, threads),
        )

    def raw_outputs(self, images, first_only=False):
        """The network's own softmax (N, 10) and the gate's (N,) for uint8 (N, 28, 28) images;
        `first_only`: the ensemble's first member's softmax (a quick score)."""
        batch = np.ascontiguousarray(images, dtype=np.float32)[..., None]
        if len(batch) == 0:
            return np.zeros((0, 10), dtype=np.float32), np.zeros(0, dtype=np.float32)
        probabilities, is_digit = self.engine(batch, first_only=first_only)
        return probabilities.astype(np.float32), is_digit.astype(np.float32)

    def _calibrated(self, images, first_only=False):
        probabilities, is_digit = self.raw_outputs(images, first_only)
        return self._tempered(probabilities), is_digit

    def _tempered(self, probabilities):
        """The network's softmax, calibrated by the fitted temperature."""
        if self.temperature == 1.0:
            return probabilities / probabilities.sum(axis=1, keepdims=True)
        return apply_temperature(probabilities, self.temperature)

    def predict_batch(self, images):
        """Calibrated probabilities for MNIST-format images.

        Args:
            images: uint8 (N, 28, 28) (or (N, 28, 28, 1)), white digit on black.

        Returns:
            float32 (N, 10) probabilities.

        Raises:
            InvalidImageError: wrong shape or dtype.
        """
        images = np.asarray(images)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise InvalidImageError(f"predict_batch needs (N, 28, 28) images, not {images.shape}")
        if images.dtype != np.uint8:
            raise InvalidImageError(f"predict_batch needs uint8 images, not {images.dtype}")
        return self._calibrated(images)[0]

    def _prediction(self, probabilities, is_digit, image28, box=None, cut=False, paired=False):
        """One digit's `Prediction`; `cut`: a piece of one stroke cut into digits, which is
        sure only at CUT_CONFIDENCE (halves of a letter, an A's "1" and "4", are digits
        that the gate half believes); `paired`: read with its neighbour by the pair reader."""
        digit = int(probabilities.argmax())
        confidence = float(confidence_of(probabilities[digit], is_digit, self.gate_doubt))
        threshold = max(self.threshold, CUT_CONFIDENCE) if cut else self.threshold
        uncertain = confidence < threshold
        if is_digit < self.gate_doubt:
            reason = "this does not look like a digit (a scribble, a letter?)"
        elif cut:
            reason = (
                f"one stroke cut into digits, unsure: confidence {confidence:.0%} "
                f"is below {threshold:.0%} (a letter?)"
            )
        else:
            reason = f"unsure: confidence {confidence:.0%} is below {self.threshold:.0%}"
        return Prediction(
            digit,
            confidence,
            probabilities,
            image28,
            reason if uncertain else None,
            uncertain,
            box,
            float(is_digit),
            self.gate_doubt,
            paired,
        )

    def predict(self, image):
        """Reads one digit: all the ink in the picture, except specks, is taken as one digit.

        Args:
            image: a file path, bytes of an image file, a PIL image, or a numpy array
                ((H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA; any size; dark ink on light or
                light ink on dark).

        Returns:
            A `Prediction`; `digit` is None (with a `reason`) when there is no digit.

        Raises:
            InvalidImageError: not an image, corrupt, empty, too large, or an array of the
                wrong dtype or shape.
        """
        array, decoded_scale = load_image_scaled(image)
        image28, box, scale, reason = locate(array)
        if image28 is None:
            return _no_digit(reason)
        box = source_box(box, scale * decoded_scale, _file_size(array, decoded_scale))
        probabilities, is_digit = self._calibrated(image28[None])
        return self._prediction(probabilities[0], is_digit[0], image28, box)

    def read(self, image):
        """Reads every digit in a picture, left to right, as a number.

        Digits drawn in several strokes stay one digit, specks, dots and dashes are
        ignored, and touching digits are split where the model reads the parts better.

        Args:
            image: as for `predict`.

        Returns:
            A `Reading`.

        Raises:
            InvalidImageError: as for `predict`.
        """
        return self._read(image)

    def _read(self, image, ruling=True, pairs=True):
        """`read`; `ruling`: whether ruled lines may be on the picture (not on a drawing);
        `pairs`: whether the pair reader may read it (when there is one)."""
        pairs = pairs and self.pairs is not None
        planned = _planned_reading(image, ruling, pairs)
        if isinstance(planned, Reading):
            return planned
        plan = planned[0]
        outputs = self._calibrated(np.stack(plan.images)) if plan.images else (None, None)
        pair_outputs = self._read_pairs(plan.pair_images) if pairs else None
        return self._finished_reading(planned, *outputs, pair_outputs)

    def _read_pairs(self, pictures):
        """The pair reader's outputs for (28, 56) pictures; None without a pair reader."""
        if self.pairs is None:
            return None
        return self.pairs(np.asarray(pictures, np.uint8).reshape(-1, *PAIR_SHAPE))

    def read_many(self, images):
        """Reads several pictures as `read` does, with one model call for all of them.

        The readings are those of `read` (tests/test_batch.py). Each picture is decoded and
        let go in turn: only its 28x28 candidates are kept until the model call.

        Args:
            images: a sequence of what `read` takes.

        Returns:
            A list in the same order: a `Reading` for each picture, or the
            `InvalidImageError` that `read` would have raised for it.
        """
        planned = []
        for image in images:
            try:
                planned.append(_planned_reading(image, pairs=self.pairs is not None))
            except InvalidImageError as error:
                planned.append(error)
        pending = [item for item in planned if isinstance(item, tuple)]
        crops = [crop for plan, *_ in pending for crop in plan.images]
        if crops:
            probabilities, is_digit = self._calibrated(np.stack(crops))
        pairs = self._read_pairs([image for plan, *_ in pending for image in plan.pair_images])
        readings, start, pair_start = [], 0, 0
        for item in planned:
            if not isinstance(item, tuple):
                readings.append(item)
                continue
            chunk = slice(start, start + len(item[0].images))
            start = chunk.stop
            outputs = (probabilities[chunk], is_digit[chunk]) if item[0].images else (None,) * 2
            pair_chunk = slice(pair_start, pair_start + len(item[0].pair_images))
            pair_start = pair_chunk.stop
            item_pairs = None if pairs is None else pairs[pair_chunk]
            readings.append(self._finished_reading(item, *outputs, item_pairs))
        return readings

    def _finished_reading(self, planned, probabilities, is_digit, pairs=None):
        """The `Reading` of a planned picture, given the model's outputs for its images (and
        the pair reader's for its pair pictures)."""
        plan, skipped, scale, size = planned
        found = choose_digits(plan, probabilities, is_digit, pairs) if plan.images else []
        skipped = [(source_box(box, scale, size), reason) for box, reason in skipped]
        digits = [
            self._prediction(
                probabilities, is_digit, image28, source_box(box, scale, size), cut, paired
            )
            for image28, probabilities, is_digit, box, cut, paired in found
        ]
        if not digits:
            reason = skipped[0][1] if len(skipped) == 1 else BLANK
            return Reading("", [], reason, skipped)
        text = "".join(str(d.digit) for d in digits)
        return Reading(text, digits, _doubt(digits), skipped)

    def read_strokes(self, strokes, pen_width=None):
        """Reads a number from its pen strokes, as a drawing canvas records them.

        The strokes, in the order written, are grouped into digits where the groups read best
        (see `model.inference.strokes`); each group is read drawn alone, so digits that touch
        or overlap stay apart. When a digit is unsure, the drawing is also read as a picture
        (`read`), and that reading is kept if it is sure and of as many digits.

        Args:
            strokes: a list of strokes, each a list of (x, y) points in pixels, y down.
            pen_width: the pen's width in pixels; None estimates it from the drawing's height.

        Returns:
            A `Reading` like `read`'s, boxes in the strokes' pixels.

        Raises:
            InvalidImageError: not a list of strokes of finite points, or too many of them.
        """
        strokes, pen_width = validated(strokes, pen_width)
        if not strokes:
            return Reading("", [], BLANK)
        pen = float(pen_width or estimated_pen(strokes))
        # run: (image, the first network's calibrated softmax, the gate's is_digit, and
        # whether that softmax is the ensemble's answer too)
        seen = {}

        def score_runs(runs):
            missing = [run for run in runs if run not in seen]
            if missing:
                images = np.stack([run_image([strokes[i] for i in run], pen) for run in missing])
                # Candidates are scored by the first network alone: most are no digit.
                raw, is_digit = self.raw_outputs(images, first_only=True)
                rows = zip(
                    missing, images, self._tempered(raw), is_digit, first_is_final(raw), strict=True
                )
                for run, image, probs, gate, final in rows:
                    seen[run] = (image, probs, float(gate), bool(final))
            scores = [np.log(seen[run][1].max() * seen[run][2] + 1e-4) for run in runs]
            return scores, [seen[run][0] for run in runs]

        groups, dots = grouped(strokes, pen, score_runs)
        skipped = [(box_of([strokes[dot]], pen), "a dot or a speck") for dot in dots]
        if not groups:
            return Reading("", [], "only dots or specks", skipped)
        digits = self._stroke_digits([tuple(group) for group in groups], strokes, pen, seen)
        letters = [letter_shape([strokes[i] for i in group]) for group in groups]
        for index in stacked(groups, strokes, pen):
            letters[index] = letters[index] or STACKED_REASON
        digits = [
            _laid_out_as_no_digit(digit, letter) if letter else digit
            for digit, letter in zip(digits, letters, strict=True)
        ]
        text = "".join(str(d.digit) for d in digits)
        reading = Reading(text, digits, _doubt(digits), skipped)
        if reading.uncertain and not any(letters):
            # The picture helps where the strokes do not group well (a digit drawn in many
            # strokes, or in an odd order). It merges touching digits and cuts a letter's one
            # stroke into digits, so only a sure picture reading of as many digits wins.
            pictured = self._read_drawing(strokes, pen)
            same_length = len(pictured.text) == len(reading.text)
            if pictured.text and same_length and not pictured.uncertain:
                return pictured
        return reading

    def _stroke_digits(self, keys, strokes, pen, seen):
        """The `Prediction` of each group of strokes (`keys`), as the whole ensemble reads
        it: where the first network's answer is the ensemble's (`seen`), it is kept; the
        others, and groups not yet read (a dot joined to a digit), are read again."""
        images = [
            seen[key][0] if key in seen else run_image([strokes[i] for i in key], pen)
            for key in keys
        ]
        outputs = [seen[key][1:3] if key in seen and seen[key][3] else None for key in keys]
        again = [index for index, output in enumerate(outputs) if output is None]
        if again:
            probabilities, is_digit = self._calibrated(np.stack([images[i] for i in again]))
            for index, probs, gate in zip(again, probabilities, is_digit, strict=True):
                outputs[index] = (probs, gate)
        return [
            self._prediction(*output, image, box_of([strokes[i] for i in key], pen))
            for key, output, image in zip(keys, outputs, images, strict=True)
        ]

    def _read_drawing(self, strokes, pen):
        """`read` on the strokes drawn as black ink on white, boxes in the strokes' pixels."""
        points = np.concatenate(strokes)
        low = points.min(axis=0) - pen
        scale = min(1.0, PICTURE_SIDE / max(float(np.ptp(points, axis=0).max()) + 2 * pen, 1.0))
        coverage = drawn(strokes, pen, origin=low, scale=scale)
        margin = max(1, int(round(pen * scale))) / 2 + 2
        # No ruled-line search (a drawing has none) and no pair reader: the strokes keep digits
        # written into each other apart (with it, 581 of 600 validation writers' numbers read
        # right instead of 583, and 12 sure and wrong instead of 7).
        reading = self._read(
            np.round(255 * (1 - coverage)).astype(np.uint8), ruling=False, pairs=False
        )

        def back(box):
            x, y, width, height = box
            return (
                int(math.floor((x - margin) / scale + low[0])),
                int(math.floor((y - margin) / scale + low[1])),
                int(math.ceil(width / scale)),
                int(math.ceil(height / scale)),
            )

        for digit in reading.digits:
            digit.box = back(digit.box)
        reading.skipped = [(back(box), reason) for box, reason in reading.skipped]
        return reading

    def read_page(self, image):
        """Reads every handwritten number on a sheet, in reading order.

        Several lines, several fields on a line, numbers of different sizes; ruling, table
        rules and boxes are wiped first, and printed labels and other marks that are mostly
        not digits are left out (`Page.ignored`).

        Args:
            image: as for `predict`.

        Returns:
            A `Page`: its `numbers` top to bottom, then left to right, each with its `text`,
            `box` and `digits` (as in `Reading`), all in the picture's pixels.

        Raises:
            InvalidImageError: as for `predict`.
        """
        array, decoded_scale = load_image_scaled(image)
        ink = sheet_ink(array)
        ink.scale *= decoded_scale
        if ink.blank:
            return Page([], BLANK)
        fields, ignored = find_numbers(ink, self._calibrated, self.pairs)
        size = _file_size(array, decoded_scale)

        def source(box):
            return source_box(box, ink.scale, size)

        numbers = [
            PageNumber(
                [
                    self._prediction(probabilities, is_digit, image28, source(box), cut, paired)
                    for image28, probabilities, is_digit, box, cut, paired in found.digits
                ],
                source(found.box),
                [(source(box), reason) for box, reason in found.skipped],
            )
            for found in fields
        ]
        ignored = [(source(box), reason) for box, reason in ignored]
        return Page(numbers, None if numbers else NO_NUMBER, ignored)


def _laid_out_as_no_digit(digit, reason):
    """`digit` (a `Prediction`) from strokes laid out as no digit is written, unsure."""
    return replace(digit, confidence=0.0, reason=reason, uncertain=True)


def _doubt(digits):
    """Why a reading cannot be trusted: its unsure digits, counted from the left, and the
    first one's reason; None when every digit is sure."""
    unsure = [position for position, digit in enumerate(digits, 1) if digit.uncertain]
    if not unsure:
        return None
    first = digits[unsure[0] - 1].reason
    if len(digits) == 1:
        return first
    which = ", ".join(str(position) for position in unsure)
    word = "digit" if len(unsure) == 1 else "digits"
    return f"{word} {which} of {len(digits)} (from the left): {first}"


def _planned_reading(image, ruling=True, pairs=False):
    """Decodes a picture and plans its reading (see `plan_digits`); ruled lines are looked
    for unless `ruling` is False; `pairs`: plan the pair reader's pictures too.

    Returns:
        An empty `Reading` for a blank picture, else (plan, skipped, scale, size): `scale`
        from working to source pixels and `size` the source picture's (height, width).
    """
    array, decoded_scale = load_image_scaled(image)
    ink = find_ink(array, ruling=ruling)
    ink.scale *= decoded_scale
    if ink.blank:
        return Reading("", [], BLANK)
    plan, skipped = plan_digits(ink, pairs)
    return plan, skipped, ink.scale, _file_size(array, decoded_scale)


def _file_size(array, decoded_scale):
    """The (height, width) of the picture a decoded array (shrunk by `decoded_scale`) came from."""
    return tuple(round(side / decoded_scale) for side in array.shape[:2])
