"""Over-segmenting a run of touching or overlapping digits: candidate cut paths that follow the
background between strokes, and the pieces between them.

A cut path runs from the top of a region to its bottom, one column per row. It starts at a
column where two digits may meet (a minimum of the column profile, a valley of the upper or
lower contour) and is the cheapest way down from there: through background where it can, bending
around strokes, and across ink only where it must, where the ink is thinnest. The reader scores
the pieces between every two paths with the classifier and keeps the best chain of them
(`model.inference.reader`). Pure numpy/OpenCV.
"""

import cv2
import numpy as np

BINARY_LEVEL = 0.3
PATH_ROWS = 48  # paths are searched on the region shrunk to at most this many rows
INK_COST = 8.0  # a row of the path through ink costs this much more than one through background
STEP_COST = 0.3  # each column a path moves sideways from one row to the next
BAND = 0.25  # a path stays within this fraction of the region's height of its start column
EDGE = 0.2  # no path starts nearer an edge than this fraction of the height
SAME_PATH = 0.03  # paths this close on average (fraction of the height) are one


def _local_minima(values):
    """Indices of the local minima of a 1-D array (the middle of a flat bottom)."""
    found, index, size = [], 1, len(values)
    while index < size - 1:
        end = index
        while end + 1 < size - 1 and values[end + 1] == values[index]:
            end += 1
        if values[index - 1] > values[index] and values[end + 1] > values[index]:
            found.append((index + end) // 2)
        index = end + 1
    return found


def start_columns(mask, evenly=()):
    """Columns where a cut path may start: the column profile's minima and the upper and
    lower contour's valleys (where two digits' outlines dip toward each other), plus the
    columns `evenly` (even spacing for a given number of digits).

    Args:
        mask: bool (H, W), the region's ink.
        evenly: extra columns.

    Returns:
        Sorted distinct columns, none nearer an edge than EDGE x height.
    """
    height, width = mask.shape
    smooth = max(3, int(height * 0.04) | 1)
    profile = cv2.blur(mask.sum(axis=0).astype(np.float32)[None], (smooth, 1))[0]
    rows = np.arange(height)[:, None]
    top = np.where(mask, rows, height).min(axis=0).astype(np.float32)
    bottom = np.where(mask, rows, -1).max(axis=0).astype(np.float32)
    top = cv2.blur(top[None], (smooth, 1))[0]
    bottom = cv2.blur(bottom[None], (smooth, 1))[0]
    columns = set(_local_minima(profile))
    columns |= set(_local_minima(-top))  # the top outline dips down between two digits
    columns |= set(_local_minima(bottom))  # the bottom outline rises between two digits
    columns |= {int(column) for column in evenly}
    margin = EDGE * height
    return sorted(column for column in columns if margin <= column <= width - 1 - margin)


def cut_paths(crop, starts):
    """The cheapest top-to-bottom path near each start column.

    Args:
        crop: float (H, W) ink of one region, 1 = ink.
        starts: columns to start from.

    Returns:
        int (N, H): for each distinct path, the column it crosses each row at; sorted by
        their mean column, left to right.
    """
    height, width = crop.shape
    if not len(starts):
        return np.zeros((0, height), np.int32)
    scale = min(1.0, PATH_ROWS / height)
    small = cv2.resize(
        crop,
        (max(1, round(width * scale)), max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA,
    )
    rows, columns = small.shape
    reach = max(1, int(BAND * rows))
    offsets = np.arange(-reach, reach + 1)
    centers = np.clip(np.round(np.asarray(starts) * columns / width).astype(int), 0, columns - 1)
    band = centers[:, None] + offsets[None]  # (N, B): the columns each path may use
    outside = (band < 0) | (band >= columns)
    cost = 1.0 + INK_COST * np.minimum(small / BINARY_LEVEL, 1.0)[:, np.clip(band, 0, columns - 1)]
    cost[:, outside] = np.inf  # (rows, N, B)
    total = cost[0].copy()
    moves = np.zeros(cost.shape, np.int8)  # 0: from the column above, 1: its left, 2: its right
    from_left, from_right = np.full_like(total, np.inf), np.full_like(total, np.inf)
    for row in range(1, rows):
        np.add(total[:, :-1], STEP_COST, out=from_left[:, 1:])
        np.add(total[:, 1:], STEP_COST, out=from_right[:, :-1])
        choice = moves[row]
        choice[from_left < total] = 1
        best = np.minimum(total, from_left)
        right_better = from_right < best
        choice[right_better] = 2
        np.minimum(best, from_right, out=best)
        total = best + cost[row]
    position = total.argmin(axis=1)
    path = np.empty((rows, len(starts)), np.int64)
    for row in range(rows - 1, -1, -1):
        path[row] = position
        step = moves[row, np.arange(len(starts)), position]
        position = position - (step == 1) + (step == 2)
    small_path = np.take_along_axis(band.T, path, axis=0).T.astype(np.float32)  # (N, rows)
    nearest = np.minimum(((np.arange(height) + 0.5) * rows / height).astype(int), rows - 1)
    full = (small_path[:, nearest] + 0.5) * (width / columns)
    picked = np.clip(full.astype(np.int32), 1, width - 1)
    picked = picked[np.argsort(picked.mean(axis=1), kind="stable")]
    distinct = [picked[0]]
    for candidate in picked[1:]:
        if np.abs(candidate - distinct[-1]).mean() > SAME_PATH * height:
            distinct.append(candidate)
    return np.stack(distinct)


def between(crop, left, right):
    """The ink of `crop` between two paths (None: the region's edge), the rest blanked.

    Returns:
        (part, offset): the columns of `crop` the piece may reach, from column `offset`.
    """
    first = int(left.min()) if left is not None else 0
    end = int(right.max()) if right is not None else crop.shape[1]
    part = crop[:, first:end]
    columns = np.arange(first, end)[None]
    keep = np.ones(part.shape, bool)
    if left is not None:
        keep &= columns >= left[:, None]
    if right is not None:
        keep &= columns < right[:, None]
    return np.where(keep, part, 0.0), first
