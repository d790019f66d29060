"""``python -m bot`` is the ``linli`` command."""

from bot.cli import main

main()
