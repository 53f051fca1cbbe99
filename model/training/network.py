"""The digit CNN: the network definition and nothing else."""

import keras
from keras import layers

from model import config

INPUT_SHAPE = config.INPUT_SHAPE
NUM_CLASSES = config.NUM_CLASSES


def _conv_bn(x, filters, kernel_size, strides=1, padding="valid"):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def build_model(dropout_rate=config.CNN_DROPOUT_RATE, filters=config.CNN_FILTERS):
    """Builds the CNN: conv blocks with batch norm and dropout, strided convs instead of pooling.

    The layout follows the best-known single-CNN recipe for MNIST (two 3x3 convs, then a
    learnable 5x5 stride-2 downsampling conv, twice; a 4x4 conv to a 128-d feature).
    Inputs are uint8-range floats (0-255), white digit on black; scaling is in the model.

    Args:
        dropout_rate: dropout after each block and before the classifier.
        filters: width of the first block; later blocks use 2x and 4x.

    Returns:
        An uncompiled `keras.Model` mapping (N, 28, 28, 1) to (N, 10) probabilities.
    """
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = _conv_bn(x, filters, 3)
    x = _conv_bn(x, filters, 3)
    x = _conv_bn(x, filters, 5, strides=2, padding="same")
    x = layers.Dropout(dropout_rate)(x)
    x = _conv_bn(x, filters * 2, 3)
    x = _conv_bn(x, filters * 2, 3)
    x = _conv_bn(x, filters * 2, 5, strides=2, padding="same")
    x = layers.Dropout(dropout_rate)(x)
    x = _conv_bn(x, filters * 4, 4)
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


def describe_layers(model):
    """One row per layer (name, type, output shape, parameters), for the model card."""
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(layer.output.shape[1:]),
            "parameters": int(layer.count_params()),
        }
        for layer in model.layers
    ]
