"""The only exceptions the package raises.

Every message says what is wrong, where (file and record ids, first ten) and
how to fix it, on one line, so that the command line can print it as
``error: <message>``.
"""


class GeoError(Exception):
    """Base class of every error the package raises on purpose."""


class SourceError(GeoError, OSError):
    """An input file is missing, unreadable or not in the expected format."""


class ValidationError(GeoError, ValueError):
    """Input data was read but breaks the rules in `geo.schema`."""


class OutputError(GeoError, OSError):
    """An output could not be written (the folder is a file, not writable, …)."""


class AssetError(GeoError, RuntimeError):
    """A map would need a web asset that is not vendored, so it would not work offline."""


class RefreshError(GeoError, RuntimeError):
    """A refresh fetched nothing usable, or what it fetched failed a check; nothing was written."""


class ArgumentError(GeoError, ValueError):
    """An option has a value the package does not accept (an unknown language, …)."""
