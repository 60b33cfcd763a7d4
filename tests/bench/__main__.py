"""`python -m tests.bench`: the system benchmark of `make bench` (see tests/bench/run.py)."""

import sys

from tests.bench.run import main

sys.exit(main())
