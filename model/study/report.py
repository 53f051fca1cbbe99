"""The result tables of docs/results.md and the README, rendered from the artifacts.

Figures copied into prose by hand go stale; these are written from the files that measured
them: `model/bundled/*.json` (what training, the study and the export wrote) and
`bench/results.json` (`python -m bench --out bench/results.json`). Each table stands between
`<!-- results:NAME -->` and `<!-- /results:NAME -->`; the text around the markers is left alone.
Only reads JSON: imports neither TensorFlow nor the model. It lives with the study, whose
results it renders; nothing but tests imports it.

    python -m model.study.report          # rewrites the marked blocks of README.md, docs/results.md
    python -m model.study.report --check  # exits 1, naming the stale blocks, when not current
"""

import argparse
import json
import re
import sys
from pathlib import Path

from model import paths, results

ROOT = Path(__file__).resolve().parents[2]
RESULTS_FILE = ROOT / "bench" / "results.json"
RESPONSIVENESS_FILES = {
    "before": ROOT / "bench" / "responsiveness-before.json",
    "now": ROOT / "bench" / "responsiveness.json",
}
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "results.md")
_BLOCK = re.compile(r"(<!-- results:([a-z_]+) -->\n)(.*?)(<!-- /results:\2 -->)", re.DOTALL)
_MARKER = re.compile(r"<!-- /?results:([a-z_]+) -->")

ENGINES = {"litert": "LiteRT", "keras": "Keras"}
NOT_DIGITS = {
    "scribble": "scribbles",
    "zigzag": "zigzags",
    "letter": "letters",
    "shape": "shapes",
    "pair": "two digits squeezed into one",
}


def load_sources(bundled=paths.BUNDLED_DIR, bench_results=RESULTS_FILE):
    """The artifacts the tables are made of, as dicts (the model file only by its size)."""
    bundled = Path(bundled)

    def read(name):
        return json.loads((bundled / name).read_text())

    return {
        "metrics": read(paths.METRICS_FILE),
        "card": read(paths.CARD_FILE),
        "comparison": read(paths.COMPARISON_FILE),
        "tuning": read(paths.TUNING_FILE),
        "robustness": read(paths.ROBUSTNESS_FILE),
        "realworld": read(paths.REALWORLD_FILE),
        "gate": read(paths.GATE_CARD_FILE),
        "calibration": read(paths.CALIBRATION_FILE),
        "litert": read(paths.LITERT_CARD_FILE),
        "pairs": read(paths.PAIRS_CARD_FILE)
        if (bundled / paths.PAIRS_CARD_FILE).is_file()
        else None,
        "model_bytes": (bundled / paths.MODEL_FILE).stat().st_size,
        "bench": json.loads(Path(bench_results).read_text()),
        "responsiveness": {
            name: json.loads(path.read_text()) for name, path in RESPONSIVENESS_FILES.items()
        },
    }


def _percent(fraction, decimals=2):
    return f"{100 * fraction:.{decimals}f}%"


def _duration(seconds):
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _size(size_bytes):
    return f"{size_bytes / 1e3:.0f} kB" if size_bytes < 1e6 else f"{size_bytes / 1e6:.1f} MB"


def _target(met):
    return {True: "met", False: "**missed**", None: "not checked (quick run)"}[met]


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _writers(numbers):
    """Writer numbers in words: "1-20", or "3, 4" for two or fewer."""
    return f"{numbers[0]}-{numbers[-1]}" if len(numbers) > 2 else ", ".join(map(str, numbers))


def _pen_text(pen):
    """How the pendigits writers were used, from the model card ("" when they were not)."""
    if not pen:
        return ""
    writers = pen["writers"]
    return (
        f"; pen strokes of the pendigits writers {_writers(writers['training'])} "
        f"({pen['train']:,} drawings), writers {_writers(writers['validation'])} for "
        f"validation, writers {_writers(writers['test'])} held out for every figure"
    )


def model_block(sources):
    """The README's table of the bundled model: how it was trained, how it scores, its speed."""
    card, metrics, bench = sources["card"], sources["metrics"], sources["bench"]
    data, latency, batch = card["data"], bench["latency"], bench["batch"]
    members = results.ensemble_members(card, metrics)
    rows = [
        (
            "Network" if len(members) <= 1 else "Ensemble",
            "one CNN"
            if len(members) <= 1
            else f"the mean of {len(members)} CNNs of the same network: "
            + "; ".join(
                f"**{member['name']}** ({member['train']:,} training images, "
                f"{member['epochs']} epochs, kept epoch {member['best_epoch']}, "
                f"validation {_percent(member['val_accuracy'])}"
                + (
                    f", test {_percent(member['test_accuracy'])} alone"
                    if member["test_accuracy"] is not None
                    else ""
                )
                + f": {member['augmentation']})"
                for member in members
            ),
        ),
        (
            "Training",
            f"MNIST ({data['validation']:,} training images held out for validation)"
            + _pen_text(data.get("pen_written"))
            + f", {card['optimizer']}, batch {card['batch_size']}, seed {card['seed']}",
        ),
        (
            "Test accuracy",
            f"**{_percent(metrics['accuracy'])}** on the {metrics['count']:,} MNIST test images "
            f"({metrics['errors']} errors, macro F1 {metrics['macro_f1']:.4f}); validation "
            f"{_percent(card['val_accuracy'])}",
        ),
        (
            "Size, time",
            f"{card['parameters']:,} parameters ({_size(sources['model_bytes'])} `.keras`); "
            f"{_duration(card['training_seconds'])} of training, {card['trained_at'][:10]}",
        ),
        (
            "Speed",
            f"`predict` on a 280×280 canvas {latency['predict']['p50_ms']} ms p50 "
            f"({ENGINES[latency['predict']['engine']]}, preprocessing included); "
            f"`predict_batch` on the {batch['images']:,} test images "
            f"{batch['litert']['seconds_best']} s, {_percent(batch['litert']['accuracy'])} right "
            "as the app runs the networks" + _cascade_note(sources["litert"]),
        ),
    ]
    return _table(("", ""), rows)


def _cascade_note(litert):
    """How the app runs an ensemble's members (litert.json), or nothing for one network."""
    cascade = litert.get("cascade")
    if not cascade or cascade["members"] < 2:
        return ""
    same = litert["test_images"] - cascade["digits_unlike_the_ensemble"]
    return (
        f". The app runs the members one after another: the second only when the first is "
        f"below {_percent(cascade['confidence'])} sure, for "
        f"{_percent(cascade['further_members_run_on'])} of the {litert['test_images']:,} test "
        f"images, with the ensemble's digit on {same:,}"
    )


def mnist_block(sources):
    """Test accuracy and the errors of every digit (metrics.json, model_card.json)."""
    metrics, card = sources["metrics"], sources["card"]
    summary = (
        f"**{_percent(metrics['accuracy'])}** on the {metrics['count']:,} MNIST test images: "
        f"{metrics['errors']} errors, macro F1 {metrics['macro_f1']:.4f}; validation "
        f"{_percent(card['val_accuracy'])}. {card['parameters']:,} parameters, trained on "
        f"{card['trained_at'][:10]} in {_duration(card['training_seconds'])}."
    )
    rows = [
        (
            row["digit"],
            f"{row['precision']:.4f}",
            f"{row['recall']:.4f}",
            f"{row['f1']:.4f}",
            f"{row['test_images']:,}",
            row["missed"],
        )
        for row in results.per_digit(metrics)
    ]
    header = ("Digit", "Precision", "Recall", "F1", "Test images", "Missed")
    return summary + "\n\n" + _table(header, rows)


def comparison_block(sources):
    """The model comparison (comparison.json), most accurate first."""
    comparison = sources["comparison"]
    models = results.by_accuracy(comparison["models"])
    rows = []
    for row in models:
        training = _duration(row["train_seconds"])
        if row["name"] == "bundled_cnn":
            training += " (model card)"
        rows.append(
            (
                row["label"],
                f"**{_percent(row['accuracy'])}**",
                f"{row['macro_f1']:.4f}",
                training,
                f"{row['latency_single_ms']:.2f}",
                f"{row['latency_batched_ms']:.3f}",
                _size(row["size_bytes"]),
                f"{row['train_size']:,}",
            )
        )
    header = (
        "Model",
        "Test accuracy",
        "Macro F1",
        "Training",
        "ms, one image",
        "ms per image, batched",
        "Size",
        "Training images",
    )
    trained = sum(row["train_seconds"] for row in models if row["name"] != "bundled_cnn")
    note = (
        f"Written by `{comparison['command']}` on {comparison['updated_at'][:10]}: the models "
        f"trained here took {_duration(trained)} in all; {comparison['machine']['note']}."
    )
    return _table(header, rows) + "\n\n" + note


def tuning_block(sources):
    """The CNN's random search (tuning.json): every trial, best first, and the winner's test."""
    tuning = sources["tuning"]
    budget, best = tuning["budget"], tuning["best"]
    trials = results.trials_best_first(tuning)
    rows = []
    for trial in trials:
        name = f"**{trial['trial']}**" if trial["trial"] == best["trial"] else str(trial["trial"])
        if trial["bundled_settings"]:
            name += " (bundled settings)"
        rows.append(
            (
                name,
                f"{trial['learning_rate']:.2g}",
                f"{trial['dropout_rate']:.2g}",
                trial["filters"],
                trial["batch_size"],
                _percent(trial["val_accuracy"]),
                _duration(trial["seconds"]),
            )
        )
    header = ("Trial", "Learning rate", "Dropout", "Filters", "Batch", "Validation accuracy")
    header += ("Time",)
    bundled = next(trial for trial in trials if trial["bundled_settings"])
    summary = (
        f"The winner, trial {best['trial']} (learning rate {best['learning_rate']:.2g}, dropout "
        f"{best['dropout_rate']:.2g}, {best['filters']} filters, batch {best['batch_size']}), "
        f"reached **{_percent(best['val_accuracy'])}** on validation and "
        f"**{_percent(best['test_accuracy'])}** on the {best['test_size']:,} test images; the "
        f"bundled settings reached {_percent(bundled['val_accuracy'])} under the same budget: "
        f"{budget['trials']} trials of {budget['epochs']} epochs on {budget['train_size']:,} "
        f"training images, scored on {budget['validation_size']:,} validation images (seed "
        f"{budget['seed']}). Written by `{tuning['command']}` on {tuning['updated_at'][:10]}."
    )
    return _table(header, rows) + "\n\n" + summary


def robustness_block(sources):
    """Re-drawn test digits, non-digits (robustness.json), the gate and the calibration."""
    robustness, gate = sources["robustness"], sources["gate"]
    calibration = sources["calibration"]
    rows = []
    for row in results.redrawn_sets(robustness):
        if row["exact"] is not None:
            right = f"**{_percent(row['exact'], 1)}** exactly"
            right += f" ({_percent(row['right_length'], 1)} of the right length)"
            flagged = "—"
        else:
            right = f"**{_percent(row['accuracy'], 1)}**"
            flagged = _percent(row["flagged_rate"], 1)
        rows.append(
            (row["note"] or row["name"], row["count"], right, flagged, f"{row['milliseconds']:.1f}")
        )
    header = ("Test set", "Pictures", "Read right", "Flagged unsure", "ms per picture")
    not_digits = ", ".join(
        f"{NOT_DIGITS.get(kind, kind)} {row['confident_rate']:.0%}"
        for kind, row in robustness["not_digits"].items()
    )
    counts = sorted({row["count"] for row in robustness["not_digits"].values()})
    overall = calibration["all"]
    lines = [
        _table(header, rows),
        "",
        f"Non-digits ({'/'.join(map(str, counts))} each) read as a confident digit: "
        f"{not_digits}. Seed {robustness['seed']}; flagged means a calibrated confidence "
        f"under {robustness['threshold']:.0%}.",
        "",
        f"The digit gate (`gate.json`: {gate['epochs']} epochs on {gate['training_pictures']:,} "
        f"pictures, seed {gate['seed']}) doubts {gate['digits_doubted']:.1%} of the "
        f"{gate['validation_digits']:,} validation digits and lets "
        f"{gate['negatives_passed']:.1%} of {gate['validation_negatives']:,} validation "
        "non-digits through"
        + (
            f"; it doubts {gate['pen_digits_doubted']:.1%} of the "
            f"{gate['validation_pen_digits']:,} pen-written digits of writers "
            f"{_writers(gate['pen_writers']['validation'])} (it learns from writers "
            f"{_writers(gate['pen_writers']['training'])})."
            if "pen_digits_doubted" in gate
            else "."
        ),
        "",
        f"Calibration (`calibration.json`): temperature T = {calibration['temperature']:.2f}, "
        f"fitted on the {calibration['fitted_on']}; expected calibration error "
        f"{overall['ece_before']:.4f} → {overall['ece_after']:.4f} on its "
        f"{overall['count']:,} pictures.",
    ]
    return "\n".join(lines)


def realworld_block(sources):
    """Real handwriting nobody here made (realworld.json), beside the naive resize."""
    report = sources["realworld"]
    rows = []
    for row in results.real_sets(report):
        count = row["count"]
        right = f"**{row['right']:,}/{count:,}** ({_percent(row['accuracy'], 1)})"
        naive = row["naive_accuracy"]
        naive_text = (
            "—" if naive is None else f"{row['naive_right']:,}/{count:,} ({_percent(naive, 1)})"
        )
        rows.append(
            (
                f"{row['label']} — {row['what']}",
                right,
                naive_text,
                _percent(row["unsure_rate"], 1),
                f"{row['no_digit']:,}",
            )
        )
    header = ("Set", "Read right", "Naive resize", "Unsure", "No digit")
    return (
        _table(header, rows)
        + f"\n\n`{report['command']}`, {report['created'][:10]}. Naive resize: the same network on "
        "the whole picture resized into 20×20 and padded to 28×28, measured in the same run."
        + _pairs_note(sources["pairs"], report)
    )


def _pairs_note(pairs, report):
    """What the pair reader is and how it reads (pairs.json), and the numbers as pictures
    read by the previous model (realworld.json), or nothing without a pair reader."""
    if not pairs:
        return ""
    before = report.get("previous", {}).get("sets", {}).get("pen_numbers_picture")
    previous = (
        f" The previous bundled model ({_previous_networks(report)}) read "
        f"{before['right']}/{before['count']} of those numbers in the same run."
        if before
        else ""
    )
    accuracy = pairs["accuracy"]["test_writers"]
    return (
        "\n\nNumbers as pictures: a piece of ink that may be two digits written into each other "
        'is also read whole by the pair reader (`pairs.json`: 100 pairs and "not two digits", '
        f"trained on {pairs['trained_on']}; epoch {pairs['best_epoch']} of {pairs['epochs']} "
        f"kept on the validation writers), which reads {_percent(accuracy['pairs'], 1)} of "
        f"composed pairs of the test writers right.{previous}"
    )


def _previous_networks(report):
    """How the previous model of realworld.json differs from the bundled one: its digit
    networks and its pair reader."""
    now, then = report.get("model", {}), report["previous"].get("model", {})
    digits = (
        "the same digit networks"
        if then.get("model_sha256") == now.get("model_sha256")
        else "older digit networks"
    )
    if not then.get("pair_reader_sha256"):
        return f"{digits}, no pair reader"
    if then["pair_reader_sha256"] == now.get("pair_reader_sha256"):
        return f"{digits}, the same pair reader"
    return f"{digits}, the previous pair reader"


def performance_block(sources):
    """The benchmarks (bench/results.json) and the LiteRT export's check (litert.json)."""
    bench, litert = sources["bench"], sources["litert"]
    latency, batch = bench["latency"], bench["batch"]
    startup, memory = bench["startup"], bench["memory"]
    fast, app_read = latency["predict"], latency["read_app_canvas"]
    imports, cold = startup["predictor_import"], startup["cold_start"]
    rows = [
        (
            f"`predict` on a {latency['input']}, preprocessing included ({fast['calls']} calls "
            "after warm-up)",
            f"**{fast['p50_ms']} ms p50**, {fast['p95_ms']} ms p95 ({ENGINES[fast['engine']]})",
            f"same preprocessing + `model.predict`: {latency['naive_model_predict']['p50_ms']} ms "
            f"p50 → **{latency['speedup_p50']}× faster**; Keras engine (`tf.function`): "
            f"{latency['predict_keras_engine']['p50_ms']} ms",
            f"≤ {latency['target']['p50_ms']} ms, ≥ {latency['target']['speedup']:.0f}×: "
            + _target(latency["meets_target"]),
        ),
        (
            f"`read`, what the app calls after each stroke ({app_read['input']})",
            f"**{app_read['p50_ms']} ms p50**, {app_read['p95_ms']} ms p95",
            "—",
            "—",
        ),
        (
            f"`predict_batch` on the {batch['images']:,} MNIST test images",
            f"**{batch['litert']['seconds_best']} s** (LiteRT, "
            f"{_percent(batch['litert']['accuracy'])})",
            f"Keras engine: {batch['keras']['seconds_best']} s",
            f"≤ {batch['target_seconds']} s: " + _target(batch["meets_target"]),
        ),
        (
            "`streamlit run app.py` → first digit read from a stroke in Chromium",
            f"**{cold['first_digit_seconds']} s** (server up {cold['server_healthy_seconds']} s, "
            f"page shown {cold['page_shown_seconds']} s)",
            "—",
            f"≤ {startup['target_seconds']} s: " + _target(startup["meets_target"]),
        ),
        (
            "Import `model.inference.predictor` + `Predictor.load()` in a fresh process",
            f"**{imports['litert']['import_seconds']} s + {imports['litert']['load_seconds']} s**"
            + (
                ", TensorFlow imported"
                if imports["litert"]["tensorflow_imported"]
                else ", TensorFlow never imported"
            ),
            f"Keras engine: {imports['keras']['import_seconds']} s + "
            f"{imports['keras']['load_seconds']} s",
            "—",
        ),
        (
            "Peak memory (VmHWM) of a process that loads the predictor and reads "
            f"{memory['drawings']} drawings",
            f"**{memory['litert']['peak_rss_mb']} MB**",
            f"Keras engine: {memory['keras']['peak_rss_mb']} MB",
            "—",
        ),
    ]
    header = ("Benchmark", "This app", "Baseline, same run", "Target")
    machines = [bench[key]["machine"] for key in ("latency", "batch", "startup", "memory")]
    loads = [machine["load_average_1min"] for machine in machines]
    first = machines[0]
    note = (
        f"Measured by `python -m bench --out bench/results.json` on {first['cpu']} "
        f"({first['cores']} cores, Python {first['python']}), load average "
        f"{min(loads)}–{max(loads)} during the runs. The LiteRT export (`{litert['file']}`, "
        f"{_size(litert['size_bytes'])}{_quantization(litert)}) matched Keras on "
        f"{litert['test_images']:,} test images, member by member: max abs difference "
        f"{litert['max_abs_difference']:.1e}, "
        + ("every digit identical." if litert["argmax_identical"] else "**some digits differ**.")
    )
    return _table(header, rows) + "\n\n" + note


def _quantization(litert):
    if litert.get("quantization", "none") == "none":
        return ""
    return ", the first network's weights int8"


def responsiveness_block(sources):
    """Stroke end to digit shown in Chromium (bench/responsiveness*.json), before and now."""
    runs = sources["responsiveness"]
    split = (
        ("stroke_end_to_sent_p50_ms", "stroke end → sent"),
        ("sent_to_first_reply_p50_ms", "sent → server's first reply"),
        ("first_reply_to_digit_shown_p50_ms", "first reply → digit shown"),
    )
    rows = []
    for crowd, label in (("alone", "one visitor"), ("8_visitors", "8 visitors at once")):
        for name, title in (("before", "before"), ("now", "now")):
            run = runs[name][crowd]
            parts = ", ".join(f"{text} {run[key]:.0f} ms" for key, text in split)
            rows.append(
                (
                    f"{label}, {title}",
                    f"**{run['p50_ms']:.0f} ms p50**, {run['p95_ms']:.0f} ms p95",
                    parts,
                )
            )
    header = ("Stroke → digit, Chromium", "Time", "Where it goes (p50 of each part)")
    note = (
        "Measured by `python -m bench.responsiveness --out bench/responsiveness.json`: a server "
        "of its own and Debian's Chromium on the same 2 cores; each visitor draws a “1” and "
        f"waits for it ({runs['now']['alone']['strokes']} strokes alone, "
        f"{runs['now']['8_visitors']['strokes']} in the crowd). Load average at the end of "
        f"each run: before {runs['before']['machine']['load_average_1min']}, now "
        f"{runs['now']['machine']['load_average_1min']}. “Before” was measured on "
        f"{runs['before'].get('code', 'the code before the draw page was reworked')}."
    )
    return _table(header, rows) + "\n\n" + note


BLOCKS = {
    "model": model_block,
    "mnist": mnist_block,
    "comparison": comparison_block,
    "tuning": tuning_block,
    "robustness": robustness_block,
    "realworld": realworld_block,
    "performance": performance_block,
    "responsiveness": responsiveness_block,
}


def render_blocks(sources):
    """Every block's Markdown, by name."""
    return {name: build(sources) for name, build in BLOCKS.items()}


def render(text, blocks):
    """`text` with the content of each marked block replaced by its rendering.

    Raises:
        ValueError: a marker without its partner, or a block nobody renders.
    """
    names = [match.group(2) for match in _BLOCK.finditer(text)]
    markers = _MARKER.findall(text)
    if len(markers) != 2 * len(names):
        raise ValueError("a <!-- results:NAME --> marker has no partner <!-- /results:NAME -->")
    unknown = sorted(set(names) - set(blocks))
    if unknown:
        raise ValueError(f"no such results block: {', '.join(unknown)}")
    return _BLOCK.sub(
        lambda match: f"{match.group(1)}\n{blocks[match.group(2)]}\n\n{match.group(4)}", text
    )


def stale_blocks(text, blocks):
    """The names of the blocks in `text` whose content differs from their rendering."""
    rendered = {match.group(2): match.group(0) for match in _BLOCK.finditer(render(text, blocks))}
    return [
        match.group(2)
        for match in _BLOCK.finditer(text)
        if match.group(0) != rendered[match.group(2)]
    ]


def main(argv=None):
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    arguments = arguments.parse_args(argv)
    blocks = render_blocks(load_sources())
    stale = {}
    for document in DOCUMENTS:
        text = document.read_text()
        names = stale_blocks(text, blocks)
        if names:
            stale[document.relative_to(ROOT)] = names
            if not arguments.check:
                document.write_text(render(text, blocks))
    for document, names in stale.items():
        verb = "is out of date" if arguments.check else "rewritten"
        print(f"{document}: {', '.join(names)} {verb}")
    if arguments.check and stale:
        print(
            "run `python -m model.study.report` to render them from the artifacts", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
