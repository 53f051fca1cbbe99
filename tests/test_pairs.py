"""The pair reader: two touching or overlapping digits read as one picture, when no cut
between them reads well."""

import json
import shutil

import numpy as np

from model import paths
from model.data import pendigits
from model.data.pairs import PairMaker
from model.data.pen_sets import composed_numbers
from model.inference.pairs import NOT_A_PAIR, PairReader, load_pair_reader
from model.inference.preprocess import crop_to_pair
from model.inference.reader import DigitPlan, _best_chain, _pair_digits, choose_digits


def test_a_pair_picture_keeps_its_aspect_in_a_box_twice_as_wide():
    ink = np.zeros((40, 60), np.float32)
    ink[:, :6] = 1.0  # two uprights, the width of the picture apart
    ink[:, -6:] = 1.0
    picture = crop_to_pair(ink)
    assert picture.shape == (28, 56) and picture.dtype == np.uint8 and picture.max() == 255
    rows, columns = np.nonzero(picture > 127)
    assert rows.max() - rows.min() + 1 == 20  # 20 px high, as MNIST's box
    assert 28 <= columns.max() - columns.min() + 1 <= 32  # 60 / 40 of it wide


def test_the_chain_may_read_one_piece_as_two_digits():
    # Nodes 0..2: two pieces that read poorly as single digits, or the whole read as a pair.
    pieces = [(0, 1, 1), (1, 2, 1), (0, 2, 1), (0, 2, 2)]
    scores = np.log([0.4, 0.5, 0.6, 0.95 * 0.95])
    assert _best_chain(3, pieces, scores, expected=2.0) == [3]
    # A single digit reading far better than the pair, on a width of one digit, wins.
    scores = np.log([0.4, 0.5, 0.99, 0.3])
    assert _best_chain(3, pieces, scores, expected=1.0) == [2]


def _one_piece_read_both_ways(not_a_pair):
    """The digits chosen for one piece 1.5 digits wide that the digit network reads as a sure
    0 and the pair reader as "10" (0.9), giving it `not_a_pair` for "not two digits"."""
    box = (0, 0, 30, 40)
    plan = DigitPlan(
        images=[np.zeros((28, 28), np.uint8)],
        layout=[(box, 2, [(0, 1, box)], False, [(0, 1, box)], False)],
        digit_width=20.0,
        pair_images=[np.zeros((28, 56), np.uint8)],
    )
    digit = np.zeros((1, 10), np.float32)
    digit[0, 0] = 0.999
    pair = np.zeros((1, NOT_A_PAIR + 1), np.float32)
    pair[0, 10], pair[0, NOT_A_PAIR] = 0.9, not_a_pair
    chosen = choose_digits(plan, digit, np.ones(1, np.float32), pair)
    return [int(probabilities.argmax()) for _, probabilities, *_ in chosen]


def test_a_piece_the_pair_reader_is_sure_holds_two_digits_is_read_as_two():
    # Two overlapping digits often read as one sure digit too ("66" as a 6).
    assert _one_piece_read_both_ways(not_a_pair=0.01) == [1, 0]
    # Where the pair reader is not that sure, the sure single digit stays.
    assert _one_piece_read_both_ways(not_a_pair=0.3) == [0]


def _wide_five_read(not_a_pair):
    """The digits chosen for a 5 with a long flag, two digits wide: its body and its flag's
    end each read as a sure 5, and so does the whole, which the pair reader gives
    `not_a_pair` for "not two digits"."""
    whole, body, flag = (0, 0, 60, 40), (0, 0, 33, 40), (28, 0, 32, 40)
    plan = DigitPlan(
        images=[np.zeros((28, 28), np.uint8)] * 3,
        layout=[
            (whole, 3, [(0, 1, body), (1, 2, flag), (0, 2, whole)], True, [(0, 2, whole)], False)
        ],
        digit_width=30.0,
        pair_images=[np.zeros((28, 56), np.uint8)],
    )
    digits = np.zeros((3, 10), np.float32)
    digits[:, 5] = 0.999
    pair = np.zeros((1, NOT_A_PAIR + 1), np.float32)
    pair[0, 55], pair[0, NOT_A_PAIR] = 1.0 - not_a_pair, not_a_pair
    chosen = choose_digits(plan, digits, np.ones(3, np.float32), pair)
    return [int(probabilities.argmax()) for _, probabilities, *_ in chosen]


def test_a_sure_digit_the_pair_reader_is_sure_is_not_two_is_not_cut():
    # Two digits' width gives two digits where every reading is as sure...
    assert _wide_five_read(not_a_pair=0.6) == [5, 5]
    # ...but not across a piece that is surely one digit ("5" read as "55").
    assert _wide_five_read(not_a_pair=0.999) == [5]


def test_a_pair_reading_gives_each_digit_its_marginal_probabilities():
    probabilities = np.zeros(NOT_A_PAIR + 1, np.float32)
    probabilities[47], probabilities[41], probabilities[NOT_A_PAIR] = 0.6, 0.2, 0.2
    picture = np.zeros((28, 56), np.uint8)
    picture[4:24, 10:14] = 255
    picture[4:24, 40:44] = 255
    (_, left, is_pair, left_box), (_, right, _, right_box) = _pair_digits(
        picture, probabilities, (10, 5, 41, 30)
    )
    assert left.argmax() == 4 and abs(left[4] - 1.0) < 1e-6
    assert right.argmax() == 7 and abs(right[7] - 0.75) < 1e-6 and abs(right[1] - 0.25) < 1e-6
    assert abs(is_pair - 0.8) < 1e-6
    assert left_box == (10, 5, 20, 30) and right_box == (30, 5, 21, 30)


def test_composed_pairs_are_labelled_by_their_digits(pendigits_dir):
    digits = pendigits.load_pendigits(pendigits_dir, pendigits.VALIDATION_WRITERS)
    maker = PairMaker(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), digits, 1.0)
    images, labels = maker.pictures(400, np.random.default_rng(3))
    assert images.shape == (400, 28, 56) and images.dtype == np.uint8
    assert labels.min() >= 0 and labels.max() <= NOT_A_PAIR
    assert 0.17 < np.mean(labels == NOT_A_PAIR) < 0.33
    assert (images.reshape(400, -1).max(axis=1) == 255).all()


def test_a_pair_reader_that_does_not_match_its_card_is_not_loaded(tmp_path):
    for name in (paths.PAIRS_FILE, paths.PAIRS_CARD_FILE):
        shutil.copy(paths.BUNDLED_DIR / name, tmp_path / name)
    assert isinstance(load_pair_reader(tmp_path), PairReader)
    card = json.loads((tmp_path / paths.PAIRS_CARD_FILE).read_text())
    card["sha256"] = "0" * 64
    (tmp_path / paths.PAIRS_CARD_FILE).write_text(json.dumps(card))
    assert load_pair_reader(tmp_path) is None
    (tmp_path / paths.PAIRS_CARD_FILE).write_text("{not json")
    assert load_pair_reader(tmp_path) is None
    assert load_pair_reader(tmp_path / "missing") is None


def test_the_bundled_pair_reader_reads_held_out_writers_pairs(pendigits_dir):
    digits = pendigits.load_pendigits(pendigits_dir, pendigits.VALIDATION_WRITERS)
    maker = PairMaker(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), digits, 1.0)
    images, labels = maker.pictures(500, np.random.default_rng(11))
    read = load_pair_reader(paths.BUNDLED_DIR)(images).argmax(axis=1)
    assert np.mean(read == labels) >= 0.9, np.mean(read == labels)


def test_overlapping_digits_read_better_with_the_pair_reader(predictor, pendigits_dir):
    from model.inference.predictor import Predictor

    digits = pendigits.load_pendigits(pendigits_dir, pendigits.VALIDATION_WRITERS)
    numbers = [
        number
        for number in composed_numbers(digits, count=120, seed=91)
        if "overlapping" in number["gaps"]
    ]
    without = Predictor(predictor.engine, predictor.card, predictor.calibration, pairs=None)
    assert predictor.pairs is not None
    right = {
        name: sum(reader.read(number["picture"]).text == number["text"] for number in numbers)
        for name, reader in (("with", predictor), ("without", without))
    }
    assert right["with"] >= right["without"] + 0.1 * len(numbers), (right, len(numbers))


def test_train_pairs_writes_a_reader_the_predictor_loads(tmp_path, mnist_dir, pendigits_dir):
    from model.training.pairs import train_pairs

    card = train_pairs(
        mnist_dir, pendigits_dir, tmp_path, count=256, epochs=1, verbose=0, validation_count=200
    )
    reader = load_pair_reader(tmp_path)
    assert reader is not None and card["litert_agrees_with_keras"] >= 0.95
    assert reader(np.zeros((3, 28, 56), np.uint8)).shape == (3, NOT_A_PAIR + 1)
    assert card["test_writers"] == list(pendigits.TEST_WRITERS) and card["best_epoch"] == 1
