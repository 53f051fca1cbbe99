"""Fitting the confidence calibration: the temperature that makes confidence match accuracy,
fitted on the validation split (plain and re-drawn), the unsure rule (how strong a doubt of
the gate lowers the confidence, and the threshold under which a reading is flagged), and
their report.

Never fitted on the test set, USPS or the real pictures: those stay honest measures.
"""

import json

import numpy as np

from model import config, paths
from model.data import pendigits
from model.data.mnist import load_mnist
from model.data.negatives import negatives
from model.data.synthetic import realistic_sets
from model.inference.calibration import (
    DEFAULT_THRESHOLD,
    apply_temperature,
    confidence_of,
    risk_coverage,
)
from model.inference.image_io import load_image
from model.inference.preprocess import locate_digit

BINS = 15
SEED = 2026
CALIBRATION_COUNT = 600  # validation digits re-drawn per style for calibration


def negative_log_likelihood(probabilities, labels):
    picked = np.asarray(probabilities, np.float64)[np.arange(len(labels)), labels]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())


def expected_calibration_error(probabilities, labels, bins=BINS):
    """Mean gap between confidence and accuracy over equal-width confidence bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def fit_temperature(probabilities, labels):
    """The temperature minimising the negative log-likelihood of `labels`.

    Args:
        probabilities: float (N, 10) softmax outputs of the model.
        labels: int (N,) true digits.

    Returns:
        The temperature, a float in [0.05, 20].
    """
    labels = np.asarray(labels)
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(
        lambda log_t: negative_log_likelihood(
            apply_temperature(probabilities, np.exp(log_t)), labels
        ),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
    )
    return float(np.exp(result.x))


def report(probabilities, labels, temperature, threshold=DEFAULT_THRESHOLD):
    """Calibration figures before and after scaling, and what the threshold rejects."""
    labels = np.asarray(labels)
    calibrated = apply_temperature(probabilities, temperature)
    confidence = calibrated.max(axis=1)
    correct = calibrated.argmax(axis=1) == labels
    flagged = confidence < threshold
    return {
        "count": int(len(labels)),
        "nll_before": negative_log_likelihood(probabilities, labels),
        "nll_after": negative_log_likelihood(calibrated, labels),
        "ece_before": expected_calibration_error(np.asarray(probabilities), labels),
        "ece_after": expected_calibration_error(calibrated, labels),
        "accuracy": float(correct.mean()),
        "flagged_rate": float(flagged.mean()),
        "flagged_correct_rate": float((flagged & correct).mean()),
        "accuracy_when_confident": float(correct[~flagged].mean()) if (~flagged).any() else 0.0,
    }


def fit_threshold(confidence, correct, max_error=config.UNSURE_MAX_ERROR):
    """The lowest confidence threshold at which the readings kept (confidence at or above it)
    are wrong at most `max_error` of the time: the most readings trusted for that risk.

    Args:
        confidence: float (N,) calibrated confidences.
        correct: bool (N,) whether each reading was right.
        max_error: the largest share of errors allowed among the readings kept.

    Returns:
        The threshold, in [0, 1].
    """
    order = np.argsort(-np.asarray(confidence, np.float64), kind="stable")
    ranked, wrong = np.asarray(confidence)[order], ~np.asarray(correct)[order]
    errors = np.cumsum(wrong) / np.arange(1, len(wrong) + 1)
    # Only cut between different confidences: readings of equal confidence go together.
    cuts = np.flatnonzero(np.append(ranked[1:] < ranked[:-1], True))
    good = cuts[errors[cuts] <= max_error]
    if not len(good):
        return 1.0
    return float(ranked[good[-1]])


RISK_BUDGETS = np.arange(0.02, 0.0651, 0.005)  # flagged shares at which the risk is summed


def risk_area(confidence, correct, budgets=RISK_BUDGETS):
    """How well a confidence ranks the errors first: the share of errors among the readings
    kept, summed over flagging the `budgets` least confident shares (lower is better)."""
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct)
    total = 0.0
    for budget in budgets:
        sure = confidence >= np.quantile(confidence, budget)
        total += float((~correct[sure]).mean()) if sure.any() else 0.0
    return total


def unsure_threshold(confident):
    """The unsure threshold: the lowest confidence (at least DEFAULT_THRESHOLD) keeping errors
    among sure readings under UNSURE_MAX_ERROR on every set, but flagging at most
    UNSURE_MAX_FLAGGED of any (an unsure flag on most readings sends everything to a person).

    Args:
        confident: {name: (confidence, correct)} of the validation sets.

    Returns:
        (threshold, the threshold the error target alone would need).
    """
    wanted = max(DEFAULT_THRESHOLD, *(fit_threshold(*pair) for pair in confident.values()))
    budget = min(
        float(np.quantile(confidence, config.UNSURE_MAX_FLAGGED))
        for confidence, _ in confident.values()
    )
    return max(DEFAULT_THRESHOLD, min(wanted, budget)), wanted


def fit_gate_doubt(validation, non_digits, candidates=config.GATE_DOUBTS, max_non_digits=None):
    """The gate's doubt that lowers the confidence, and the unsure threshold that goes with it.

    For each candidate, the threshold is `unsure_threshold`'s; the candidate kept is the one
    whose confidence ranks the validation errors first best (least `risk_area`, summed over
    the sets) among those letting at most `max_non_digits` of the non-digits through as sure.

    Args:
        validation: {name: (top, is_digit, correct)}: each reading's calibrated top
            probability, the gate's probability and whether the reading was right.
        non_digits: (top, is_digit) of pictures that are no digit: any sure reading is wrong.
        candidates: the gate doubts tried; ties go to the earlier one.
        max_non_digits: the largest share of non-digits allowed to pass as sure; None: the
            share the first candidate passes (a milder doubt may not let more non-digits
            through: hand-drawn letters get the gate's mild doubts too, `bench.letters`).

    Returns:
        {"gate_doubt", "threshold", "threshold_for_the_error_target", "candidates": [...]},
        each candidate with its threshold, risk area and share of non-digits passed; when
        none passes few enough non-digits, the first candidate.
    """
    table = []
    for gate_doubt in candidates:
        confident = {
            name: (confidence_of(top, is_digit, gate_doubt), correct)
            for name, (top, is_digit, correct) in validation.items()
        }
        threshold, wanted = unsure_threshold(confident)
        passed = float((confidence_of(*non_digits, gate_doubt) >= threshold).mean())
        table.append(
            {
                "gate_doubt": gate_doubt,
                "threshold": threshold,
                "threshold_for_the_error_target": wanted,
                "risk_area": sum(risk_area(*pair) for pair in confident.values()),
                "non_digits_sure": passed,
            }
        )
    if max_non_digits is None:
        max_non_digits = table[0]["non_digits_sure"]
    allowed = [row for row in table if row["non_digits_sure"] <= max_non_digits] or table[:1]
    best = min(allowed, key=lambda row: row["risk_area"])
    return {**best, "candidates": table}


def _pen_validation_items(seed):
    """The validation writers' digits as the Draw page sends them (never the test writers)."""
    digits = pendigits.load_pendigits(None, pendigits.VALIDATION_WRITERS)
    rng = np.random.default_rng([seed, 31])
    return [(pendigits.canvas_picture(digit.strokes, rng), str(digit.label)) for digit in digits]


def _mnist_images(items):
    """MNIST-format images and labels of single-digit items; pictures with no digit dropped."""
    images, labels = [], []
    for picture, text in items:
        image28, _, _ = locate_digit(load_image(picture))
        if image28 is not None:
            images.append(image28)
            labels.append(int(text))
    return np.stack(images), np.array(labels)


def calibrate(predictor, mnist_dir=None, out_dir=paths.BUNDLED_DIR, seed=SEED):
    """Fits the temperature on validation digits, as scanned and re-drawn; writes it.

    Returns:
        The calibration written to `calibration.json`.
    """
    # The validation split the model was trained without: the same seed as its training.
    data = load_mnist(mnist_dir, seed=predictor.card.get("seed", config.SPLIT_SEED))
    sets = realistic_sets(
        data.x_val, data.y_val, CALIBRATION_COUNT, seed, names=("canvas", "pixel_art", "photo")
    )
    parts = {"mnist": (data.x_val, data.y_val)}
    parts.update({name: _mnist_images(items) for name, items in sets.items()})
    parts["pen_validation"] = _mnist_images(_pen_validation_items(seed))
    raw = {name: predictor.raw_outputs(images) for name, (images, _) in parts.items()}
    outputs = {name: probabilities for name, (probabilities, _) in raw.items()}
    everything = np.concatenate(list(outputs.values()))
    labels = np.concatenate([labels for _, labels in parts.values()])
    temperature = fit_temperature(everything, labels)
    # The unsure rule, fitted on the MNIST validation digits and the validation writers, and
    # on non-digits of the gate's kinds made from the validation digits.
    validation = {}
    for name in ("mnist", "pen_validation"):
        probabilities, is_digit = raw[name]
        calibrated = apply_temperature(probabilities, temperature)
        validation[name] = (
            calibrated.max(axis=1),
            is_digit,
            calibrated.argmax(axis=1) == parts[name][1],
        )
    probabilities, is_digit = predictor.raw_outputs(negatives(len(data.x_val), seed, data.x_val))
    rule = fit_gate_doubt(
        validation, (apply_temperature(probabilities, temperature).max(axis=1), is_digit)
    )
    threshold, gate_doubt = rule["threshold"], rule["gate_doubt"]
    confident = {
        name: (confidence_of(top, gate, gate_doubt), correct)
        for name, (top, gate, correct) in validation.items()
    }
    calibration = {
        "temperature": temperature,
        "threshold": threshold,
        "gate_doubt": gate_doubt,
        "fitted_on": "MNIST validation split, plain and re-drawn (canvas, pixel art, photo), "
        f"and the pendigits validation writers {list(pendigits.VALIDATION_WRITERS)}",
        "threshold_rule": f"the lowest confidence (at least {DEFAULT_THRESHOLD}) keeping errors "
        f"among sure readings at most {config.UNSURE_MAX_ERROR:.1%} on the MNIST validation "
        "digits and on the validation writers, but flagging at most "
        f"{config.UNSURE_MAX_FLAGGED:.0%} of either",
        "gate_doubt_rule": "the gate's probability under which it lowers the confidence: of "
        f"{list(config.GATE_DOUBTS)}, the one ranking the validation errors first best (least "
        "risk_area: the errors among sure readings summed over flagging 2% to 6.5%) among those "
        f"passing no more of {len(data.x_val)} non-digits (made from the validation digits) "
        "as sure than the first does",
        "threshold_for_the_error_target": rule["threshold_for_the_error_target"],
        "gate_doubt_candidates": rule["candidates"],
        "risk_coverage": {
            name: {
                **risk_coverage(*confident[name]),
                "flagged_at_threshold": float((confident[name][0] < threshold).mean()),
                "error_when_sure_at_threshold": float(
                    (~confident[name][1][confident[name][0] >= threshold]).mean()
                ),
            }
            for name in confident
        },
        "all": report(everything, labels, temperature, threshold),
        **{
            name: report(outputs[name], labels, temperature, threshold)
            for name, (_, labels) in parts.items()
        },
    }
    (out_dir / paths.CALIBRATION_FILE).write_text(json.dumps(calibration, indent=1))
    return calibration
