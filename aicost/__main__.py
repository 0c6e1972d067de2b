"""`python -m aicost`."""

from aicost.interrupts import main

main()
