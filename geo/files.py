"""Small file helpers shared by the stages: hashing and atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from geo.errors import OutputError


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stage(path: Path, data: bytes) -> Path:
    """Write `data` to a fsynced temporary file beside `path`; return the temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries (renames, new and removed files) to disk."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same directory, are flushed and
    fsynced, and the temporary file is renamed over `path`.
    """
    write_all_atomic({path: data})


def write_all_atomic(files: Mapping[Path, bytes]) -> None:
    """Write several files, each atomically, with the renames done only once all are staged.

    Every file is first written to a fsynced temporary file; if any of those
    writes fails, the temporary files are removed and no target changes.
    Only then are the temporary files renamed over their targets.
    """
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            staged[path] = stage(path, data)
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    for path, tmp in staged.items():
        tmp.replace(path)
    for directory in {path.parent for path in staged}:
        fsync_dir(directory)


def check_apart(layers: Path, out: Path) -> None:
    """Refuse an output folder that is, or lies inside, the input folder, or the reverse (symlinks resolved).

    Raises
    ------
    geo.errors.OutputError
        Naming both folders, so that nothing in the inputs is ever overwritten by an output.
    """
    try:
        inputs, outputs = layers.resolve(), out.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        msg = f"--layers {str(layers)!r} or --out {str(out)!r} cannot be resolved ({exc}); pass real folders"
        raise OutputError(msg) from exc
    if inputs == outputs or inputs in outputs.parents:
        msg = f"--out {str(out)!r} is inside --layers {str(layers)!r}: outputs would overwrite inputs; pick a folder outside it"
        raise OutputError(msg)
    if outputs in inputs.parents:
        msg = f"--layers {str(layers)!r} is inside --out {str(out)!r}: outputs would land among the inputs; pick another --out"
        raise OutputError(msg)
