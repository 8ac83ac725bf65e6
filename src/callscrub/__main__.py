"""`python -m callscrub`: the command line, as the console script runs it."""

from callscrub.cli import main

main()
