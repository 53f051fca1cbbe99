"""Command line: python -m model {train,compare,tune,evaluate,predict,finetune,...} ..."""

import sys

from model.cli import main

sys.exit(main())
