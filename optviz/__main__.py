"""``python -m optviz``: see :mod:`optviz.cli`."""

from .out.cli import main

raise SystemExit(main())
