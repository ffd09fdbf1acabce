"""``python -m tierplan`` runs the command line."""

from .cli import main

main()
