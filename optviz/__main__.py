"""``python -m optviz``: see :mod:`optviz.cli`."""

from .cli import main

raise SystemExit(main())
