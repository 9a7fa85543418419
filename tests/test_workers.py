"""Forked worker pools: workers die with their parent and stop at once when the body fails."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo import build, workers
from tests.conftest import REPO


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with Path(f"/proc/{pid}/stat").open(encoding="ascii") as fh:
        return fh.read().split()[2] != "Z"  # a zombie has finished


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


_PARENT = """
import os, sys, time
from geo import workers
with workers.forked_pool(1) as pool:
    pool.submit(os.getpid).result()  # the worker exists
    pid = pool.submit(os.getpid).result()
    pool.submit(time.sleep, 60)
    print(pid, flush=True)
    time.sleep(60)
"""


def test_a_worker_dies_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    assert _alive(worker)
    parent.kill()  # SIGKILL to the parent alone, as the out-of-memory killer would
    parent.wait(timeout=10)
    parent.stdout.close()
    assert _wait_gone(worker, 5), "the worker outlived its parent"


def _interrupted_while_busy(pids: list[int]) -> None:
    with workers.forked_pool(1) as pool:
        pids.append(pool.submit(os.getpid).result())
        pool.submit(time.sleep, 60)
        raise KeyboardInterrupt


def test_an_error_in_the_body_stops_a_busy_worker_at_once() -> None:
    start, pids = time.monotonic(), list[int]()
    with pytest.raises(KeyboardInterrupt):
        _interrupted_while_busy(pids)
    assert time.monotonic() - start < 10
    assert _wait_gone(pids[0], 5)


def test_workers_ignore_ctrl_c_the_parent_decides() -> None:
    with workers.forked_pool(1) as pool:
        handler = pool.submit(signal.getsignal, signal.SIGINT).result()
    assert handler == signal.SIG_IGN


def test_the_build_gives_the_same_bytes_without_fork(
    tiny_layers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "PARALLEL_HISTORY_DATES", 2)  # split the tiny world's short history too
    build.build(tiny_layers, tmp_path / "forked", languages=("en", "uk"))
    # as on Windows or macOS: no fork start method
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert not workers.can_fork()
    build.build(tiny_layers, tmp_path / "serial", languages=("en", "uk"))
    forked = sorted(p for p in (tmp_path / "forked").rglob("*") if p.is_file())
    serial = sorted(p for p in (tmp_path / "serial").rglob("*") if p.is_file())
    names = [p.relative_to(tmp_path / "forked").as_posix() for p in forked]
    assert names == [p.relative_to(tmp_path / "serial").as_posix() for p in serial]
    assert "uk/print/kirovohrad.svg" in names
    for name in names:
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name


class _AwkwardError(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a} and {b}")  # pickles its message only: it cannot be rebuilt in the parent


def _raise_awkward() -> None:
    raise _AwkwardError(1, 2)


def test_an_error_that_cannot_cross_back_is_named_not_called_a_death() -> None:
    with workers.forked_pool(1) as pool:
        future = pool.submit(workers.in_worker, _raise_awkward)
        with pytest.raises(RuntimeError, match=r"in a worker process: _AwkwardError: 1 and 2"):
            future.result()


_INTERRUPTED_AT_START = """
import multiprocessing, sys, time
from multiprocessing.context import ForkProcess
from geo import workers
start = ForkProcess.start
def start_then_interrupt(self):
    start(self)  # forked, but the pool has not recorded it yet
    ForkProcess.start = start
    raise KeyboardInterrupt
ForkProcess.start = start_then_interrupt
try:
    with workers.forked_pool(1) as pool:
        pool.submit(time.sleep, 60)
except KeyboardInterrupt:
    pass
print([p.is_alive() for p in multiprocessing.active_children()], flush=True)
"""


def test_an_interrupt_while_the_pool_starts_leaves_no_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_AT_START], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr
