"""`python -m newsbot` is the `newsbot` command."""

import sys

from newsbot.cli import main

if __name__ == "__main__":  # not when a worker process re-imports the main module
    sys.exit(main())
