"""Entry script of the standalone build: the same `studio` command as the console script."""

import multiprocessing

from studio.cli import main

if __name__ == "__main__":
    # A frozen executable that starts worker processes must let them run as workers.
    multiprocessing.freeze_support()
    main()
