"""The archive sample of 88 real DeepState versions, served by `geo.replay` on 127.0.0.1 (tests and benchmarks).

By hand: ``python3 scripts/replay_deepstate.py tests/fixtures/deepstate_archive``.
"""

from __future__ import annotations

from pathlib import Path

from geo import replay
from geo.replay import ArchiveServer, Reply, Route, reply, serve

__all__ = ["ARCHIVE", "ArchiveServer", "Reply", "Route", "archive_ids", "areas_rows", "build_routes", "reply", "serve"]

ARCHIVE = Path(__file__).parent / "fixtures" / "deepstate_archive"


def archive_ids(folder: Path = ARCHIVE) -> list[str]:
    """Return the version ids of the archive folder, oldest first."""
    return replay.archive_ids(folder)


def areas_rows(folder: Path = ARCHIVE) -> dict[str, dict[str, str]]:
    """Return DeepState's own figures per version id."""
    return replay.areas_rows(folder)


def build_routes(
    folder: Path = ARCHIVE, *, ids: list[str] | None = None, cycle: int = 0, areas: bool = True
) -> dict[str, Route]:
    """Return the routes serving the sample (see `geo.replay.build_routes`)."""
    return replay.build_routes(folder, ids=ids, cycle=cycle, areas=areas)
