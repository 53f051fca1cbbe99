"""All benchmarks in one run:
`python -m bench [--quick] [--mnist-dir DIR] [--realworld-dir DIR] [--out FILE]`.

Prints one JSON object; with --out, also writes it (bench/results.json is the one
`python -m model.study.report` renders into docs/results.md and the README).
"""

import json
from pathlib import Path

from bench import batch, latency, memory, photos, startup
from bench.common import emit, parser


def main():
    arguments = parser(__doc__)
    arguments.add_argument("--realworld-dir", help="real pictures (default: $REALWORLD_DIR)")
    arguments.add_argument("--out", help="also write the results to this JSON file")
    arguments = arguments.parse_args()
    results = {
        "latency": latency.run(arguments.mnist_dir, arguments.quick),
        "batch": batch.run(arguments.mnist_dir, arguments.quick),
        "photos": photos.run(arguments.realworld_dir, arguments.quick),
        "startup": startup.run(arguments.quick),
        "memory": memory.run(arguments.mnist_dir, arguments.quick),
    }
    if arguments.out:
        Path(arguments.out).write_text(json.dumps(results, indent=2) + "\n")
    emit(results)


if __name__ == "__main__":
    main()
