"""`python -m aicost`."""

from aicost.cli import main

main()
