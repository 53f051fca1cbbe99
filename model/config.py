"""The shared defaults, in one place: every module and the CLI's defaults read them from here.

Plain constants, no TensorFlow, so the fast CLI and the inference path can import it. The model
card records `as_dict()` so a bundled model says which settings made it.
"""

# The data split: the same validation images for every model trained here.
SPLIT_SEED = 1337
VALIDATION_SIZE = 5000

# The network's input: MNIST's 28x28 grey images, white digit on black, 0-255.
IMAGE_SIZE = 28
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
NUM_CLASSES = 10

# Training.
BATCH_SIZE = 128
EVAL_BATCH_SIZE = 1024
CNN_EPOCHS = 20  # the styled member's; each member's own are in CNN_MEMBERS
CNN_PEAK_LEARNING_RATE = 2e-3
CNN_DROPOUT_RATE = 0.4
CNN_FILTERS = 32
GATE_EPOCHS = 5
ROTATION_DEGREES = 10  # augmentation: rotation, zoom and shift ranges; never flips
ZOOM = 0.1
SHIFT = 0.1
STYLED_SHARE = 0.4  # part of each epoch's digits drawn in another style (see training/styles.py)
SEGMENT_SHARE = 0.1  # straight-stroke digits added, as a part of the MNIST training images
NAMED_SHARE = 0.3  # restyled 0, 1, 7, 9 given their named style (training/named_styles.py)
PEN_COPIES = 2  # drawings of each pendigits training writer's digit (training/pen_digits.py)
PLAIN_PEN_COPIES = 4  # the plain member's fixed drawings of each pendigits training digit
# The bundled model is the mean of two CNNs of the same network, both of which see the pendigits
# training writers: "plain" learns MNIST as it is, no restyling (the best on MNIST), with fixed
# drawings of the writers' strokes; "styled" learns the writing styles MNIST lacks, and the
# writers' strokes redrawn each epoch (the best on real writing).
CNN_MEMBERS = (
    {
        "name": "plain",
        "epochs": 45,
        "styled_share": 0.0,
        "segment_share": 0.0,
        "pen_copies": PLAIN_PEN_COPIES,
    },
    {
        "name": "styled",
        "epochs": CNN_EPOCHS,
        "styled_share": STYLED_SHARE,
        "segment_share": SEGMENT_SHARE,
        "named_share": NAMED_SHARE,
        "pen_copies": PEN_COPIES,
    },
)
# Inference runs the members one after another: the first alone answers when its top digit has
# at least this probability, else the mean of all is taken. Chosen on the validation split
# (the highest of 0.9-0.999 tried: the ensemble's digit for all 5,000, the second member run
# for 5.5% of them).
CASCADE_CONFIDENCE = 0.999
# The LiteRT export stores the first network's weights as int8 and quantises each image's
# activations as it runs ("dynamic"): 2.6x faster than float here, each network's MNIST test
# digits the same as Keras's (float again where not). "none": float.
LITERT_QUANTIZATION = "dynamic"
LITERT_QUANTIZATIONS = ("dynamic", "none")

# Fine-tuning on feedback.
FINETUNE_EPOCHS = 2
FINETUNE_LEARNING_RATE = 1e-4
FINETUNE_TOLERANCE = 0.002  # the largest MNIST test accuracy drop accepted: 20 of 10,000
FEEDBACK_SHARE = 0.1  # the part of each epoch's images that are feedback (less if capped)

# Reading: below this calibrated confidence a reading is flagged uncertain (the least; the
# threshold in calibration.json is fitted, model/training/calibration.py), so that at most
# UNSURE_MAX_ERROR of the readings not flagged are wrong on the validation digits and writers.
UNSURE_THRESHOLD = 0.5
UNSURE_MAX_ERROR = 0.003
UNSURE_MAX_FLAGGED = 0.05  # ... unless that flags more than this: then the 5% least sure
# The gate's doubt lowers the confidence under a fitted `gate_doubt` (one of these), the one
# that ranks validation errors lowest while letting no more validation non-digits through as
# sure readings than the first (the gate's own 0.5) does.
GATE_DOUBTS = (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01)

# Uploads: the app's limit (server.maxUploadSize in .streamlit/config.toml), also the API's.
MAX_UPLOAD_MB = 10
MAX_BATCH_FILES = 32  # images in one POST /v1/read/batch

# The study.
ROBUSTNESS_COUNT = 500  # pictures per synthetic robustness set
TUNING_TRIALS = 12
TUNING_EPOCHS = 3
TUNING_TRAIN_SIZE = 12_000


def as_dict():
    """The settings above as a JSON-ready dict (for the model card)."""
    return {
        name.lower(): list(value) if isinstance(value, tuple) else value
        for name, value in globals().items()
        if name.isupper()
    }
