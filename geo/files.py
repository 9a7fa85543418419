"""Small file helpers shared by the stages: hashing, atomic writes, and folders replaced as a whole."""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Final, cast

from geo.errors import OutputError

#: renameat2's flag that swaps two paths in one step (Linux ≥ 3.15, glibc ≥ 2.28).
RENAME_EXCHANGE: Final = 2
_AT_FDCWD: Final = -100
#: What renameat2 answers where it cannot swap: the file system has no exchange (EINVAL), the kernel or the C
#: library has no renameat2 (ENOSYS), the file system refuses the flag (EOPNOTSUPP), a sandbox forbids the call
#: (EPERM; a real permission problem then shows in the plain renames that follow).
NO_EXCHANGE: Final = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM})

#: Whether to keep an entry of the folder being replaced, by its path inside it (``uk/notes.txt``) and whether it is
#: a folder: True carries it over into the new folder; False lets it go with the old one.
Carry = Callable[[str, bool], bool]


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


def _fsync_parent(path: Path) -> None:
    """Flush the folder holding `path`; one that may be written but not read (mode -wx) cannot be, and is skipped."""
    with suppress(PermissionError):
        fsync_dir(path.parent)


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


@functools.cache
def _renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no C library to load, or one older than glibc 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return cast("Callable[[int, bytes, int, bytes, int], int]", function)


def exchange(first: Path, second: Path) -> None:
    """Swap two existing paths in one atomic step: each then holds what the other held.

    Raises
    ------
    OSError
        With an errno in `NO_EXCHANGE` where the system or file system cannot
        swap (not Linux, no renameat2, a file system without RENAME_EXCHANGE).
    """
    function = _renameat2()
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available here", str(first), None, str(second))
    if function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(first), None, str(second))


def _real_folder(out: Path) -> Path:
    """Return the folder `out` names with every symbolic link resolved (it may not exist)."""
    try:
        return out.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        msg = f"{out}: cannot resolve it ({exc}); remove the looping link, or pass another --out DIR"
        raise OutputError(msg) from exc


def _leftovers(root: Path, kind: str) -> list[Path]:
    """Find the folders a write into `root` makes beside it and a kill leaves (``.<name>.<kind>-<8 hex>``)."""
    pattern = re.compile(rf"\.{re.escape(root.name)}\.{kind}-[0-9a-f]{{8}}")
    try:
        with os.scandir(root.parent) as entries:
            return sorted(
                Path(e.path)
                for e in entries
                if pattern.fullmatch(e.name)
                and e.is_dir(follow_symlinks=False)
                and e.stat(follow_symlinks=False).st_uid == os.geteuid()  # only ours: never another user's folder
            )
    except FileNotFoundError:
        return []


def _beside(root: Path, kind: str) -> Path:
    """Make a new, empty folder beside `root` named as `_leftovers` finds it."""
    while True:
        path = root.parent / f".{root.name}.{kind}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def recover_tree(out: Path) -> None:
    """Finish what a replacement of `out` killed between its two plain renames left: put the old folder back.

    Only a swap without `exchange` (`replace_tree`'s fallback) has such a
    moment: `out` missing, its old tree complete in ``.<name>.old-<hex>``.
    Does nothing when `out` exists, or when no such folder is there.

    Raises
    ------
    geo.errors.OutputError
        When `out` is missing and more than one old copy is there (never left
        by the builds; the user decides which one to keep).
    """
    root = _real_folder(out)
    if os.path.lexists(root):
        return
    olds = _leftovers(root, "old")
    if len(olds) > 1:
        msg = (
            f"{out}: missing, and {len(olds)} earlier copies of it are beside it ({', '.join(p.name for p in olds)}); "
            f"rename the one to keep to {root.name}"
        )
        raise OutputError(msg)
    if olds:
        olds[0].rename(root)
        _fsync_parent(root)


def _remove_tree(path: Path) -> None:
    """Remove a folder and everything in it, also folders a user made read-only; best effort; never through a link."""
    if path.is_symlink() or not path.is_dir():
        return
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return
    except OSError:
        with suppress(OSError):
            path.chmod(stat.S_IMODE(path.lstat().st_mode) | stat.S_IRWXU)
        for folder, names, _files in os.walk(path):  # os.walk lists a link to a folder among the folders
            for name in names:
                with suppress(OSError):
                    sub = Path(folder, name)
                    info = sub.lstat()
                    if stat.S_ISDIR(info.st_mode):  # never a link: chmod would follow it out of the tree
                        sub.chmod(stat.S_IMODE(info.st_mode) | stat.S_IRWXU)
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (so that two writes beside each other take turns); best effort.

    `replace_tree` holds it on the folder holding its output folder, and the refresh while it writes its change
    report into that output folder, so that a build's swap cannot drop a report written meanwhile.
    """
    try:
        import fcntl  # noqa: PLC0415  (POSIX only; importing the package must work elsewhere)

        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (ImportError, OSError):  # no flock here, or a folder that cannot be opened for reading
        yield
        return
    try:
        with suppress(OSError):  # a file system without locks (NFS without lockd, …): go on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock; a killed process releases it too


def _write_new(path: Path, data: bytes) -> None:
    """Write and fsync a file that must not exist yet (mode 0666 less the umask, as a normal file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _link(source: Path, target: Path) -> None:
    """Carry one entry over: a hard link (the old folder goes away, so the file simply moves), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        mode = source.lstat().st_mode
        if stat.S_ISLNK(mode):
            target.symlink_to(source.readlink())
        elif stat.S_ISREG(mode):
            shutil.copy2(source, target)
        else:
            raise


def _carry_over(old: Path, new: Path, carry: Carry, *, modes: dict[Path, int], device: int, prefix: str = "") -> None:
    """Carry the entries of the folder `old` that `carry` keeps into `new`, folders walked without following links.

    Every folder is walked, kept or not, so that a mount point inside (which
    removing the old tree would empty) is found before anything changes.
    """
    with os.scandir(old) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        path, target = f"{prefix}{entry.name}", new / entry.name
        if entry.is_dir(follow_symlinks=False):
            info = entry.stat(follow_symlinks=False)
            if info.st_dev != device or os.path.ismount(entry.path) or _mount_point(entry.path):
                msg = (
                    f"{entry.path}: a mount point inside the output folder, which replacing it would empty; unmount it"
                )
                raise OutputError(msg)
            modes[target] = stat.S_IMODE(info.st_mode)
            if carry(path, True):
                target.mkdir(exist_ok=True)
            _carry_over(Path(entry.path), target, carry, modes=modes, device=device, prefix=f"{path}/")
        elif carry(path, False):
            _link(Path(entry.path), target)


def _mount_points() -> frozenset[str]:
    """Return every mount point this process sees (``/proc/self/mountinfo``; empty where there is none)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return frozenset()
    points = set()
    for line in lines:
        fields = line.split(" ")
        if len(fields) > 4:  # the 5th field, with spaces and the like escaped as \ooo
            points.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4]))
    return frozenset(points)


def _mount_point(path: str) -> bool:
    """Tell whether `path` is a mount point, a bind mount from the same file system too (``os.path.ismount`` misses those)."""
    return os.path.realpath(path) in _mount_points()


def _check_name(name: str) -> None:
    if name.startswith("/") or any(part in {"", ".", ".."} for part in name.split("/")):
        msg = f"{name!r}: an output's name must be a relative path without empty, '.' or '..' parts"
        raise ValueError(msg)


def _swap(staging: Path, root: Path) -> None:
    """Put `staging` at `root`; the old tree, if any, ends at the staging name (see `replace_tree`)."""
    if not os.path.lexists(root):
        staging.rename(root)
        return
    try:
        exchange(staging, root)
    except OSError as exc:
        if exc.errno not in NO_EXCHANGE:
            raise
    else:
        return
    old = _beside(root, "old")  # an empty folder, which the rename below replaces
    root.rename(old)
    try:
        _fsync_parent(root)
        staging.rename(root)
    except BaseException:
        old.rename(root)
        raise
    with suppress(OSError):  # else the next write removes it
        old.rename(staging)


def replace_tree(out: Path, files: Mapping[str, bytes], survey: Callable[[Path], Carry]) -> None:
    """Replace the folder `out` as a whole by one holding `files` (name → bytes; names may have folders).

    `survey` is called with the real folder (symbolic links resolved; it may
    not exist) once the folder beside it is locked: it raises to refuse (and
    nothing is changed), or returns which entries of the old folder to carry
    over into the new one (by hard link, else by copy).

    The sequence, and what a kill (SIGKILL, or a power cut: everything is
    fsynced before the step that relies on it) at each point leaves:

    1. Lock the folder holding `out`; `recover_tree`; `survey`; remove the
       leftovers of killed writes into this `out` (``.<name>.staging-<hex>``,
       ``.<name>.old-<hex>``, nothing else). Killed: `out` as it was.
    2. Make ``.<name>.staging-<hex>`` beside `out`, write every file into it,
       carry over what `survey` keeps, fsync every file and folder. Killed:
       `out` as it was, and a partial staging folder that the next write removes.
    3. Swap: `exchange` staging and `out` (one atomic step), or rename
       staging to `out` if there was none. Killed before: as it was; after:
       the new `out`, the old tree at the staging name, removed next time.
       Where the file system cannot swap (see `NO_EXCHANGE`) three renames
       do it: `out` → ``.<name>.old-<hex>``, staging → `out`, old → staging
       name. Killed between the first two: `out` missing and its old tree
       complete in ``.<name>.old-<hex>``; the next write (`recover_tree`)
       renames it back first (by hand: ``mv .<name>.old-<hex> <name>``).
       Killed after the second: the new `out`; the old tree is removed next time.
    4. Remove the old tree (at the staging name). Killed: the new `out`, part
       of the old tree left at the staging name, removed next time.

    An exception (not a kill) at any point removes the staging folder and
    leaves `out` as it was (the fallback's first rename is undone at once).
    The new folder gets the old one's mode. `out` may be a symbolic link: the
    folder it leads to is replaced (and staged beside it); the link stays.

    Raises
    ------
    geo.errors.OutputError
        `out` is a mount point or a link to a missing folder, or `survey` refused it.
    OSError
        A write, carry or rename failed; `out` is then as it was and the staging folder is removed.
    """
    for name in files:
        _check_name(name)
    root = _real_folder(out)
    if root.parent == root:
        msg = f"{out}: the root folder cannot be replaced; pass --out DIR with a folder below it"
        raise OutputError(msg)
    if out.is_symlink() and not root.parent.is_dir():
        msg = f"{out}: a symbolic link to {root}, which does not exist; make that folder, or remove the link"
        raise OutputError(msg)
    root.parent.mkdir(parents=True, exist_ok=True)
    with locked(root.parent):
        recover_tree(out)
        _check_replaceable(out, root)
        carry = survey(root)
        olds = _leftovers(root, "old")
        if olds and root.is_dir() and not any(root.iterdir()):
            # `out` is there but empty, an old copy beside it: made by hand after a swap was killed between its
            # first two renames (the refresh puts the copy back first); the copy is all there is, so keep it
            msg = (
                f"{out}: empty, and an earlier copy of it, left by a build killed while swapping, is beside it "
                f"({olds[0].name}); remove {root.name} and rename the copy back to it, or remove the copy"
            )
            raise OutputError(msg)
        for leftover in [*_leftovers(root, "staging"), *olds]:  # beside a full `out`: a swap that went through
            _remove_tree(leftover)
        staging = _beside(root, "staging")
        try:
            _fill(staging, root, files, carry)
            _fsync_parent(root)
            _swap(staging, root)
        except BaseException:
            _remove_tree(staging)  # the new tree; or the old one, if an interrupt came just after the swap
            raise
        _fsync_parent(root)
        _remove_tree(staging)  # the old tree, if there was one


def _check_replaceable(out: Path, root: Path) -> None:
    if not os.path.lexists(root):
        if out.is_symlink():
            msg = f"{out}: a symbolic link to {root}, which does not exist; make that folder, or remove the link"
            raise OutputError(msg)
        return
    if not root.is_dir():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(out))
    if os.path.ismount(root):
        msg = f"{out}: a mount point, which the build cannot replace as a whole; pass --out DIR with a folder inside it"
        raise OutputError(msg)


def _fill(staging: Path, root: Path, files: Mapping[str, bytes], carry: Carry) -> None:
    """Write `files` into `staging`, carry over what `carry` keeps of `root`, fsync all, give the folders their modes."""
    for name, data in files.items():
        _write_new(staging / name, data)
    modes: dict[Path, int] = {}
    if root.is_dir():
        info = root.stat()
        modes[staging] = stat.S_IMODE(info.st_mode)
        with suppress(OSError):  # the old folder's owner and group (a web server may read it through its group)
            os.chown(staging, info.st_uid, info.st_gid)
        _carry_over(root, staging, carry, modes=modes, device=info.st_dev)
    folders = [Path(folder) for folder, _names, _files in os.walk(staging)]  # links are not followed
    for folder in reversed(folders):  # the deepest first
        fsync_dir(folder)
    for folder in reversed(folders):
        if folder in modes:
            folder.chmod(modes[folder])


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
