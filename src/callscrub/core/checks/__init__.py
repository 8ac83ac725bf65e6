"""The checks a scrub applies to its rows, each in its own module."""
