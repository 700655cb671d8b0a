"""`python -m owl` is the `owl` command."""

from owl.cli import main

main()
