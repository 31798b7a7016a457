"""``python -m infra.rehearse``."""

import sys

from infra.rehearse.cli import main

sys.exit(main())
