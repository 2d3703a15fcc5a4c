"""``python -m litho``: the same as the ``litho`` command."""

from .cli import main

raise SystemExit(main())
