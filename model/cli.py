"""The `python -m model` commands. TensorFlow is imported only by the commands that need it."""

import argparse
import json
import sys
from pathlib import Path

from model import paths
from model.data import MNIST_DIR_ENV


def _add_mnist_dir(parser):
    parser.add_argument(
        "--mnist-dir",
        help=f"folder with the four MNIST IDX .gz files (default: ${MNIST_DIR_ENV}, "
        "else the standard Keras download)",
    )


def _add_out(parser, help_text="output folder"):
    parser.add_argument("--out", default=str(paths.BUNDLED_DIR), help=help_text)


def _add_model(parser):
    parser.add_argument("--model", help="a .keras file (default: the bundled model)")


def cmd_train(args):
    from model.train import train

    metrics = train(
        args.mnist_dir,
        out_dir=args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        limit=args.limit,
    )
    print(
        json.dumps(
            {
                "accuracy": metrics["accuracy"],
                "errors": metrics["errors"],
                "macro_f1": metrics["macro_f1"],
                "out": str(args.out),
            }
        )
    )
    return 0


def cmd_train_gate(args):
    from model.gate import train_gate

    figures = train_gate(
        args.mnist_dir, out_dir=Path(args.out), epochs=args.epochs, seed=args.seed, limit=args.limit
    )
    print(json.dumps(figures))
    return 0


def cmd_calibrate(args):
    from model.inference import Predictor
    from model.robustness import calibrate

    calibration = calibrate(Predictor.load(args.model), args.mnist_dir, Path(args.out))
    print(json.dumps({key: calibration[key] for key in ("temperature", "threshold", "all")}))
    return 0


def cmd_robustness(args):
    from model.inference import Predictor
    from model.robustness import robustness

    out = Path(args.out) if args.out else None
    print(json.dumps(robustness(Predictor.load(args.model), args.mnist_dir, out, args.count)))
    return 0


def cmd_build(args):
    """Everything bundled, in order: the CNN, the gate, the calibration, the robustness report."""
    from model.gate import train_gate
    from model.inference import Predictor
    from model.robustness import calibrate, robustness
    from model.train import train

    out = Path(args.out)
    train(args.mnist_dir, out_dir=out, seed=args.seed)
    train_gate(args.mnist_dir, out_dir=out, seed=args.seed)
    calibrate(Predictor.load(out / paths.MODEL_FILE), args.mnist_dir, out)
    figures = robustness(Predictor.load(out / paths.MODEL_FILE), args.mnist_dir, out)
    print(json.dumps(figures))
    return 0


def cmd_evaluate(args):
    from model.data import load_mnist
    from model.evaluate import compute_metrics
    from model.inference import Predictor

    data = load_mnist(args.mnist_dir, validation_size=0)
    predictor = Predictor.load(args.model)
    metrics = compute_metrics(data.y_test, predictor.predict_batch(data.x_test))
    print(json.dumps(metrics))
    return 0


def cmd_compare(args):
    from model.compare import Options, compare

    only = [name.strip() for name in args.only.split(",") if name.strip()] if args.only else None
    options = Options(
        seed=args.seed,
        epochs=args.epochs,
        weights=None if args.weights == "none" else args.weights,
        input_size=args.input_size,
    )
    artifact = compare(
        args.mnist_dir,
        out_dir=Path(args.out),
        only=only,
        limit=args.limit,
        models_dir=args.models_dir or None,
        options=options,
    )
    summary = {row["name"]: round(row["accuracy"], 4) for row in artifact["models"]}
    print(json.dumps({"accuracy": summary, "out": str(Path(args.out) / paths.COMPARISON_FILE)}))
    return 0


def cmd_tune(args):
    from model.tuning import tune

    artifact = tune(
        args.mnist_dir,
        out_dir=Path(args.out),
        trials=args.trials,
        epochs=args.epochs,
        train_size=args.train_size,
        seed=args.seed,
    )
    print(json.dumps({"best": artifact["best"], "out": str(Path(args.out) / paths.TUNING_FILE)}))
    return 0


def _each_image(args, read):
    """Prints one JSON line per image; a bad file gets an error line, and exit 1 at the end."""
    from model.errors import InvalidImageError
    from model.inference import Predictor

    predictor = Predictor.load(args.model)
    failed = 0
    for path in args.images:
        try:
            result = predictor.read(path) if read else predictor.predict(path)
            line = {"path": path, **result.to_json()}
        except InvalidImageError as error:
            failed += 1
            line = {"path": path, "error": str(error)}
        print(json.dumps(line), flush=True)
    return 1 if failed else 0


def cmd_predict(args):
    return _each_image(args, read=False)


def cmd_read(args):
    return _each_image(args, read=True)


def build_parser():
    from model import compare as comparison
    from model import tuning
    from model.gate import EPOCHS as GATE_EPOCHS
    from model.robustness import COUNT as ROBUSTNESS_COUNT
    from model.train import BATCH_SIZE, EPOCHS, SEED

    parser = argparse.ArgumentParser(prog="python -m model", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the CNN and write the model and its artifacts")
    _add_mnist_dir(train)
    train.add_argument("--epochs", type=int, default=EPOCHS)
    train.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    train.add_argument("--seed", type=int, default=SEED)
    _add_out(train)
    train.add_argument("--limit", type=int, help="use only this many images (smoke tests)")
    train.set_defaults(run=cmd_train)

    build = commands.add_parser(
        "build", help="train, train-gate, calibrate and robustness in one go (about 40 min)"
    )
    _add_mnist_dir(build)
    build.add_argument("--seed", type=int, default=SEED)
    _add_out(build)
    build.set_defaults(run=cmd_build)

    gate = commands.add_parser(
        "train-gate", help="train the digit gate that doubts scribbles and letters"
    )
    _add_mnist_dir(gate)
    gate.add_argument("--epochs", type=int, default=GATE_EPOCHS)
    gate.add_argument("--seed", type=int, default=SEED)
    _add_out(gate)
    gate.add_argument("--limit", type=int, help="use only this many images (smoke tests)")
    gate.set_defaults(run=cmd_train_gate)

    calibrate = commands.add_parser(
        "calibrate", help="fit the confidence temperature on the validation split"
    )
    _add_mnist_dir(calibrate)
    _add_model(calibrate)
    _add_out(calibrate)
    calibrate.set_defaults(run=cmd_calibrate)

    robust = commands.add_parser(
        "robustness", help="accuracy on realistic re-drawn test sets and on non-digits"
    )
    _add_mnist_dir(robust)
    _add_model(robust)
    robust.add_argument("--count", type=int, default=ROBUSTNESS_COUNT, help="pictures per set")
    _add_out(robust, help_text="output folder ('' = none)")
    robust.set_defaults(run=cmd_robustness)

    compare = commands.add_parser(
        "compare",
        help="train and measure classical models and CNNs on one split (~30 min); "
        "writes comparison.json",
    )
    _add_mnist_dir(compare)
    compare.add_argument(
        "--only",
        help="comma-separated models, whose rows replace theirs in comparison.json: "
        + ", ".join(comparison.BY_NAME),
    )
    compare.add_argument(
        "--limit", type=int, help="use only this many training and test images (smoke tests)"
    )
    compare.add_argument(
        "--epochs", type=int, help="epochs of every neural network (default: each one's own)"
    )
    compare.add_argument(
        "--weights",
        choices=["none", "imagenet"],
        default="none",
        help="weights of the transfer models (vgg16, resnet50): imagenet is downloaded by Keras "
        "(needs internet; not bundled)",
    )
    compare.add_argument(
        "--input-size", type=int, default=32, help="side the transfer models upscale digits to"
    )
    compare.add_argument("--seed", type=int, default=comparison.SEED)
    compare.add_argument(
        "--models-dir",
        default=str(paths.RUNS_DIR / "compare"),
        help="where the trained models are saved, not committed ('' = nowhere)",
    )
    _add_out(compare)
    compare.set_defaults(run=cmd_compare)

    tune = commands.add_parser(
        "tune", help="random search over the CNN's hyperparameters (~15 min); writes tuning.json"
    )
    _add_mnist_dir(tune)
    tune.add_argument("--trials", type=int, default=tuning.TRIALS)
    tune.add_argument("--epochs", type=int, default=tuning.EPOCHS, help="epochs of each trial")
    tune.add_argument(
        "--train-size", type=int, default=tuning.TRAIN_SIZE, help="training images of each trial"
    )
    tune.add_argument("--seed", type=int, default=tuning.SEED)
    _add_out(tune)
    tune.set_defaults(run=cmd_tune)

    evaluate = commands.add_parser("evaluate", help="print the test-set metrics as JSON")
    _add_mnist_dir(evaluate)
    _add_model(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser("predict", help="read one digit per image; one JSON line each")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    _add_model(predict)
    predict.set_defaults(run=cmd_predict)

    read = commands.add_parser("read", help="read a number (all digits) per image; JSON lines")
    read.add_argument("images", nargs="+", metavar="IMAGE")
    _add_model(read)
    read.set_defaults(run=cmd_read)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
