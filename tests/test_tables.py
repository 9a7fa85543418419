"""CSV and JSON rendering."""

from __future__ import annotations

import csv
import errno
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo import files, schema, tables, update
from geo.errors import OutputError
from tests.conftest import REPO


def _read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_regions_csv_columns_and_rounding() -> None:
    frame = pd.DataFrame(
        {
            "name_en": ["East"],
            "name_uk": ["Схід"],
            "level": ["oblast"],
            "parent_id": ["UA"],
            "area_km2": [8218.123456],
            "occupied_km2": [4109.0617281],
            "occupied_before_2022_km2": [0.0],
            "occupied_since_2022_km2": [4109.0617281],
            "occupied_share": [0.5000000001],
            "contested_km2": [12.34567],
            "extra": ["dropped"],
        },
        index=pd.Index(["E"], name=schema.REGION_ID),
    )
    rows = _read(tables.regions_csv(frame))
    assert list(rows[0]) == list(schema.REGION_COLUMNS)
    assert rows[0]["area_km2"] == "8218.123"
    assert rows[0]["occupied_share"] == "0.5"
    assert rows[0]["occupied_before_2022_km2"] == "0.0"
    assert rows[0]["contested_km2"] == "12.346"


def test_summary_json_is_utf8_and_stable() -> None:
    record = {"name": "Покровськ", "share": 1.0}
    data = tables.summary_json(record)
    assert json.loads(data) == record
    assert "Покровськ".encode() in data
    assert data.endswith(b"\n")


def test_write_outputs_writes_every_file(tmp_path: Path) -> None:
    written = tables.write_outputs(tmp_path / "maps", {"b.csv": b"2", "a.csv": b"1"})
    assert [p.name for p in written] == ["a.csv", "b.csv"]
    assert (tmp_path / "maps" / "a.csv").read_bytes() == b"1"


def test_text_cells_a_spreadsheet_would_evaluate_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "name_en": ['=HYPERLINK("http://x","click")', "+1+1", "@SUM(A1)", "-2+3", "Plain - name", "\tTab", " =2+3"],
            "net_km2": [-1.5, 2.0, -0.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    rows = _read(tables._csv(frame))
    assert [r["name_en"] for r in rows] == [
        '\'=HYPERLINK("http://x","click")',
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "Plain - name",
        "'\tTab",
        "' =2+3",  # a spreadsheet trimming blanks on import would evaluate it
    ]
    assert [r["net_km2"] for r in rows] == [
        "-1.5",
        "2.0",
        "-0.0",
        "3.0",
        "4.0",
        "5.0",
        "6.0",
    ]  # numbers are not touched


def test_outputs_in_folders_are_written_and_their_stale_files_removed(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    (out / "uk" / "print").mkdir(parents=True)
    stale = out / "uk" / "print" / ".a.png.x1y2.tmp"  # left by a build killed before its renames
    stale.write_bytes(b"half")
    tables.write_outputs(out, {"uk/print/a.png": b"png", "summary.json": b"{}"})
    assert (out / "uk" / "print" / "a.png").read_bytes() == b"png"
    assert not stale.exists()


def test_a_link_out_of_the_output_folder_is_refused(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "maps", tmp_path / "layers"
    out.mkdir()
    elsewhere.mkdir()
    (out / "uk").symlink_to(elsewhere)
    with pytest.raises(
        OutputError, match=r"1 outputs would be written outside it through a symbolic link .*uk/a\.html"
    ):
        tables.write_outputs(out, {"uk/a.html": b"page", "a.html": b"page"})
    assert list(elsewhere.iterdir()) == []
    assert list(out.iterdir()) == [out / "uk"]  # nothing written


def test_a_link_that_makes_two_outputs_one_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "uk").symlink_to(".")  # uk/a.html would overwrite a.html
    with pytest.raises(OutputError, match="two outputs would be written to one file"):
        tables.write_outputs(out, {"uk/a.html": b"uk", "a.html": b"en"})
    assert not (out / "a.html").exists()


def test_a_failed_write_is_one_error_and_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _earlier_build(tmp_path / "maps", {"a.csv": b"old"})
    before = _listing(out)

    def read_only(_fd: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "fsync", read_only)
    with pytest.raises(OutputError, match=r"^[^\n]*/maps: cannot write the outputs \(Read-only file system\); pass"):
        tables.write_outputs(out, {"a.csv": b"new", "summary.json": _summary(["a.csv"])})
    assert _listing(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["maps"]  # no staging folder left


def test_a_file_where_a_folder_should_be_is_named(tmp_path: Path) -> None:
    out = _earlier_build(tmp_path / "maps", {"a.html": b"page"})
    (out / "uk").write_text("not a folder", encoding="utf-8")  # the user's, not listed: carried over, in the way
    before = _listing(out)
    with pytest.raises(OutputError, match=r"\(File exists: .*uk\); a file stands where the build needs a folder"):
        tables.write_outputs(out, {"uk/a.html": b"page", "summary.json": _summary(["uk/a.html"])})
    assert _listing(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["maps"]


def _summary(names: list[str]) -> bytes:
    return json.dumps({"outputs": sorted([*names, "summary.json"])}).encode()


def _earlier_build(out: Path, outputs: dict[str, bytes]) -> Path:
    """Make `out` as a build writing `outputs` would have (its summary.json lists them)."""
    for name, data in {**outputs, "summary.json": _summary(list(outputs))}.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return out


def _listing(folder: Path) -> dict[str, object]:
    """Every entry under `folder`, hidden ones too: a file's bytes, a folder's mode, a link's target."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = f"-> {path.readlink()}"
        elif path.is_dir():
            found[name + "/"] = oct(path.stat().st_mode & 0o7777)
        else:
            found[name] = path.read_bytes()
    return found


def _expected(entries: dict[str, bytes]) -> dict[str, object]:
    """The listing of a folder holding exactly `entries` (folders with the usual mode)."""
    umask = os.umask(0)
    os.umask(umask)
    found: dict[str, object] = dict(entries)
    for name in entries:
        for parent in Path(name).parents:
            if str(parent) != ".":
                found[parent.as_posix() + "/"] = oct(0o777 & ~umask)
    return dict(sorted(found.items()))


def test_the_folder_is_replaced_as_a_whole(tmp_path: Path) -> None:
    out = _earlier_build(
        tmp_path / "maps",
        {"a.csv": b"old a", "gone.csv": b"only the old build", "a.html": b"page", "print/a.png": b"old"},
    )
    (out / "uk").mkdir()
    (out / "uk" / "a.html").write_bytes(b"left by a build before, in --lang uk; not listed")
    (out / ".gone.csv.a1b2c3d4.tmp").write_bytes(b"staged by a killed build")
    foreign = {
        "refresh_report.md": b"report",
        "refresh_report.json": b"{}",
        "notes/mine.txt": b"mine",
        "uk/x.txt": b"x",
    }
    for name, data in foreign.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / "link").symlink_to("notes/mine.txt")
    out.chmod(0o750)
    old_report = (out / "refresh_report.md").stat().st_ino
    new = {"a.csv": b"new a", "b.csv": b"only the new build", "summary.json": _summary(["a.csv", "b.csv"])}

    written = tables.write_outputs(out, new)

    assert [p.name for p in written] == ["a.csv", "b.csv", "summary.json"]
    expected = _expected({**new, **foreign})  # not gone.csv, a.html, print/, uk/a.html, the .tmp
    assert _listing(out) == {**expected, "link": "-> notes/mine.txt"}
    assert out.stat().st_mode & 0o7777 == 0o750  # the folder keeps its mode
    assert (out / "refresh_report.md").stat().st_ino == old_report  # carried over by a hard link, not copied
    assert [p.name for p in tmp_path.iterdir()] == ["maps"]


def test_a_folder_no_build_wrote_is_refused_and_left_untouched(tmp_path: Path) -> None:
    out = tmp_path / "Documents"
    (out / "taxes").mkdir(parents=True)
    (out / "taxes" / "2025.pdf").write_bytes(b"%PDF")
    (out / "a.csv").write_bytes(b"the user's own a.csv")  # a name the build writes, alone it proves nothing
    (out / "letter.txt").write_bytes(b"dear")
    before = _listing(out)
    with pytest.raises(
        OutputError,
        match=r"^[^\n]*/Documents: not a folder a build wrote \(no summary\.json\) and not empty: it holds letter\.txt, "
        r"taxes/; a build replaces --out as a whole: pass --out DIR with a new or empty folder, or move those out of it$",
    ):
        tables.write_outputs(out, {"a.csv": b"1", "summary.json": _summary(["a.csv"])})
    assert _listing(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["Documents"]

    (out / "summary.json").write_text('{"mine": true}', encoding="utf-8")
    with pytest.raises(OutputError, match=r"\(its summary\.json is not a build's\) and not empty: it holds letter"):
        tables.write_outputs(out, {"a.csv": b"1", "summary.json": _summary(["a.csv"])})


def test_a_folder_holding_only_what_others_write_there_is_built_into(tmp_path: Path) -> None:
    assert {update.REPORT_JSON, update.REPORT_MD} <= tables._KNOWN
    out = tmp_path / "maps"  # as in a fresh clone after a refresh: the repository's README and the change report
    out.mkdir()
    kept = {"README.md": b"# maps/", update.REPORT_JSON: b"{}", update.REPORT_MD: b"# report"}
    for name, data in kept.items():
        (out / name).write_bytes(data)
    new = {"a.csv": b"1", "uk/a.html": b"page", "summary.json": _summary(["a.csv", "uk/a.html"])}
    tables.write_outputs(out, new)
    assert _listing(out) == _expected({**new, **kept})


def test_leftovers_of_killed_writes_are_removed_and_nothing_else(tmp_path: Path) -> None:
    out = _earlier_build(tmp_path / "maps", {"a.csv": b"old"})
    leftovers = [".maps.staging-0123abcd", ".maps.old-89abcdef"]
    kept = [
        ".maps.staging-0123abcg",
        ".maps.old-89abcdef0",
        ".other.staging-0123abcd",
        "maps.staging-0123abcd",
        ".maps",
    ]
    for name in [*leftovers, *kept]:
        (tmp_path / name / "uk").mkdir(parents=True)
        (tmp_path / name / "uk" / "a.html").write_bytes(b"half")
    (tmp_path / ".maps.staging-fedcba98").write_bytes(b"a file, not a folder a build makes")
    (tmp_path / ".maps.staging-76543210").symlink_to(tmp_path / ".other.staging-0123abcd")
    tables.write_outputs(out, {"a.csv": b"new", "summary.json": _summary(["a.csv"])})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["maps", *kept, ".maps.staging-fedcba98", ".maps.staging-76543210"]
    )
    assert (tmp_path / ".other.staging-0123abcd" / "uk" / "a.html").read_bytes() == b"half"


def test_outputs_of_a_language_not_built_again_are_gone(tmp_path: Path) -> None:
    out = _earlier_build(tmp_path / "maps", {"a.html": b"en", "uk/a.html": b"uk", "uk/print/a.png": b"uk"})
    tables.write_outputs(out, {"a.html": b"en 2", "summary.json": _summary(["a.html"])})
    assert _listing(out) == _expected({"a.html": b"en 2", "summary.json": _summary(["a.html"])})


def test_an_output_folder_that_is_a_link_stays_a_link(tmp_path: Path) -> None:
    real = _earlier_build(tmp_path / "disk" / "maps", {"a.csv": b"old", "gone.csv": b"old"})
    out = tmp_path / "maps"
    out.symlink_to(real)
    new = {"a.csv": b"new", "summary.json": _summary(["a.csv"])}
    tables.write_outputs(out, new)
    assert out.is_symlink()
    assert out.resolve() == real
    assert _listing(real) == _expected(new)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk", "maps"]
    assert [p.name for p in (tmp_path / "disk").iterdir()] == ["maps"]  # staged beside the folder, not the link

    real.rename(tmp_path / "disk" / "moved")
    with pytest.raises(OutputError, match=r"/maps: a symbolic link to .*/disk/maps, which does not exist; make"):
        tables.write_outputs(out, new)
    assert not real.exists()


def test_a_refused_write_leaves_the_leftovers_alone(tmp_path: Path) -> None:
    out = tmp_path / "maps"
    out.mkdir()
    (out / "mine.txt").write_bytes(b"mine")
    (tmp_path / ".maps.staging-0123abcd").mkdir()
    with pytest.raises(OutputError, match="not a folder a build wrote"):
        tables.write_outputs(out, {"summary.json": _summary([])})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".maps.staging-0123abcd", "maps"]


def _skip_without_exchange(folder: Path) -> None:
    (folder / "x").mkdir()
    (folder / "y").mkdir()
    try:
        files.exchange(folder / "x", folder / "y")
    except OSError as exc:
        if exc.errno in files.NO_EXCHANGE:
            pytest.skip(f"this file system cannot exchange two folders ({exc.strerror})")
        raise
    finally:
        (folder / "x").rmdir()
        (folder / "y").rmdir()


#: Run in a subprocess: for each number N read from stdin, fork a child that writes the outputs and SIGKILLs itself
#: at the N-th step that changes or flushes the file system (or, with "fallback", cannot exchange two folders);
#: print how the child ended.
_KILLER = """
import errno, json, os, signal, sys, traceback
from pathlib import Path
from geo import files, tables
out, new, fallback = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3] == "fallback"
STEPS = ("open", "mkdir", "rename", "replace", "link", "symlink", "unlink", "rmdir", "fsync", "chmod")
def unsupported(first, second):
    raise OSError(errno.EINVAL, "Invalid argument")
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        try:
            n, count = int(line), [0]
            def arm(real):
                def step(*args, **kwargs):
                    count[0] += 1
                    if count[0] == n:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return real(*args, **kwargs)
                return step
            for name in STEPS:
                setattr(os, name, arm(getattr(os, name)))
            if hasattr(files, "exchange"):
                files.exchange = arm(unsupported if fallback else files.exchange)
            tables.write_outputs(out, {name: data.encode() for name, data in new.items()})
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    print("killed" if killed else f"exit {os.waitstatus_to_exitcode(status)}", flush=True)
"""


@pytest.mark.parametrize("swap", ["exchange", "fallback"])
def test_a_write_killed_at_any_point_leaves_the_old_or_the_new_folder(tmp_path: Path, swap: str) -> None:
    out = tmp_path / "maps"
    old = {
        "a.csv": b"old a",
        "gone.csv": b"only the old build",
        "uk/a.html": b"old page",
        "summary.json": _summary(["a.csv", "gone.csv", "uk/a.html"]),
    }
    new = {
        "a.csv": b"new a",
        "b.csv": b"only the new build",
        "uk/a.html": b"new page",
        "uk/print/a.png": b"png",
        "summary.json": _summary(["a.csv", "b.csv", "uk/a.html", "uk/print/a.png"]),
    }
    foreign = {"refresh_report.md": b"report", "notes/mine.txt": b"mine"}
    as_old, as_new = _expected({**old, **foreign}), _expected({**new, **foreign})
    if swap == "exchange":
        _skip_without_exchange(tmp_path)
    missing = 0
    with subprocess.Popen(
        [sys.executable, "-c", _KILLER, str(out), json.dumps({k: v.decode() for k, v in new.items()}), swap],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"},
    ) as driver:  # fmt: skip
        assert driver.stdin is not None
        assert driver.stdout is not None
        states: list[str] = []
        try:
            for step in itertools.count(1):
                for path in tmp_path.iterdir():
                    shutil.rmtree(path)
                for name, data in {**old, **foreign}.items():
                    (out / name).parent.mkdir(parents=True, exist_ok=True)
                    (out / name).write_bytes(data)
                assert _listing(out) == as_old

                driver.stdin.write(f"{step}\n")
                driver.stdin.flush()
                ended = driver.stdout.readline().strip()

                if not out.exists():  # only between the two renames that stand in for an exchange
                    assert swap == "fallback", step
                    (kept,) = tmp_path.glob(".maps.old-*")
                    assert _listing(kept) == as_old, step
                    files.recover_tree(out)
                    missing += 1
                state = _listing(out)
                assert state in (as_old, as_new), f"killed at step {step}: neither the old nor the new folder: {state}"
                states.append("old" if state == as_old else "new")

                tables.write_outputs(out, new)  # the next write succeeds and cleans up
                assert _listing(out) == as_new
                assert [p.name for p in tmp_path.iterdir()] == ["maps"]
                if ended != "killed":
                    assert ended == "exit 0"
                    break
        finally:
            driver.stdin.close()
    assert (missing > 0) == (swap == "fallback")
    assert states[-1] == "new"  # the write that was not killed
    assert states == sorted(states, key=["old", "new"].index)  # old, …, old, new, …, new: one switch
    assert states.count("old") > 10
    assert states.count("new") > 3  # the old tree's removal, cut at every step, leaves the new folder


def test_history_dates_say_which_dates_the_history_used() -> None:
    dates = ["2022-04-30", "2022-05-31", "2026-08-01", "2026-08-21", "2026-08-22"]
    # 2026-08-01 is a dated snapshot that replaced the month-end file of that day
    record = tables.history_dates(dates, dated={"2026-08-01", "2026-08-21", "2026-09-01"}, snapshot_date="2026-08-22")
    assert record == {
        "count": 5,
        "first": "2022-04-30",
        "last": "2026-08-22",
        "snapshot": "2026-08-22",
        "month_end_files": {"count": 2, "first": "2022-04-30", "last": "2022-05-31"},
        "dated_snapshots": {"count": 2, "first": "2026-08-01", "last": "2026-08-21"},
        "longest_gap_days": 1523,  # 2022-05-31 → 2026-08-01
    }
    alone = tables.history_dates(["2026-08-22"], dated=set(), snapshot_date="2026-08-22")
    assert alone["dated_snapshots"] == {"count": 0, "first": None, "last": None}
    assert alone["longest_gap_days"] == 0
