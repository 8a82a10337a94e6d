"""`python -m scripts COMMAND`: the command line of the funding warehouse (see scripts/cli.py)."""

import sys

from scripts.cli import main

sys.exit(main())
