"""Reading a whole number: find the digits in a picture, split touching ones, read each.

The model is passed in as a function (MNIST images -> probabilities), so this module stays
free of TensorFlow.
"""

import numpy as np

from model.preprocess import crop_to_mnist, tight_crop
from model.segment import components, group_digits, shape_problem, split_columns

SPLIT_ASPECT = 0.8  # wider than this (width / height) may be several touching digits
PIECE_ASPECT = 0.4  # the narrowest a digit is assumed to be when counting pieces
MAX_PIECES = 5
SPLIT_MARGIN = 0.1  # a split must beat reading the whole by this much mean log-confidence
WIDE_PENALTY = 1.0  # per unit of aspect above 0.9, against reading a region as one digit


def _piece_crops(crop, cuts):
    edges = [0, *cuts, crop.shape[1]]
    pieces = []
    for left, right in zip(edges[:-1], edges[1:], strict=True):
        piece = crop[:, left:right]
        rows = np.flatnonzero((piece > 0.25).any(axis=1))
        cols = np.flatnonzero((piece > 0.25).any(axis=0))
        if not len(rows):
            return None
        box = (left + cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
        pieces.append((piece[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], box))
    return pieces


def _candidates(crop):
    """Ways to read one region: whole, or cut into 2..n touching digits."""
    height, width = crop.shape
    whole = [(crop, (0, 0, width, height))]
    candidates = [whole]
    if width > SPLIT_ASPECT * height:
        most = min(MAX_PIECES, int(width / (PIECE_ASPECT * height)))
        for pieces in range(2, most + 1):
            cut = _piece_crops(crop, split_columns(crop, pieces))
            if cut:
                candidates.append(cut)
    return candidates


def _score(probabilities):
    return float(np.log(np.clip(probabilities.max(axis=1), 1e-9, 1.0)).mean())


def find_digits(ink, probabilities_of):
    """The digits in an ink map, left to right.

    Args:
        ink: an `model.ink.Ink` that is not blank.
        probabilities_of: function from uint8 (N, 28, 28) images to (N, 10) probabilities.

    Returns:
        (digits, skipped): digits as (image28, probabilities, box) with the box (x, y, w, h)
        at working resolution; skipped as (box, reason) for dots and dashes.
    """
    label_image, kept = components(ink.values)
    digits, skipped = [], []
    for region in group_digits(label_image, kept):
        x, y, _, _ = region.box
        crop = region.crop(ink.values, label_image)
        problem = shape_problem(tight_crop(crop))
        if problem:
            skipped.append((region.box, problem))
            continue
        candidates = _candidates(crop)
        wide_penalty = WIDE_PENALTY * max(0.0, crop.shape[1] / crop.shape[0] - 0.9)
        images = [crop_to_mnist(piece) for candidate in candidates for piece, _ in candidate]
        probabilities = probabilities_of(np.stack(images))
        best, best_score, start = None, -np.inf, 0
        for index, candidate in enumerate(candidates):
            chunk = probabilities[start : start + len(candidate)]
            score = _score(chunk) - (SPLIT_MARGIN if index else wide_penalty)
            if score > best_score:
                best, best_score = (candidate, start), score
            start += len(candidate)
        candidate, start = best
        for offset, (_, (px, py, pw, ph)) in enumerate(candidate):
            digits.append(
                (images[start + offset], probabilities[start + offset], (x + px, y + py, pw, ph))
            )
    return digits, skipped
