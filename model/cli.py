"""The `python -m model` commands. TensorFlow is imported only by the commands that need it."""

import argparse
import json
import sys

from model.data import MNIST_DIR_ENV


def _add_mnist_dir(parser):
    parser.add_argument(
        "--mnist-dir",
        help=f"folder with the four MNIST IDX .gz files (default: ${MNIST_DIR_ENV}, "
        "else the standard Keras download)",
    )


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


def cmd_evaluate(args):
    from model.data import load_mnist
    from model.evaluate import compute_metrics
    from model.inference import Predictor

    data = load_mnist(args.mnist_dir, validation_size=0)
    predictor = Predictor.load(args.model)
    metrics = compute_metrics(data.y_test, predictor.predict_batch(data.x_test))
    print(json.dumps(metrics))
    return 0


def cmd_predict(args):
    from model.errors import InvalidImageError
    from model.inference import Predictor

    predictor = Predictor.load(args.model)
    failed = 0
    for path in args.images:
        try:
            line = {"path": path, **predictor.predict(path).to_json()}
        except InvalidImageError as error:
            failed += 1
            line = {"path": path, "error": str(error)}
        print(json.dumps(line), flush=True)
    return 1 if failed else 0


def build_parser():
    from model import paths
    from model.train import BATCH_SIZE, EPOCHS, SEED

    parser = argparse.ArgumentParser(prog="python -m model", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the CNN and write the model and its artifacts")
    _add_mnist_dir(train)
    train.add_argument("--epochs", type=int, default=EPOCHS)
    train.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    train.add_argument("--seed", type=int, default=SEED)
    train.add_argument("--out", default=str(paths.BUNDLED_DIR), help="output folder")
    train.add_argument("--limit", type=int, help="use only this many images (smoke tests)")
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("evaluate", help="print the test-set metrics as JSON")
    _add_mnist_dir(evaluate)
    evaluate.add_argument("--model", help="a .keras file (default: the bundled model)")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser("predict", help="read one digit per image; one JSON line each")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--model", help="a .keras file (default: the bundled model)")
    predict.set_defaults(run=cmd_predict)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
