"""Animations (issue 22 §1): ``build_maps.py --animate`` writes an MP4 and a GIF of each time-slider map.

The tiny world (tests/conftest.py) with three dated snapshots besides its two month-ends and its own snapshot: six
dates.  On each, Donetsk Oblast (UA14, lon 31–32) is occupied from the line of contact at lon ``west`` to 31.75
since 2022 and from 31.75 to 32 before (the pre-2022 zone).  Area within one latitude band is proportional to the
longitude span (equal-area CRS), so UA14's occupied share is 32 - west and Ukraine's (lon 30–33) a third of that.
Six dates give 4 frames a second (at least 4; 6 / 20 s is less) and the last date held 2 s: 6 + 7 = 13 frames.
"""

from __future__ import annotations

import gc
import json
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
import pytest
import shapely
from PIL import Image
from shapely.geometry import box

from geo import animate, build, catalogue, cli, i18n, join, occupation, plot, printmap, schema, store
from geo.occupation import snapshot
from tests.conftest import make_layers

#: The dated snapshots: day → the line of contact's longitude (occupied east of it); the second is a user's file.
DAYS = {"2026-08-01": 31.5, "2026-08-08": 31.4, "2026-08-15": 31.3}
#: Every date of the history and its line: the month-ends, the dated snapshots, the build's snapshot.
WEST = {"2025-01-31": 31.5, "2025-02-28": 31.25, **DAYS, "2026-08-22": 31.25}
FILE_CREDIT = "my_line.geojson"
FRAMES = 6 + 7  # six dates at 4 fps, the last held 2 s
#: Occupied since 2022 at 35 % over Ukraine's white: 0.35 × #a52714 + 0.65 × #ffffff.
SINCE_RGB = np.array([0.35 * 165 + 0.65 * 255, 0.35 * 39 + 0.65 * 255, 0.35 * 20 + 0.65 * 255])


def _store_day(layers: Path, day: str, west: float, *, credit: str | None = None) -> None:
    """Store a dated snapshot as the refresh stores it: occupied east of `west`; a user's file where `credit` is set."""
    moment = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    version, published = str(int(moment.timestamp())), occupation.iso_utc(moment)
    parsed = occupation.Parsed(box(west, 48, 32, 49), shapely.Polygon(), shapely.Polygon())
    path = store.snapshot_path(layers / schema.OCCUPATION_DIR, day)
    data = snapshot.snapshot_bytes(parsed, properties={"version_id": version, "published_utc": published})
    sidecar = snapshot.sidecar_for(
        data=data,
        file_name=path.name,
        url="https://example.org",
        occupation_source="deepstate" if credit is None else "file",
        version=version,
        published=published,
        snapshot_date=day,
        parsed=parsed,
        km2=0.0,
        check="test",
        changes="test",
    )
    if credit is not None:
        sidecar["credit"] = credit
    path.write_bytes(data)
    store.sidecar_path(path).write_text(json.dumps(sidecar), encoding="utf-8")


def _layers(root: Path) -> Path:
    layers = make_layers(root / "layers")
    for day, west in DAYS.items():
        _store_day(layers, day, west, credit=FILE_CREDIT if day == "2026-08-08" else None)
    return layers


@pytest.fixture(scope="module")
def layers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _layers(tmp_path_factory.mktemp("animated"))


@pytest.fixture(scope="module")
def animated(layers: Path) -> Path:
    """The tiny world built with ``--animate`` in English and Ukrainian, by the command line."""
    out = layers.parent / "maps"
    code = cli.build_maps(["--layers", str(layers), "--out", str(out), "--lang", "en,uk", "--animate"])
    assert code == cli.EXIT_OK
    return out


@pytest.fixture(scope="module")
def computed(layers: Path) -> tuple[build.Inputs, build.Results]:
    inputs = build.load(layers)
    return inputs, build.compute(inputs)


def _decoded(path: Path) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Decode an MP4 with imageio-ffmpeg: its metadata and its frames (height × width × 3)."""
    with warnings.catch_warnings():
        # read_frames leaves the pipes of an ffmpeg that has ended to the garbage collector: collected here
        warnings.simplefilter("ignore", ResourceWarning)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta: dict[str, Any] = next(reader)
        width, height = meta["size"]
        frames = [np.frombuffer(f, dtype=np.uint8).reshape(height, width, 3) for f in reader]
        reader.close()
        del reader
        gc.collect()
    return meta, frames


def _gif_frames(path: Path) -> tuple[tuple[int, int], int]:
    with Image.open(path) as image:
        return image.size, int(getattr(image, "n_frames", 1))


# --- the encoder, on frames made here ------------------------------------------------------


def _squares(count: int, channels: int = 3) -> list[np.ndarray]:
    """White 64 × 48 frames with a red 8 × 8 square moving 8 px right each frame."""
    frames = []
    for k in range(count):
        frame = np.full((48, 64, channels), 255, dtype=np.uint8)
        frame[16:24, 8 * k : 8 * k + 8, :3] = (200, 30, 20)
        frames.append(frame)
    return frames


def test_the_encoder_writes_every_frame_and_holds_the_last(tmp_path: Path) -> None:
    frames = _squares(3)
    mp4, gif = tmp_path / "a.mp4", tmp_path / "a.gif"
    mp4.write_bytes(animate.encode(frames, "mp4", fps=4, hold=3))
    gif.write_bytes(animate.encode(frames, "gif", fps=4, hold=3))
    assert mp4.read_bytes()[4:8] == b"ftyp"
    assert gif.read_bytes()[:6] == b"GIF89a"
    meta, decoded = _decoded(mp4)
    assert meta["size"] == (64, 48)
    assert meta["fps"] == 4
    assert len(decoded) == 3 + 3
    for k, frame in enumerate(decoded):
        at = min(k, 2)  # the held frames are the last one
        # the square's middle is red, a band under it white (H.264 is lossy: within a few levels)
        assert np.abs(frame[18:22, 8 * at + 2 : 8 * at + 6].astype(int) - (200, 30, 20)).max() <= 12
        assert np.abs(frame[36:44, 2:62].astype(int) - 255).max() <= 6
    assert _gif_frames(gif) == ((64, 48), 6)
    with Image.open(gif) as image:
        assert image.info["duration"] == 250  # 4 frames a second
        assert image.info["loop"] == 0
        image.seek(1)
        rgb = np.asarray(image.convert("RGB"))
    assert (rgb[16:24, 8:16] == (200, 30, 20)).all()  # a GIF keeps these few colours exactly
    assert (rgb[16:24, 0:8] == 255).all()


def test_the_encoder_gives_the_same_bytes_for_the_same_frames_whether_rgb_or_rgba() -> None:
    for kind in ("mp4", "gif"):
        once = animate.encode(_squares(4), kind, fps=5)
        again = animate.encode(_squares(4), kind, fps=5)
        rgba = animate.encode(_squares(4, channels=4), kind, fps=5)
        assert once == again == rgba
        assert animate.encode(_squares(4)[::-1], kind, fps=5) != once


def test_the_encoder_refuses_frames_it_cannot_encode() -> None:
    with pytest.raises(ValueError, match="even width"):
        animate.Writer("mp4", 63, 48, 4)
    frames = _squares(2)
    frames[1] = frames[1][:, :32]
    with pytest.raises(ValueError, match=r"expected \(48, 64, 3\)"):
        animate.encode(frames, "mp4", fps=4)
    with pytest.raises(ValueError, match="at least one frame"):
        animate.encode([], "mp4", fps=4)


@pytest.mark.parametrize(
    ("dates", "expected"),
    [(1, (4, 7)), (6, (4, 7)), (53, (4, 7)), (81, (5, 9)), (200, (10, 19)), (1120, (30, 59))],
)
def test_the_frame_rate_plays_a_history_in_about_20_s(dates: int, expected: tuple[int, int]) -> None:
    # ceil(dates / 20) frames a second, from 4 to 30; the last frame held 2 s: 2 × fps frames in all
    assert animate.timing(dates) == expected


# --- the build ---------------------------------------------------------------------------


def test_animate_writes_an_mp4_and_a_gif_per_size_of_each_slider_map_in_each_language(animated: Path) -> None:
    for folder in ("animations", "uk/animations"):
        names = sorted(p.name for p in (animated / folder).iterdir())
        assert names == sorted(
            f"{stem}{suffix}"
            for stem in ("overview", "donetsk")  # the two maps with a time slider
            for suffix in (".mp4", ".gif", "_card.mp4", "_card.gif")
        )
        for stem in ("overview", "donetsk"):
            for suffix, size in (("", (1600, 1000)), ("_card", (1080, 1080))):
                meta, frames = _decoded(animated / folder / f"{stem}{suffix}.mp4")
                assert meta["size"] == size
                assert meta["fps"] == 4
                assert len(frames) == FRAMES
                assert meta["pix_fmt"].startswith("yuv420p")
                assert _gif_frames(animated / folder / f"{stem}{suffix}.gif") == (size, FRAMES)
    summary = json.loads((animated / schema.SUMMARY_JSON).read_text(encoding="utf-8"))
    assert "animations/donetsk_card.gif" in summary["outputs"]
    assert "uk/animations/overview.mp4" in summary["outputs"]


def _since_width(frame: np.ndarray) -> int:
    """The most pixels of one row in the colour of ground occupied since 2022 (labels or markers cover some rows)."""
    near = (np.abs(frame.astype(float) - SINCE_RGB) <= 8).all(axis=2)
    return int(near.sum(axis=1).max())


def test_the_frames_follow_the_occupied_area_date_by_date(animated: Path) -> None:
    _meta, frames = _decoded(animated / "animations" / "donetsk.mp4")
    widths = [_since_width(f) for f in frames]
    # occupied since 2022 from the line to lon 31.75: 0.25°, 0.5°, 0.25°, 0.35°, 0.45°, 0.5° of the map's width
    spans = [31.75 - west for west in WEST.values()]
    assert widths[1] > 100  # half a degree of a 1° oblast framed in a 1,600 px figure
    for width, span in zip(widths, spans, strict=False):
        assert width / widths[1] == pytest.approx(span / 0.5, abs=0.04)
    # where the line moved west (2026-08-01 → 2026-08-08: lon 31.5 → 31.4) the map changed; the held frames did not
    moved = np.abs(frames[3].astype(int) - frames[2]).max(axis=2) > 40
    assert moved.sum() > 1000
    held = [np.abs(frames[k].astype(int) - frames[5]).mean() for k in range(6, FRAMES)]
    assert max(held) < 0.5  # H.264 refines a still picture frame by frame: within a level on average
    # the same line on 2025-01-31 and 2026-08-01: the same area (only the date and credit differ)
    assert widths[0] == pytest.approx(widths[2], abs=2)


def test_two_builds_of_the_same_inputs_write_the_same_animation_bytes(animated: Path, layers: Path) -> None:
    again = layers.parent / "again"
    build.build(layers, again, languages=("en", "uk"), animations=True)
    names = [p.relative_to(animated) for p in sorted(animated.rglob("*")) if "animations" in p.parts and p.is_file()]
    assert len(names) == 16
    for name in names:
        assert (again / name).read_bytes() == (animated / name).read_bytes(), name


# --- what each frame says ----------------------------------------------------------------------


def _makers(
    computed: tuple[build.Inputs, build.Results], lang: str, **changes: Any
) -> Iterator[tuple[str, printmap.FrameMaker]]:
    inputs, results = computed
    regions = results.regions.copy()
    for (rid, column), value in changes.get("names", {}).items():
        regions.loc[rid, column] = value
    maps = [spec for spec in catalogue.MAPS if spec.slider]
    geometry = build.print_geometry(inputs, results, maps)
    table = build.slider_history(results, list(results.series), maps)
    shares = dict(zip(zip(table["date"], table[schema.REGION_ID], strict=True), table["occupied_share"], strict=True))
    for spec in maps:
        steps = build.animation_steps(inputs, results, spec, shares)
        if "credit" in changes:
            steps = [printmap.Step(s.date, s.share, changes["credit"], s.statuses) for s in steps]
        maker = printmap.FrameMaker(
            geometry,
            spec.id,
            layout="web",
            regions=regions,
            deposits=results.deposits,
            words=i18n.words(lang),
            steps=steps,
        )
        yield spec.id, maker


def test_each_frame_states_its_date_its_snapshots_credit_and_the_regions_occupied_share(
    computed: tuple[build.Inputs, build.Results],
) -> None:
    makers = dict(_makers(computed, "en"))
    donetsk, overview = makers["donetsk"], makers["overview"]
    assert [s.date for s in donetsk.steps] == list(WEST)
    credits = ["test credit", "test credit", "DeepStateMap.Live", FILE_CREDIT, "DeepStateMap.Live", "test credit"]
    for k, (date, west) in enumerate(WEST.items()):
        subtitle, credits_line, stamp_date, stamp_share = donetsk.texts(k)
        share = f"{(32 - west) * 100:.1f}%"  # UA14's: (32 - west) / 1
        assert subtitle == f"Occupied areas as of {date} ({credits[k]}). Donetsk Oblast: {share} of the area occupied"
        assert (stamp_date, stamp_share) == (date, f"{share} occupied")
        assert f"Occupied areas: {credits[k]}" in credits_line
        country = f"{(32 - west) / 3 * 100:.1f}%"  # Ukraine's: (32 - west) / 3
        assert overview.texts(k)[0].endswith(f"Ukraine: {country} of the area occupied")
        assert overview.texts(k)[3] == f"{country} occupied"
    assert [donetsk.texts(k)[3] for k in range(6)] == [
        "50.0% occupied", "75.0% occupied", "50.0% occupied", "60.0% occupied", "70.0% occupied", "75.0% occupied"
    ]  # fmt: skip
    # the legend lists what any date shows: both parts, the line of contact, the snapshot's grey zone
    assert donetsk.legend[:4] == [
        "Occupied since 24 Feb 2022",
        "Occupied before 24 Feb 2022",
        "Grey zone: contested or unknown status (per the snapshot's source; not counted as occupied)",
        "Line of contact (edge of the occupied area)",
    ]
    frame = donetsk.frame(3, printmap.DatedOccupation(*_occupied(computed, "2026-08-08")))
    assert frame.shape == (1000, 1600, 4)
    assert frame.dtype == np.uint8
    ukrainian = dict(_makers(computed, "uk"))["donetsk"]
    assert ukrainian.texts(3)[3] == "окуповано 60,0\u00a0%"
    assert ukrainian.texts(3)[0] == (
        f"Окуповані території станом на 2026-08-08 ({FILE_CREDIT}). Донецька область: окуповано 60,0\u00a0% площі"
    )


def _occupied(computed: tuple[build.Inputs, build.Results], date: str) -> tuple[Any, Any, Any]:
    inputs, results = computed
    parts = results.series[date]
    return parts, join.front_line(parts, join.land_interior(inputs.country)), None


#: mathtext would parse this (and fail: no such command); HTML would run it; a spreadsheet would compute it.
HOSTILE = "$\\nosuchcommand{x}^2$ <img src=x onerror=alert(1)> =1+1"


def test_a_hostile_region_name_and_credit_are_drawn_as_plain_text(computed: tuple[build.Inputs, build.Results]) -> None:
    # the control: drawn as mathtext, this text stops matplotlib
    figure = plot.Figure(figsize=(2, 1), dpi=100)
    with pytest.raises(ValueError, match="nosuchcommand"):
        plot.Text(0, 0, HOSTILE, parse_math=True, figure=figure).draw(printmap._agg(200, 100, 100))
    names = {("UA14", "name_en"): f"Donetsk {HOSTILE}"}
    maker = dict(_makers(computed, "en", names=names, credit=f"Source {HOSTILE}"))["donetsk"]
    subtitle, credits_line, _date, _share = maker.texts(4)
    assert f"(Source {HOSTILE}). Donetsk {HOSTILE}: 70.0% of the area occupied" in subtitle
    assert f"Occupied areas: Source {HOSTILE}" in credits_line
    frame = maker.frame(4, printmap.DatedOccupation(*_occupied(computed, "2026-08-15")))  # drawn, as text
    plain = dict(_makers(computed, "en"))["donetsk"].frame(
        4, printmap.DatedOccupation(*_occupied(computed, "2026-08-15"))
    )
    assert frame.shape == plain.shape
    assert (frame != plain).any()  # the longer name and credit are there


def test_a_history_of_one_date_is_not_animated(tmp_path: Path) -> None:
    layers = make_layers(tmp_path / "layers")
    for month_end in (layers / schema.MONTHLY_DIR).glob("*.geojson"):  # only the snapshot's own date is left
        month_end.unlink()
    out = tmp_path / "maps"
    build.build(layers, out, animations=True)
    assert not (out / "animations").exists()
    assert (out / "print" / "donetsk.png").is_file()  # the date is still drawn, as a still
