"""Worker processes for the workflows: forked pools whose workers never outlive the run.

A worker is forked, so it shares the parent's memory (the read layers) instead
of reading them again.  Each worker ignores Ctrl-C (the parent decides what an
interrupt means and stops them) and, on Linux, is killed by the kernel when its
parent dies, however the parent dies (SIGKILL, out of memory).  When the body of
`forked_pool` raises anything, an interrupt included, the workers are killed at
once rather than waited for.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from geo.errors import GeoError

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def usable_cores() -> int:
    """Return how many cores this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Say whether forked workers are available and worth it: a fork start method and two usable cores.

    macOS is left out: CPython calls fork unsafe there (system libraries start threads).
    """
    return (
        sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods() and usable_cores() >= 2
    )


def _child_setup(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(1)


@contextlib.contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Yield a pool of `workers` forked processes; kill them if the body raises, wait for them otherwise."""
    before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_child_setup,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    except BaseException:
        # every child forked since the pool was made: also one forked just as the interrupt came, before the
        # pool recorded it (CPython keeps the pool's own in `_processes`; there is no public handle)
        started = set(multiprocessing.active_children()) - before
        started |= set((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in started:
            with contextlib.suppress(Exception):
                process.kill()
        for process in started:
            with contextlib.suppress(Exception):
                process.join(timeout=5)
        raise
    pool.shutdown(wait=True)


def in_worker(function: Callable[..., T], *arguments: Any) -> T:
    """Run `function` in a worker, turning an error that could not cross back to the parent into one that can.

    The package's own errors (`geo.errors.GeoError`) pass as they are; any
    other error becomes a `RuntimeError` naming its type, message and where it
    happened, so that the parent reports it instead of a "process died".
    """
    try:
        return function(*arguments)
    except GeoError:
        raise
    except Exception as exc:
        where = "".join(traceback.format_exception(exc)[-3:]).strip()
        msg = f"in a worker process: {type(exc).__name__}: {exc} ({where})"
        raise RuntimeError(msg) from None
