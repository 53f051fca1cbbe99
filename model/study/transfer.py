"""Transfer learning: VGG16 or ResNet50 from `keras.applications` on upscaled 3-channel digits.

The ImageNet weights are not bundled with this project: `weights="imagenet"` makes Keras
download them (about 60 MB for VGG16, 95 MB for ResNet50) on first use, so it needs internet.
`weights=None` builds the same network with random weights, trained from scratch.
"""

import keras
from keras import layers

from model.training.network import INPUT_SHAPE, NUM_CLASSES

ARCHITECTURES = ("vgg16", "resnet50")
WEIGHTS = (None, "imagenet")
INPUT_SIZE = 32
# Both networks were trained on ImageNet with "caffe" preprocessing: BGR, mean subtracted.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def _application(architecture):
    return {
        "vgg16": keras.applications.VGG16,
        "resnet50": keras.applications.ResNet50,
    }[architecture]


def build_transfer_model(architecture="vgg16", weights=None, input_size=INPUT_SIZE):
    """A `keras.applications` network with a new 10-digit head, on upscaled 3-channel digits.

    The digit (28x28x1, 0-255) is resized to `input_size` square, copied into three channels
    and mean-subtracted as the ImageNet networks expect. With ImageNet weights the base is
    frozen (feature extraction); with `weights=None` the whole network trains from scratch.

    Args:
        architecture: "vgg16" or "resnet50".
        weights: None (random) or "imagenet" (downloaded by Keras: needs internet).
        input_size: side of the upscaled image; both networks need at least 32.

    Returns:
        An uncompiled `keras.Model` mapping (N, 28, 28, 1) to (N, 10) probabilities.

    Raises:
        ValueError: an unknown architecture or weights, or an input smaller than 32.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, not {architecture!r}")
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be None or 'imagenet', not {weights!r}")
    if input_size < 32:
        raise ValueError(f"VGG16 and ResNet50 need inputs of at least 32x32, not {input_size}")
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Resizing(input_size, input_size, interpolation="bilinear")(inputs)
    x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = layers.Normalization(mean=CAFFE_MEAN_BGR, variance=(1.0, 1.0, 1.0), name="caffe_mean")(x)
    base = _application(architecture)(
        include_top=False,
        weights=weights,
        input_shape=(input_size, input_size, 3),
        pooling="avg",
    )
    base.trainable = weights is None
    x = base(x, training=False if weights else None)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"{architecture}_transfer")
