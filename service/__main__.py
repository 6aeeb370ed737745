"""``python -m service`` is the same as the ``pufa`` command."""

from .cli import main

main()
