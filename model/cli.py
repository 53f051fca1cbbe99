"""The `python -m model` commands. TensorFlow is imported only by the commands that need it.

The parser imports no command's module (the training ones import TensorFlow): every default
comes from `model.config` or `model.paths`.
"""

import argparse
import json
import shlex
import sys
from pathlib import Path

from model import config, paths
from model.errors import (
    DatasetError,
    FeedbackError,
    InvalidImageError,
    RegistryError,
    UsageError,
)


def _add_mnist_dir(parser):
    parser.add_argument(
        "--mnist-dir",
        help=f"folder with the four MNIST IDX .gz files (default: ${paths.MNIST_DIR_ENV}, "
        "else ../shared/mnist; nothing is downloaded)",
    )


def _add_out(parser, help_text="output folder"):
    parser.add_argument("--out", default=str(paths.BUNDLED_DIR), help=help_text)


def _add_pendigits_dir(parser):
    parser.add_argument(
        "--pendigits-dir",
        help="folder of pendigits-orig.tra (default: $PENDIGITS_DIR, else ../shared/pendigits)",
    )


def _add_model(parser, default="the bundled model"):
    parser.add_argument("--model", help=f"a .keras file (default: {default})")
    parser.add_argument(
        "--engine",
        choices=("auto", "keras", "litert"),
        default="auto",
        help="run the network with Keras or LiteRT (auto: LiteRT when exported)",
    )


ACTIVE_VERSION = "the registry's active version, its checksums verified"


def _load_predictor(model_file, engine="auto"):
    """The predictor of `model_file`, else of the registry's active model version, built as
    the app and the API build theirs (`Predictor.load`). A refused active version is an
    error here, where the app and the API read with the bundled v1 instead."""
    from model.inference.predictor import Predictor
    from model.operations.registry import Registry

    if model_file:
        return Predictor.load(model_file, engine)
    return Registry().load_predictor(engine=engine)


def _add_registry(parser):
    parser.add_argument(
        "--registry",
        help=f"model registry folder (default: ${paths.REGISTRY_ENV}, else data/registry)",
    )


def _given(args, *names):
    """The options among `names` given on the command line, as keyword arguments."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def _record_checksums(folder):
    """Refreshes the folder's checksums.json after a command rewrote its model files."""
    from model.checksums import write_checksums

    if (Path(folder) / paths.MODEL_FILE).is_file():
        write_checksums(folder)


def cmd_train(args):
    from model.training.cnn import train

    metrics = train(
        args.mnist_dir,
        out_dir=args.out,
        limit=args.limit,
        pendigits_dir=args.pendigits_dir,
        only=args.only,
        **_given(args, "epochs", "batch_size", "seed"),
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
    _record_checksums(args.out)
    return 0


def cmd_train_gate(args):
    from model.training.gate import train_gate

    figures = train_gate(
        args.mnist_dir,
        out_dir=Path(args.out),
        limit=args.limit,
        pendigits_dir=args.pendigits_dir,
        **_given(args, "epochs", "seed"),
    )
    _record_checksums(args.out)
    print(json.dumps(figures))
    return 0


def cmd_train_pairs(args):
    from model.training.pairs import train_pairs

    card = train_pairs(
        args.mnist_dir,
        args.pendigits_dir,
        Path(args.out),
        **_given(args, "seed", "count", "epochs"),
    )
    _record_checksums(args.out)
    print(json.dumps({key: card[key] for key in ("accuracy", "best_epoch", "seconds")}))
    return 0


def cmd_calibrate(args):
    from model.inference.predictor import Predictor
    from model.training.calibration import calibrate

    calibration = calibrate(Predictor.load(args.model, args.engine), args.mnist_dir, Path(args.out))
    _record_checksums(args.out)
    print(json.dumps({key: calibration[key] for key in ("temperature", "threshold", "all")}))
    return 0


def cmd_robustness(args):
    from model.inference.predictor import Predictor
    from model.study.robustness import robustness

    out = Path(args.out) if args.out else None
    predictor = Predictor.load(args.model, args.engine)
    print(json.dumps(robustness(predictor, args.mnist_dir, out, **_given(args, "count"))))
    return 0


def cmd_realworld(args):
    from model.inference.predictor import Predictor
    from model.study.realworld import realworld

    report = realworld(
        Predictor.load(args.model, args.engine),
        args.usps_dir,
        args.realworld_dir,
        Path(args.out) if args.out else None,
        usps_limit=args.usps_limit,
        uci_limit=args.uci_limit,
        model_file=args.model,
        command=shlex.join(["python", "-m", "model", *args.argv]),
        pendigits_dir=args.pendigits_dir,
        pen_numbers=args.pen_numbers,
        previous=Predictor.load(args.previous, args.engine) if args.previous else None,
        previous_file=args.previous,
        mnist_dir=args.mnist_dir,
        sheets=args.sheets,
    )
    summary = {
        name: {"right": figures["right"], "count": figures["count"]}
        | ({"naive": figures["naive"]["right"]} if "naive" in figures else {})
        for name, figures in report["sets"].items()
    }
    out = str(Path(args.out) / paths.REALWORLD_FILE) if args.out else None
    pages = {
        name: report["pages"][name]
        for name in ("numbers", "number_accuracy", "sheets", "sheet_accuracy")
        if "pages" in report
    }
    print(json.dumps({"sets": summary, **({"pages": pages} if pages else {}), "out": out}))
    return 0


def cmd_build(args):
    """Everything bundled, in order: the CNN, the gate, the calibration, the robustness
    report and the LiteRT export."""
    from model.inference.predictor import Predictor
    from model.operations.export import export
    from model.study.robustness import robustness
    from model.training.calibration import calibrate
    from model.training.cnn import train
    from model.training.gate import train_gate
    from model.training.pairs import train_pairs

    out = Path(args.out)
    train(args.mnist_dir, out_dir=out, **_given(args, "seed"))
    train_gate(args.mnist_dir, out_dir=out, **_given(args, "seed"))
    train_pairs(args.mnist_dir, out_dir=out, **_given(args, "seed"))
    calibrate(Predictor.load(out / paths.MODEL_FILE), args.mnist_dir, out)
    figures = robustness(Predictor.load(out / paths.MODEL_FILE), args.mnist_dir, out)
    export("litert", out / paths.MODEL_FILE, out, args.mnist_dir)
    _record_checksums(out)
    print(json.dumps(figures))
    return 0


def cmd_export(args):
    from model.operations.export import ExportMismatchError, export

    try:
        report = export(
            args.format, args.model, args.out, args.mnist_dir, args.limit, args.quantize
        )
    except ExportMismatchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.format == "litert":
        model = Path(args.model) if args.model else paths.BUNDLED_DIR / paths.MODEL_FILE
        _record_checksums(args.out or model.parent)
    print(json.dumps(report))
    return 0


def cmd_evaluate(args):
    from model.data.mnist import load_mnist
    from model.training.evaluate import compute_metrics

    data = load_mnist(args.mnist_dir, validation_size=0)
    predictor = _load_predictor(args.model, args.engine)
    metrics = compute_metrics(data.y_test, predictor.predict_batch(data.x_test))
    print(json.dumps(metrics))
    return 0


def cmd_compare(args):
    from model.study.compare import Options, compare

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
    from model.study.tuning import tune

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

    predictor = _load_predictor(args.model, args.engine)
    failed = 0
    for path in args.images:
        try:
            if read == "page":
                result = predictor.read_page(path)
            else:
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
    return _each_image(args, read="page" if args.page else True)


def _batch_model(args):
    """The model files a batch job sends its workers, and the version its rows record."""
    from model.batch.work import ModelFiles
    from model.checksums import sha256_file
    from model.operations.registry import Registry

    if args.model:
        if not Path(args.model).is_file():
            raise UsageError(f"no model file at {args.model}")
        version = f"{Path(args.model).name} sha256:{sha256_file(args.model)[:12]}"
        return ModelFiles.from_folder(args.model, version, args.engine)
    registry = Registry()
    model_file = registry.verify()
    return ModelFiles.from_folder(model_file, registry.active, args.engine)


def cmd_batch(args):
    from model.batch.job import run_job
    from model.batch.work import check_page_reader
    from model.inference.predictor import Predictor

    if args.page:
        check_page_reader(Predictor)
    summary = run_job(
        args.inputs,
        args.out,
        _batch_model(args),
        page=args.page,
        workers=args.workers,
        scheduler=args.scheduler,
        dask_local=args.dask_local,
        chunk=args.chunk,
        progress=not args.quiet,
    )
    print(json.dumps(summary.to_json()), flush=True)
    if summary.interrupted:
        print(
            f"interrupted: {summary.read + summary.failed} pictures written to {summary.out}; "
            "run the same command again to read the rest",
            file=sys.stderr,
        )
        return 130
    return 0


def cmd_finetune(args):
    from model.training.finetune import finetune

    def report(event):
        print(json.dumps(event), flush=True)

    result = finetune(
        args.mnist_dir,
        args.feedback,
        args.registry,
        limit=args.limit,
        activate=not args.keep_active,
        report=report,
        **_given(args, "epochs", "tolerance", "seed", "learning_rate", "feedback_share"),
    )
    report({"event": "result", **result})
    return 0


def _versions(registry):
    return {
        "active": registry.active,
        "versions": [
            {**entry, "status": registry.status(entry["id"])} for entry in registry.versions
        ],
    }


def cmd_versions(args):
    from model.operations.registry import Registry

    print(json.dumps(_versions(Registry(args.registry)), indent=1))
    return 0


def cmd_activate(args):
    from model.operations.registry import Registry

    registry = Registry(args.registry)
    registry.activate(args.version)
    print(json.dumps({"active": registry.active}))
    return 0


def cmd_rollback(args):
    from model.operations.registry import Registry

    registry = Registry(args.registry)
    print(json.dumps({"active": registry.rollback()}))
    return 0


def cmd_serve(args):
    import os

    import uvicorn

    if args.predictors < 1 or args.workers < 1:
        raise UsageError("--predictors and --workers must be at least 1")
    from model.api.balance import shared_table

    # Each worker process builds its app from the environment (uvicorn imports it anew).
    os.environ[paths.API_PREDICTORS_ENV] = str(args.predictors)
    with shared_table(args.workers):
        uvicorn.run(
            "model.api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            # Several workers count their connections, to keep them evenly spread.
            http="model.api.balance:BalancedHttpToolsProtocol" if args.workers > 1 else "auto",
            access_log=args.access_log,
            log_level="info",
            # A worker busy reading pictures on a loaded machine is slow to answer, not dead.
            timeout_worker_healthcheck=30,
        )
    return 0


def build_parser():
    # Defaults come from model.config alone: building the parser imports no command's module.
    parser = argparse.ArgumentParser(prog="python -m model", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train the CNN and write the model and its artifacts")
    _add_mnist_dir(train)
    train.add_argument(
        "--epochs", type=int, help="every member's epochs (default: each one's own, model.config)"
    )
    train.add_argument("--batch-size", type=int, default=config.BATCH_SIZE)
    train.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    _add_out(train)
    train.add_argument("--limit", type=int, help="use only this many images (smoke tests)")
    _add_pendigits_dir(train)
    train.add_argument(
        "--only",
        nargs="+",
        metavar="MEMBER",
        help="train only these members; take the others from the ensemble in --out",
    )
    train.set_defaults(run=cmd_train)

    build = commands.add_parser(
        "build", help="train, train-gate, train-pairs, calibrate, robustness and export in one go"
    )
    _add_mnist_dir(build)
    build.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    _add_out(build)
    build.set_defaults(run=cmd_build)

    gate = commands.add_parser(
        "train-gate", help="train the digit gate that doubts scribbles and letters"
    )
    _add_mnist_dir(gate)
    gate.add_argument("--epochs", type=int, default=config.GATE_EPOCHS)
    gate.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    _add_out(gate)
    gate.add_argument("--limit", type=int, help="use only this many images (smoke tests)")
    _add_pendigits_dir(gate)
    gate.set_defaults(run=cmd_train_gate)

    pairs = commands.add_parser(
        "train-pairs", help="train the pair reader of touching or overlapping digits"
    )
    _add_mnist_dir(pairs)
    _add_pendigits_dir(pairs)
    pairs.add_argument("--count", type=int, help="training pictures (default 120,000)")
    pairs.add_argument("--epochs", type=int, help="epochs (default 9)")
    pairs.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    _add_out(pairs)
    pairs.set_defaults(run=cmd_train_pairs)

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
    robust.add_argument(
        "--count", type=int, default=config.ROBUSTNESS_COUNT, help="pictures per set"
    )
    _add_out(robust, help_text="output folder ('' = none)")
    robust.set_defaults(run=cmd_robustness)

    real = commands.add_parser(
        "realworld",
        help="how it reads real handwriting (USPS, photos, scans, drawings, numbers) beside a "
        "naive resize; writes realworld.json (~1 min)",
    )
    real.add_argument(
        "--usps-dir",
        help=f"folder of zip.train.gz (default: ${paths.USPS_DIR_ENV}, else ../shared/usps)",
    )
    real.add_argument(
        "--realworld-dir",
        help=f"folder of manifest.tsv and images/ (default: ${paths.REALWORLD_DIR_ENV}, "
        "else ../shared/realworld)",
    )
    real.add_argument("--usps-limit", type=int, help="read only the first N USPS digits")
    real.add_argument("--uci-limit", type=int, help="read only the first N UCI digits")
    _add_mnist_dir(real)
    _add_pendigits_dir(real)
    real.add_argument(
        "--pen-numbers", type=int, help="numbers composed from the held-out writers (300)"
    )
    real.add_argument(
        "--previous",
        metavar="MODEL",
        help="a previous model's .keras file (its folder's files beside it), measured alike",
    )
    real.add_argument(
        "--sheets",
        type=int,
        default=200,
        help="sheets of numbers by held-out pen writers read with read_page (0: none)",
    )
    _add_model(real)
    _add_out(real, help_text="output folder ('' = none)")
    real.set_defaults(run=cmd_realworld)

    compare = commands.add_parser(
        "compare",
        help="train and measure classical models and CNNs on one split; writes comparison.json",
    )
    _add_mnist_dir(compare)
    compare.add_argument(
        "--only",
        help="comma-separated model names as in comparison.json, whose rows replace theirs",
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
    compare.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    compare.add_argument(
        "--models-dir",
        default=str(paths.RUNS_DIR / "compare"),
        help="where the trained models are saved, not committed ('' = nowhere)",
    )
    _add_out(compare)
    compare.set_defaults(run=cmd_compare)

    tune = commands.add_parser(
        "tune", help="random search over the CNN's hyperparameters; writes tuning.json"
    )
    _add_mnist_dir(tune)
    tune.add_argument("--trials", type=int, default=config.TUNING_TRIALS)
    tune.add_argument(
        "--epochs", type=int, default=config.TUNING_EPOCHS, help="epochs of each trial"
    )
    tune.add_argument(
        "--train-size",
        type=int,
        default=config.TUNING_TRAIN_SIZE,
        help="training images of each trial",
    )
    tune.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    _add_out(tune)
    tune.set_defaults(run=cmd_tune)

    evaluate = commands.add_parser("evaluate", help="print the test-set metrics as JSON")
    _add_mnist_dir(evaluate)
    _add_model(evaluate, ACTIVE_VERSION)
    evaluate.set_defaults(run=cmd_evaluate)

    export = commands.add_parser(
        "export", help="LiteRT or SavedModel export, checked against Keras on the test set"
    )
    export.add_argument("--format", choices=("litert", "savedmodel"), required=True)
    _add_mnist_dir(export)
    export.add_argument("--model", help="a .keras file (default: the bundled model)")
    export.add_argument(
        "--out", help="output folder (default: beside the model for litert, runs/savedmodel)"
    )
    export.add_argument("--limit", type=int, help="check on only this many test images")
    export.add_argument(
        "--quantize",
        choices=config.LITERT_QUANTIZATIONS,
        default=config.LITERT_QUANTIZATION,
        help="LiteRT weights: dynamic (int8, default) or none (float)",
    )
    export.set_defaults(run=cmd_export)

    predict = commands.add_parser("predict", help="read one digit per image; one JSON line each")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    _add_model(predict, ACTIVE_VERSION)
    predict.set_defaults(run=cmd_predict)

    read = commands.add_parser("read", help="read a number (all digits) per image; JSON lines")
    read.add_argument("images", nargs="+", metavar="IMAGE")
    read.add_argument(
        "--page",
        action="store_true",
        help="read every number on a sheet, top to bottom, then left to right",
    )
    _add_model(read, ACTIVE_VERSION)
    read.set_defaults(run=cmd_read)

    batch = commands.add_parser(
        "batch",
        help="read every picture of folders, globs or file lists into a JSON-lines or CSV "
        "file, resumably, in this process, worker processes or on a Dask cluster",
    )
    batch.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="a folder (every file in it), a glob ('scans/**/*.png'), a file list (.txt, .lst: "
        "one path or URL a line), a picture, or an fsspec URL",
    )
    batch.add_argument(
        "--out",
        required=True,
        help="the results file, .jsonl or .csv: one row per picture; a re-run skips the "
        "pictures it holds",
    )
    batch.add_argument(
        "--page", action="store_true", help="read every number on each sheet (read_page)"
    )
    batch.add_argument(
        "--workers", type=int, default=1, help="worker processes on this machine (1: this one)"
    )
    batch.add_argument("--scheduler", help="run on the Dask cluster of this scheduler address")
    batch.add_argument(
        "--dask-local", type=int, metavar="N", help="run on a local Dask cluster of N processes"
    )
    batch.add_argument(
        "--chunk", type=int, default=64, help="pictures per task (default: %(default)s)"
    )
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_model(batch, ACTIVE_VERSION)
    batch.set_defaults(run=cmd_batch)

    finetune = commands.add_parser(
        "finetune",
        help="fine-tune the active model on MNIST plus the feedback; register it as a new "
        "version if MNIST accuracy holds",
    )
    _add_mnist_dir(finetune)
    finetune.add_argument(
        "--feedback",
        help=f"the feedback database (default: ${paths.FEEDBACK_DB_ENV}, else data/feedback.db)",
    )
    _add_registry(finetune)
    finetune.add_argument("--epochs", type=int, default=config.FINETUNE_EPOCHS)
    finetune.add_argument(
        "--limit", type=int, help="train on this many MNIST images (default: all 55,000)"
    )
    finetune.add_argument(
        "--tolerance",
        type=float,
        default=config.FINETUNE_TOLERANCE,
        help="largest MNIST test accuracy drop accepted, 0-1 (default: %(default)s)",
    )
    finetune.add_argument("--learning-rate", type=float, default=config.FINETUNE_LEARNING_RATE)
    finetune.add_argument(
        "--feedback-share",
        type=float,
        default=config.FEEDBACK_SHARE,
        help="part of each epoch that is feedback, 0-1 (default: %(default)s)",
    )
    finetune.add_argument("--seed", type=int, default=config.SPLIT_SEED)
    finetune.add_argument(
        "--keep-active", action="store_true", help="register the new version, do not activate it"
    )
    finetune.set_defaults(run=cmd_finetune)

    versions = commands.add_parser("versions", help="the model versions, their checksums' status")
    _add_registry(versions)
    versions.set_defaults(run=cmd_versions)

    activate = commands.add_parser("activate", help="make a model version the active one")
    activate.add_argument("version", help='a version id, e.g. "v1"')
    _add_registry(activate)
    activate.set_defaults(run=cmd_activate)

    serve = commands.add_parser(
        "serve",
        help="the HTTP API (FastAPI in uvicorn): POST /v1/predict, /v1/read, /v1/read/batch, "
        "/v1/feedback; docs at /docs",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument(
        "--predictors",
        type=int,
        default=2,
        help="predictors (LiteRT interpreters) per worker, so many requests are read at once",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(run=cmd_serve)

    rollback = commands.add_parser("rollback", help="activate the active version's parent")
    _add_registry(rollback)
    rollback.set_defaults(run=cmd_rollback)
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.run(args)
    # The errors a user can cause and mend; anything else is a bug and keeps its traceback.
    except (
        DatasetError,
        FileNotFoundError,
        FeedbackError,
        InvalidImageError,
        RegistryError,
        UsageError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
