"""``python -m analysis <step>``: run one workflow step (see :mod:`analysis.cli`)."""

import sys

from analysis.cli import main

sys.exit(main())
