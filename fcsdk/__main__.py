"""``python -m fcsdk``: the same as the ``fcsdk`` command."""

import sys

from .cli import main

sys.exit(main())
