"""``python -m bot`` is the ``linli`` command."""

from bot.cli.main import main

main()
