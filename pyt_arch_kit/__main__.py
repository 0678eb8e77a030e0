"""``python -m pyt_arch_kit``: the same as the ``pyt-arch`` command."""

from pyt_arch_kit.cli import main

raise SystemExit(main())
