"""The model study: the comparison of classical models and networks, the hyperparameter search,
the robustness and real-world reports, and the renderer of their figures into the docs
(`report`, run as `python -m model.study.report`).

Import rule: nothing imports this package but the CLI's study commands (and tests); the app's
pages read the JSON it writes, never its code.
"""
