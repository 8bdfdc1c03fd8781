"""``python -m bot.cli``: the ``rse-bot`` command."""

from bot.cli import main

main()
