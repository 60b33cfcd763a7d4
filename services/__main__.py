"""`python -m services`: the local stack (`up`), dev tokens, migrations."""

import sys

from services.cli import main

if __name__ == "__main__":
    sys.exit(main())
