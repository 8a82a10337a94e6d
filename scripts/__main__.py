"""`python -m scripts COMMAND`: the command line of the funding warehouse (see scripts/cli.py)."""

import sys

from scripts.cli import main

try:
    sys.exit(main())
except KeyboardInterrupt:
    # `run` reports an interrupt itself and returns 130. A Ctrl-C that lands while it unwinds
    # (closing dbt, the thread pool or the lock) would otherwise end the process by the signal,
    # with no exit code of ours.
    sys.exit(130)
