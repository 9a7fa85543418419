"""Frames to video: an MP4 (H.264) and a GIF from RGB frames, encoded by the ffmpeg of the imageio-ffmpeg wheel.

A stage of its own that knows nothing of maps: a frame is an array of shape
(height, width, 3) or (height, width, 4), ``uint8`` RGB or opaque RGBA, all of one size; `geo.printmap.FrameMaker`
makes them and `geo.build` hands them over.  Frames are streamed to ffmpeg as
they come (`Writer`), so a history of a thousand days needs no more memory than
one of three dates.

The ffmpeg is the one the ``imageio-ffmpeg`` wheel ships (never the system's),
run with one thread per stage, a fixed frame rate, no metadata and bit-exact
flags, so that the same frames give the same bytes on every run of the same
wheel: the MP4 as H.264 (libx264, ``yuv420p``, BT.709, ``+faststart`` for the
web), the GIF with one palette made beforehand from sample frames (`palette`:
``palettegen``; ``paletteuse`` without dithering, each frame storing only the
rectangle that changed).  A different ffmpeg build (another wheel version) may
give other bytes for the same frames.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, Literal

import numpy as np

from geo.errors import OutputError

#: The formats, by file suffix.
Kind = Literal["mp4", "gif"]
#: An animation lasts about this long (seconds) at its frame rate, within `MIN_FPS` and `MAX_FPS`.
TARGET_SECONDS: Final = 20
#: The slowest frame rate (a monthly history of 53 dates plays in 13 s) and the fastest (a daily one of 1,100 in 37 s).
MIN_FPS: Final = 4
MAX_FPS: Final = 30
#: The last frame is held this long (seconds), so that a looping video rests on the newest date.
HOLD_SECONDS: Final = 2
#: H.264 quality (x264's constant rate factor: lower is better and larger; 18–23 is visually lossless for maps).
CRF: Final = 20
#: Colours of the GIF's palette (one more is kept for the transparency of unchanged pixels).
GIF_COLOURS: Final = 255
#: Flags that keep ffmpeg's output free of version strings, dates and other run-to-run differences.
BITEXACT: Final = ("-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1")


@functools.cache
def ffmpeg() -> str:
    """Return the path of the ffmpeg executable the imageio-ffmpeg wheel ships.

    Its own binary, in the package's ``binaries`` folder: not ``$IMAGEIO_FFMPEG_EXE`` nor a system ffmpeg, which
    `imageio_ffmpeg.get_ffmpeg_exe` would fall back on, so that every machine encodes with the same build.

    Raises
    ------
    geo.errors.OutputError
        The installed imageio-ffmpeg has no binary for this platform (installed from source, not a wheel).
    """
    import imageio_ffmpeg  # noqa: PLC0415  (only where something is encoded)

    folder = Path(imageio_ffmpeg.__file__).parent / "binaries"
    found = sorted(p for p in folder.glob("ffmpeg*") if p.is_file() and os.access(p, os.X_OK))
    if not found:
        msg = (
            f"{folder}: the imageio-ffmpeg package has no ffmpeg binary for this platform; reinstall it from its wheel "
            "(python3 -m pip install --force-reinstall --only-binary :all: imageio-ffmpeg) to use --animate"
        )
        raise OutputError(msg)
    return str(found[-1])


def timing(count: int) -> tuple[int, int]:
    """Return the frame rate for `count` dates and how many extra frames hold the last one (`HOLD_SECONDS`)."""
    fps = min(MAX_FPS, max(MIN_FPS, math.ceil(count / TARGET_SECONDS)))
    return fps, fps * HOLD_SECONDS - 1


#: The raw pixel format of a frame, by its channels: RGB, or RGBA (the alpha is ignored: frames are opaque).
PIXEL_FORMATS: Final = {3: "rgb24", 4: "rgba"}


def _raw_input(width: int, height: int, fps: int, channels: int) -> list[str]:
    size, pixels = f"{width}x{height}", PIXEL_FORMATS[channels]
    return ["-f", "rawvideo", "-pix_fmt", pixels, "-s", size, "-framerate", str(fps), "-i", "pipe:0"]


def _command(kind: Kind, size: tuple[int, int, int], fps: int, out: Path, palette: Path | None) -> list[str]:
    head = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *_raw_input(*size[:2], fps, size[2])]
    one = ["-threads", "1", "-filter_threads", "1", "-filter_complex_threads", "1"]
    if kind == "mp4":
        video = [
            "-vf",
            "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic,format=yuv420p,"
            "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv",
            "-c:v",
            "libx264",
            "-preset",
            "medium",
            "-tune",
            "animation",
            "-crf",
            str(CRF),
            "-profile:v",
            "high",
            "-x264-params",
            "threads=1:lookahead-threads=1",
            "-r",
            str(fps),
            "-movflags",
            "+faststart",
        ]
        return [*head, *one, *video, *BITEXACT, "-f", "mp4", str(out)]
    if palette is None:
        msg = "a GIF needs a palette (geo.animate.palette)"
        raise ValueError(msg)
    gif = [
        "-i",
        str(palette),
        "-lavfi",
        "[0:v][1:v]paletteuse=dither=none:diff_mode=rectangle",
        "-gifflags",
        "+transdiff+offsetting",
        "-loop",
        "0",
        "-r",
        str(fps),
    ]
    return [*head, *one, *gif, *BITEXACT, "-f", "gif", str(out)]


def _check(frame: np.ndarray, width: int, height: int, channels: int) -> np.ndarray:
    if frame.shape != (height, width, channels) or frame.dtype != np.uint8:
        msg = f"a frame of shape {frame.shape} ({frame.dtype}): expected ({height}, {width}, {channels}) uint8"
        raise ValueError(msg)
    return np.ascontiguousarray(frame)


def _run(command: list[str], data: bytes, what: str) -> None:
    result = subprocess.run(command, input=data, capture_output=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()[-400:]
        msg = f"ffmpeg failed making {what} (exit {result.returncode}): {detail}"
        raise OutputError(msg)


def _shape(frame: np.ndarray) -> tuple[int, int, int]:
    if frame.ndim != 3:
        msg = f"a frame of shape {frame.shape}: expected (height, width, 3 or 4)"
        raise ValueError(msg)
    height, width, channels = frame.shape
    return int(height), int(width), int(channels)


def palette(frames: Sequence[np.ndarray], *, colours: int = GIF_COLOURS) -> bytes:
    """Return a GIF palette (a 16 × 16 PNG, ffmpeg's ``palettegen``) for `frames`, counted over all of them.

    Give it frames that show every colour the GIF will (the first, a middle and the last date of a map).
    """
    if not frames:
        msg = "a palette needs at least one frame"
        raise ValueError(msg)
    height, width, channels = _shape(frames[0])
    data = b"".join(_check(f, width, height, channels).tobytes() for f in frames)
    with tempfile.TemporaryDirectory(prefix="geo-palette-") as tmp:
        out = Path(tmp) / "palette.png"
        command = [
            ffmpeg(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            *_raw_input(width, height, 1, channels),
            "-threads",
            "1",
            "-filter_threads",
            "1",
            "-vf",
            f"palettegen=max_colors={colours + 1}:reserve_transparent=1:stats_mode=full",
            "-frames:v",
            "1",
            "-update",
            "1",
            *BITEXACT,
            str(out),
        ]
        _run(command, data, "a GIF palette")
        return out.read_bytes()


class Writer:
    """One MP4 or GIF being encoded: frames are written one by one to ffmpeg, which runs alongside.

    Use it as a context manager: `finish` returns the file's bytes; leaving the
    block without it (an error, an interrupt) kills ffmpeg and removes its files.

    Parameters
    ----------
    kind
        ``mp4`` or ``gif``.
    width, height
        Of every frame, pixels (even, for the MP4's ``yuv420p``).
    channels
        3 (RGB) or 4 (RGBA, opaque: the alpha is dropped).
    fps
        Frames per second (constant).
    gif_palette
        For a GIF: the PNG from `palette`.
    """

    def __init__(
        self, kind: Kind, width: int, height: int, fps: int, *, channels: int = 3, gif_palette: bytes | None = None
    ) -> None:
        if channels not in PIXEL_FORMATS:
            msg = f"a frame has 3 (RGB) or 4 (RGBA) channels, not {channels}"
            raise ValueError(msg)
        if kind == "mp4" and (width % 2 or height % 2):
            msg = f"an MP4 (yuv420p) needs an even width and height, not {width} × {height}"
            raise ValueError(msg)
        self.kind, self.width, self.height, self.fps, self.channels = kind, width, height, fps, channels
        self.frames = 0
        self._last: np.ndarray | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="geo-animate-")
        folder = Path(self._tmp.name)
        self._out = folder / f"out.{kind}"
        palette_path = None
        if gif_palette is not None:
            palette_path = folder / "palette.png"
            palette_path.write_bytes(gif_palette)
        self._log = (folder / "ffmpeg.log").open("wb")
        self._process = subprocess.Popen(
            _command(kind, (width, height, channels), fps, self._out, palette_path),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def write(self, frame: np.ndarray) -> None:
        """Send one frame to ffmpeg (it blocks while ffmpeg's input buffer is full)."""
        data = _check(frame, self.width, self.height, self.channels)
        stdin = self._process.stdin
        if stdin is None:
            msg = f"the {self.kind} is finished: no more frames"
            raise OutputError(msg)
        try:
            stdin.write(data.data.cast("B"))
        except BrokenPipeError:
            self._fail()
        self._last = data
        self.frames += 1

    def hold(self, count: int) -> None:
        """Write the last frame `count` more times."""
        if self._last is None:
            msg = "nothing to hold: no frame was written"
            raise ValueError(msg)
        last = self._last
        for _ in range(count):
            self.write(last)

    def finish(self) -> bytes:
        """Close ffmpeg's input, wait for it, and return the file's bytes."""
        if self._process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
        if self._process.wait() != 0 or self.frames == 0:
            self._fail()
        data = self._out.read_bytes()
        self.close()
        return data

    def _fail(self) -> None:
        self._process.wait()
        self._log.flush()
        detail = Path(self._log.name).read_bytes().decode("utf-8", "replace").strip()[-400:]
        frames = "" if self.frames else " (no frames)"
        self.close()
        msg = f"ffmpeg failed making the {self.kind}{frames} (exit {self._process.returncode}): {detail}"
        raise OutputError(msg)

    def close(self) -> None:
        """Stop ffmpeg if it still runs and remove the temporary files (the bytes were returned by `finish`)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
        self._log.close()
        self._tmp.cleanup()


def encode(
    frames: Iterable[np.ndarray], kind: Kind, *, fps: int, hold: int = 0, gif_palette: bytes | None = None
) -> bytes:
    """Encode `frames` (all of one size) as an MP4 or a GIF, the last held `hold` more frames; return the bytes.

    A GIF's palette is made from its first, middle and last frame unless `gif_palette` is given (the frames are then
    all held in memory: stream long animations through a `Writer` with a palette made beforehand).
    """
    if kind == "gif" and gif_palette is None:
        frames = list(frames)
        if frames:
            gif_palette = palette([frames[0], frames[len(frames) // 2], frames[-1]])
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        msg = f"an {kind} needs at least one frame"
        raise ValueError(msg)
    height, width, channels = _shape(first)
    with Writer(kind, width, height, fps, channels=channels, gif_palette=gif_palette) as writer:
        writer.write(first)
        for frame in iterator:
            writer.write(frame)
        writer.hold(hold)
        return writer.finish()
