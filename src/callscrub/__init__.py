"""callscrub: scrub outbound call lists against registries and legal calling windows."""

from callscrub.version import __version__

__all__ = ["__version__"]
