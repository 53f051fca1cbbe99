from strokes import draw_number

from ui.annotate import SURE, annotate


def test_a_box_is_drawn_around_each_digit(predictor):
    image = draw_number((4, 7), size=300)  # wider than 1000 px: the copy is shrunk
    reading = predictor.read(image)
    picture = annotate(image, reading, longest_side=500)
    assert picture.shape[1] == 500 and picture.ndim == 3
    scale = 500 / image.shape[1]
    for digit in reading.digits:
        x, y, width, height = (round(value * scale) for value in digit.box)
        bottom_edge = picture[min(y + height, picture.shape[0] - 1), x + width // 2]
        assert tuple(bottom_edge) == SURE
    # Away from the boxes the picture is unchanged (white canvas).
    assert (picture[-3:, :] == 255).all()
