"""The model study: the comparison of classical models and networks, the hyperparameter search,
and the robustness and real-world reports.

Import rule: nothing imports this package but the CLI's study commands; the app's pages read the
JSON it writes, never its code.
"""
