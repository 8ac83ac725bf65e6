"""The installed package's version (`callscrub --version`, the audit manifest)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callscrub")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
