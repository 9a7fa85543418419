"""Error classes subclass the built-ins callers already catch."""

from __future__ import annotations

from geo.errors import GeoError, SourceError, ValidationError


def test_hierarchy() -> None:
    assert issubclass(SourceError, GeoError)
    assert issubclass(SourceError, OSError)
    assert issubclass(ValidationError, GeoError)
    assert issubclass(ValidationError, ValueError)
