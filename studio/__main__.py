"""`python -m studio` is the same as `studio`."""

import sys

from studio.cli import main

sys.exit(main())
