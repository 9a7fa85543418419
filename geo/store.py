"""The stored occupation history: dated snapshots in ``layers/occupation`` that check themselves.

A snapshot is a pair: ``deepstate_occupied_YYYY-MM-DD.geojson`` (another
source's: ``occupation/<id>/<id>_occupied_YYYY-MM-DD.geojson``) and its
``.source.json`` sidecar.  Every reader (the refresh, its resume, the build,
``refresh_occupation.py --verify``) verifies the pair before trusting it: the
name's date is a calendar date, the sidecar is there with its keys, the file's
bytes match the sidecar's sha256, the sidecar's date, file name and version id
agree with the name and with the version id written inside the file, and a
DeepState version was published on the day the name gives.  The bytes that were
verified are the bytes that are parsed, never a second read.

Writers commit a pair through a journal, so that from any reader's point of
view a new or replaced snapshot appears in one step:

1. both new files are written to temporary files beside the live ones and fsynced;
2. a journal ``.deepstate_occupied_YYYY-MM-DD.journal.json`` naming them is
   written atomically: this rename is the commit point;
3. the temporary files are renamed over the live ones;
4. the journal is removed.

A reader that finds a journal reads each file from its temporary name while it
is still there, else from its live name: the new pair either way.  A kill
before step 2 leaves the old pair (and temporary files the next refresh
removes); a kill after it leaves a journal that every reader follows and the
next refresh completes (`recover`).  A reader racing a live commit sees the
files change under it (another inode) and reads again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import date as Date  # noqa: N812
from pathlib import Path
from typing import Any, Final

from geo import schema
from geo.errors import SourceError
from geo.files import fsync_dir, stage, write_atomic

#: The journal of a commit in progress (hidden: it starts with a dot, like the temporary files).
JOURNAL_SUFFIX: Final = ".journal.json"
SIDECAR_SUFFIX: Final = ".source.json"
#: How often a reader reads a pair again when it changed under it (a refresh committing at that moment).
READ_ATTEMPTS: Final = 5
_NAME_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_VERSION = re.compile(r"[0-9]{1,12}", re.ASCII)
#: Version ids are Unix seconds of publication: none before 2022 (as `geo.occupation.deepstate.check_version_id` has it).
FIRST_VERSION: Final = 1_640_995_200
#: The most a stored snapshot may weigh (a day is ~75–200 KB), and a sidecar or a journal.
SNAPSHOT_BYTES: Final = 256 * 1024 * 1024
SMALL_FILE_BYTES: Final = 1024 * 1024
_TEMPORARY = re.compile(r"\.[A-Za-z0-9._-]+\.tmp", re.ASCII)
#: How the refresh writes a snapshot: the first feature's properties come first, so reading them needs no full parse.
_HEAD = re.compile(rb'\{"type":"FeatureCollection","features":\[\{"type":"Feature","properties":')


class DamagedSnapshotError(SourceError):
    """A stored snapshot does not match its sidecar (or has none); it must not be used."""

    def __init__(self, path: Path, reason: str, *, version: str | None = None, fix: str | None = None) -> None:
        self.path = path
        self.reason = reason
        #: The DeepState version the pair should hold, where it can be told (to refetch it); None if it cannot.
        self.version = version
        #: How to mend it where a refetch would not (a stray journal); None: refetch it, or restore the pair.
        self.fix = fix
        super().__init__(f"{path}: damaged ({reason})")


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot as verified: its bytes, its sidecar and the DeepState version it holds (None: another source)."""

    date: str
    path: Path
    data: bytes
    sidecar: dict[str, Any]
    version: str | None


@dataclass
class Health:
    """What `scan` found: the sound snapshots, the damaged ones, and files whose names are not a calendar date."""

    sound: dict[str, Snapshot] = field(default_factory=dict)
    damaged: dict[str, DamagedSnapshotError] = field(default_factory=dict)
    bad_names: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # dates whose commit was interrupted (a journal is left)


def snapshot_path(directory: Path, date: str) -> Path:
    """Return the file of the snapshot dated `date` in `directory`."""
    return directory / f"{schema.snapshot_prefix(directory.name)}{date}.geojson"


def sidecar_path(path: Path) -> Path:
    """Return the ``.source.json`` sidecar of a data file."""
    return path.with_name(path.name.rsplit(".", 1)[0] + SIDECAR_SUFFIX)


def _journal_path(path: Path) -> Path:
    return path.with_name(f".{path.name.removesuffix('.geojson')}{JOURNAL_SUFFIX}")


def _calendar_date(text: str) -> bool:
    try:
        Date.fromisoformat(text)
    except ValueError:
        return False
    return True


def version_date(version: str) -> str | None:
    """Return the UTC day a DeepState version was published (version ids are Unix seconds); None if it is not one.

    A version id is ASCII digits, published since 2022 and not after tomorrow.
    """
    if not _VERSION.fullmatch(version) or not FIRST_VERSION <= int(version) <= time.time() + 86_400:
        return None
    return datetime.fromtimestamp(int(version), tz=UTC).date().isoformat()


def listing(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """List the dated snapshot files in `directory` by their names alone.

    Returns
    -------
    tuple
        ISO date → file, in date order; and one problem per file whose name
        has a date that is not a calendar date (``…_2022-02-30.geojson``) or
        that is not a regular file.  Names without a date (the
        ``…_since.geojson`` layer) are not snapshots and are left out.
    """
    found: dict[str, Path] = {}
    problems: list[str] = []
    prefix = schema.snapshot_prefix(directory.name)
    pending, strays = _journals(directory)
    problems += [f"{journal}: not a journal the refresh writes (no day in its name); remove it" for journal in strays]
    # A first commit of a day interrupted after its commit point has a journal but no live file yet: it is there.
    # A sidecar left without its snapshot is a snapshot that is gone: listed, so that it is reported (and refetched).
    orphans = {
        side.with_name(side.name.removesuffix(SIDECAR_SUFFIX) + ".geojson")
        for side in directory.glob(f"{prefix}*{SIDECAR_SUFFIX}")
    }
    absent = {p for p in {*pending, *orphans} if not p.exists() and not p.is_symlink()}
    for path in sorted({*directory.glob(f"{prefix}*.geojson"), *absent}):
        date = path.name.removeprefix(prefix).removesuffix(".geojson")
        if not _NAME_DATE.fullmatch(date):
            continue
        if not _calendar_date(date):
            problems.append(
                f"{path}: its name's date {date} is not a calendar date; rename it (and its .source.json) to the "
                "day in its .source.json, or move both aside"
            )
        elif path not in absent and not path.is_file():
            problems.append(f"{path}: not a regular file (a broken or looping link?); remove it with its .source.json")
        else:
            found[date] = path
    return found, problems


def require_listing(directory: Path) -> dict[str, Path]:
    """Return `listing`, refusing a folder with a file whose name is not a calendar date (one line naming every such file).

    Raises
    ------
    geo.errors.SourceError
    """
    found, problems = listing(directory)
    if problems:
        raise SourceError("; ".join(problems))
    return found


# --- reading --------------------------------------------------------------------------------


def _read_regular(path: Path, *, limit: int, follow: bool = True) -> bytes | None:
    """Read a regular file of at most `limit` bytes; None if it is not there.

    A FIFO, a device, a folder or (with ``follow=False``) a symbolic link is
    refused, never read: reading a FIFO would hang every reader.

    Raises
    ------
    OSError
        If it is not a regular file, is too large, or cannot be read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes")
        return fh.read(limit + 1)[:limit]


def _journal(path: Path) -> dict[str, Path]:
    """Live file → the temporary file holding its new bytes, from a commit's journal (empty if none is pending).

    Raises
    ------
    DamagedSnapshotError
        If the journal is not one this module wrote (its names must be the pair's temporary files).
    """
    journal = _journal_path(path)
    fix = f"remove {journal.name} (the pair itself may be sound: --verify tells once it is gone)"
    try:
        data = _read_regular(journal, limit=SMALL_FILE_BYTES, follow=False)
    except OSError as exc:
        raise DamagedSnapshotError(path, f"its journal {journal.name} cannot be read: {exc.strerror}", fix=fix) from exc
    if data is None:
        return {}
    live = {path.name, sidecar_path(path).name}
    try:
        record = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        record = None
    moves = record.get("moves") if isinstance(record, dict) else None
    if not isinstance(moves, dict) or set(moves) != live or not all(_is_temporary(n, t) for n, t in moves.items()):
        raise DamagedSnapshotError(path, f"its journal {journal.name} is not one the refresh wrote", fix=fix)
    return {name: path.parent / temporary for name, temporary in moves.items()}


def _is_temporary(name: str, temporary: object) -> bool:
    """Whether `temporary` is the name of a temporary file `geo.files.stage` makes for `name`, beside it."""
    return isinstance(temporary, str) and bool(_TEMPORARY.fullmatch(temporary)) and temporary.startswith(f".{name}.")


def _state(path: Path) -> tuple[object, ...]:
    """Return what a commit changes around a pair, to see it move: the journal's and the live files' identities.

    A commit writes the journal, renames each temporary file over its live
    file (a new inode) and removes the journal: a reader that read during any
    of that sees one of these change.
    """
    out: list[object] = []
    for name in (_journal_path(path), path, sidecar_path(path)):
        try:
            st = name.lstat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)


def _read_one(path: Path, live: Path, pending: Path | None, limit: int) -> bytes | None:
    """Read `live`'s current bytes: from its temporary file while a commit has not renamed it yet, else from itself."""
    try:
        if pending is not None:
            data = _read_regular(pending, limit=limit, follow=False)  # a temporary file is never a link
            if data is not None:
                return data
        return _read_regular(live, limit=limit)
    except OSError as exc:
        raise DamagedSnapshotError(path, f"{live.name} cannot be read ({exc.strerror})") from exc


def _read_pair(path: Path) -> tuple[bytes | None, bytes | None]:
    """Read the snapshot and its sidecar as they stand, following a pending journal."""
    moves = _journal(path)
    side = sidecar_path(path)
    return (
        _read_one(path, path, moves.get(path.name), SNAPSHOT_BYTES),
        _read_one(path, side, moves.get(side.name), SMALL_FILE_BYTES),
    )


def _embedded(data: bytes) -> dict[str, Any] | None:
    """Return the first feature's properties (where the refresh writes the version id), None if unreadable."""
    try:
        head = _HEAD.match(data)
        if head is not None:
            value, _ = json.JSONDecoder().raw_decode(data.decode("utf-8"), head.end())
        else:
            document = json.loads(data.decode("utf-8-sig"))
            features = document.get("features") if isinstance(document, dict) else None
            first = features[0] if isinstance(features, list) and features else None
            value = first.get("properties") if isinstance(first, dict) else {}
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else {} if value is None else None


def _parses(data: bytes | None) -> bool:
    """Whether `data` parses whole as a GeoJSON FeatureCollection."""
    try:
        document = json.loads((data or b"").decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and document.get("type") == "FeatureCollection"


def _claimed_version(value: object) -> str | None:
    """Return a recorded version id as text (anything but a digit string then fails the check), None if none."""
    if value is None or value == "":
        return None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else repr(value)[:40]


def _candidate(date: str, *versions: str | None) -> str | None:
    """Return the first of `versions` that is a DeepState version id published on `date` (what a refetch would ask for)."""
    for version in versions:
        if version and version_date(version) == date:
            return version
    return None


def verify(path: Path, date: str, data: bytes | None, side: bytes | None, *, parse: bool = False) -> Snapshot:
    """Check one snapshot's bytes against its sidecar's bytes.

    Raises
    ------
    DamagedSnapshotError
        Saying what does not match; with the version a refetch would need where it can be told.
    """
    embedded = _embedded(data) if data is not None else None
    sidecar = _parse_sidecar(side)
    found = _mismatch(path, date, data, sidecar, embedded)
    if found is None and parse and not _parses(data):
        found = (
            "the file verifies but is not a GeoJSON FeatureCollection",
            (_claimed_version(embedded.get("version_id") if embedded else None),),
        )
    if found is not None:
        reason, versions = found
        raise DamagedSnapshotError(path, reason, version=_candidate(date, *versions))
    assert isinstance(sidecar, dict)
    assert data is not None
    return Snapshot(date, path, data, sidecar, _claimed_version(sidecar.get("version_id")))


def _mismatch(  # noqa: PLR0911  (one return per way a pair can disagree)
    path: Path, date: str, data: bytes | None, sidecar: dict[str, Any] | str, embedded: dict[str, Any] | None
) -> tuple[str, tuple[str | None, ...]] | None:
    """Say why a pair does not verify, with the version ids it names (most trusted first); None if it does."""
    in_file = _claimed_version((embedded or {}).get("version_id"))
    if isinstance(sidecar, str):
        return sidecar, (in_file,)
    recorded = _claimed_version(sidecar.get("version_id"))
    if data is None:
        return "the file is gone", (recorded,)
    lacking = [k for k in schema.SIDECAR_KEYS if k not in sidecar or (k != "url" and not sidecar[k])]
    if lacking:
        return f"its .source.json lacks {', '.join(lacking)}", (recorded, in_file)
    if sidecar["sha256"] != hashlib.sha256(data).hexdigest():
        reason = "the file does not match the sha256 its .source.json records: truncated, edited or half replaced"
        return reason, (recorded, in_file)
    # the bytes are the ones the sidecar was written for: from here on, what the file says is what it holds
    if embedded is None:
        return "the file is not a readable GeoJSON FeatureCollection", ()
    if sidecar.get("snapshot_date") != date:
        return f"its .source.json dates it {str(sidecar.get('snapshot_date'))[:40]!r}, its name {date}", (in_file,)
    if "file" in sidecar and sidecar["file"] != path.name:
        return f"its .source.json is for {str(sidecar['file'])[:80]!r}", (in_file,)
    if recorded is not None and version_date(recorded) is None:
        return f"its .source.json's version_id {recorded[:40]!r} is not a DeepState version id", (in_file,)
    if recorded != in_file:
        return f"its .source.json names version {recorded}, the file holds version {in_file}", (in_file,)
    if recorded is not None and version_date(recorded) != date:
        return f"version {recorded} was published on {version_date(recorded)}, not on {date}", ()
    source = sidecar.get("source")
    commit = source.get("commit") if isinstance(source, dict) else None
    if recorded is not None and commit not in (None, recorded, int(recorded)):
        return f"its .source.json names version {recorded} and commit {str(commit)[:40]!r}", (in_file,)
    return None


def _parse_sidecar(side: bytes | None) -> dict[str, Any] | str:
    """Return the sidecar's object, or why it is not one."""
    if side is None:
        return "its .source.json is missing"
    try:
        record = json.loads(side.decode("utf-8"))
    except (ValueError, RecursionError):
        return "its .source.json is not valid JSON"
    return record if isinstance(record, dict) else "its .source.json is not a JSON object"


def read(path: Path, date: str | None = None, *, parse: bool = False) -> Snapshot:
    """Read and verify one stored snapshot (following a commit in progress; reading again if it changes meanwhile).

    With `parse`, the whole file must also parse as a GeoJSON FeatureCollection
    (the refresh and ``--verify`` ask this; the build parses it anyway).

    Raises
    ------
    DamagedSnapshotError
        If the pair does not verify.
    """
    day = date or path.name.removeprefix(schema.snapshot_prefix(path.parent.name)).removesuffix(".geojson")
    for attempt in range(READ_ATTEMPTS):
        before = _state(path)
        try:
            data, side = _read_pair(path)
            return verify(path, day, data, side, parse=parse)
        except DamagedSnapshotError:
            if _state(path) == before or attempt == READ_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))  # a commit was under way: read the pair again
    raise AssertionError  # pragma: no cover  (the loop returns or raises)


def scan(directory: Path) -> Health:
    """Verify every stored snapshot in `directory`, each parsed whole; change nothing."""
    found, problems = listing(directory)
    health = Health(bad_names=problems)
    for date, path in found.items():
        if _journal_path(path).exists():
            health.pending.append(date)
        try:
            health.sound[date] = read(path, date, parse=True)
        except DamagedSnapshotError as exc:
            health.damaged[date] = exc
    return health


# --- writing (under the refresh's lock) -----------------------------------------------------


def commit(path: Path, data: bytes, sidecar: bytes) -> None:
    """Write a snapshot and its sidecar so that every reader sees the old pair or the new one, never a mix.

    Raises
    ------
    OSError
        If the new files cannot be written; the live pair is then unchanged.
    """
    side = sidecar_path(path)
    staged: dict[Path, Path] = {}
    journal = _journal_path(path)
    try:
        for live, content in ((path, data), (side, sidecar)):
            staged[live] = stage(live, content)
        record = {"moves": {live.name: tmp.name for live, tmp in staged.items()}}
        write_atomic(journal, (json.dumps(record) + "\n").encode("utf-8"))  # the commit point
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    _finish(path, staged)


def _finish(path: Path, moves: dict[Path, Path]) -> None:
    """Rename a committed pair's temporary files over the live ones, then drop the journal."""
    for live, tmp in moves.items():
        with contextlib.suppress(FileNotFoundError):  # renamed already, before a kill
            tmp.replace(live)
    fsync_dir(path.parent)
    _journal_path(path).unlink(missing_ok=True)
    fsync_dir(path.parent)


def _journals(directory: Path) -> tuple[list[Path], list[Path]]:
    """Return the snapshot files whose commit left a journal (it was interrupted), and journals of no dated snapshot."""
    dated, strays = [], []
    prefix = schema.snapshot_prefix(directory.name)
    for journal in sorted(directory.glob(f".{prefix}*{JOURNAL_SUFFIX}")):
        stem = journal.name.removeprefix(".").removesuffix(JOURNAL_SUFFIX)
        date = stem.removeprefix(prefix)
        if _NAME_DATE.fullmatch(date) and _calendar_date(date):
            dated.append(directory / f"{stem}.geojson")
        else:
            strays.append(journal)
    return dated, strays


def recover(directory: Path) -> list[str]:
    """Complete every interrupted commit (under the refresh's lock, before its temporary files are removed).

    Returns
    -------
    list
        One line per commit completed.

    Raises
    ------
    DamagedSnapshotError
        For a journal this module did not write.
    """
    done = []
    dated, strays = _journals(directory)
    if strays:
        raise DamagedSnapshotError(strays[0], "not a journal the refresh writes (no day in its name)", fix="remove it")
    for path in dated:
        moves = _journal(path)
        _finish(path, {directory / live: tmp for live, tmp in moves.items()})
        done.append(f"completed the interrupted commit of {path.name}")
    return done


def remove_temporary(directory: Path) -> None:
    """Remove the temporary files a killed refresh left (call after `recover`)."""
    prefix = schema.snapshot_prefix(directory.name)
    for pattern in (f".{prefix}*.tmp", f"..{prefix}*{JOURNAL_SUFFIX}.*.tmp"):
        for stale in directory.glob(pattern):  # a pair's temporary files, and a journal's
            stale.unlink(missing_ok=True)


__all__ = [
    "DamagedSnapshotError",
    "Health",
    "Snapshot",
    "commit",
    "listing",
    "read",
    "recover",
    "require_listing",
    "scan",
    "sidecar_path",
    "snapshot_path",
    "verify",
]
