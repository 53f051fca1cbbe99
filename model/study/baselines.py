"""The comparison's other Keras networks: an MLP, a small CNN and a ResNet-style CNN.

Definitions only, like `model/training/network.py`. Each takes (N, 28, 28, 1) floats in 0-255,
white on black, scales them itself and returns (N, 10) probabilities.
"""

import keras
from keras import layers

from model.training.network import INPUT_SHAPE, NUM_CLASSES


def build_mlp(hidden_units=(512, 256), dropout_rate=0.2):
    """A multilayer perceptron on the 784 pixels: dense ReLU layers with dropout.

    Args:
        hidden_units: the width of each hidden layer.
        dropout_rate: dropout after each hidden layer.

    Returns:
        An uncompiled `keras.Model`.
    """
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Flatten()(x)
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mlp")


def build_small_cnn():
    """The Keras example CNN (keras-io `mnist_convnet`): two conv + max-pool blocks, dropout.

    Returns:
        An uncompiled `keras.Model` of about 35,000 parameters.
    """
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(64, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def _residual_block(x, filters, strides=1):
    """Two 3x3 convs with batch norm, added to the input (projected when the shape changes)."""
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if strides != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("relu")(layers.Add()([x, shortcut]))


def build_resnet(widths=(16, 32, 64), blocks_per_stage=1):
    """A small ResNet for 28x28 digits, trained from scratch.

    A 3x3 stem, then one stage of residual blocks per width; each stage after the first
    halves the resolution (28, 14, 7). Global average pooling feeds the classifier.

    Args:
        widths: filters of each stage.
        blocks_per_stage: residual blocks in each stage.

    Returns:
        An uncompiled `keras.Model`.
    """
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(widths[0], 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for stage, filters in enumerate(widths):
        for block in range(blocks_per_stage):
            strides = 2 if stage > 0 and block == 0 else 1
            x = _residual_block(x, filters, strides)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="resnet")
