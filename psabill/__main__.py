"""`python -m psabill` entry point."""

from psabill.cli import main

main()
