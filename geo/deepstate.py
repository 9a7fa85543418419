"""The DeepStateMap protocol: API routes, fetching with limits, the classifier across naming eras, checks.

The pieces an unattended refresh needs, each small:

- `fetch_json`, `fetch_bytes`: one HTTP GET with a total deadline, bounded
  retries with backoff, ``429 Retry-After`` honoured, a size cap, an honest
  User-Agent, http(s) only (redirects too, at most `MAX_REDIRECTS` hops).
- `Deadline`, `within`: one deadline per version over all its requests
  (each takes at most what is left), waits and checks (stopped by an alarm).
- `parse_features`: DeepState's features of every naming era (tokens since
  2024-03, ``Ukrainian /// English`` names since 2022-05, Ukrainian names and
  black fills in April–May 2022) → the occupied area, its pre-2022 part and the
  grey zone.  Editorial "occupied" areas outside Ukraine are dropped (and their
  area by fill colour kept, because DeepState's own ``/areas`` counts them);
  Z is dropped; GeometryCollections are unwrapped.  The rules are those of
  ../shared/data/occupation/API.md §1.6.  Every field read from a server is
  type-checked first: a wrong type is one `RefreshError`, never a traceback.
- `check_parsed`, `check_against_official`, `check_grey_zone`, `check_jump`:
  the checks a version must pass before it is stored.
- `snapshot_bytes`, `sidecar_for`: what gets written.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import math
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import shapely
from pyproj import Transformer

from geo import __version__, schema, store, style
from geo.errors import RefreshError

DEFAULT_BASE_URL: Final = "https://deepstatemap.live/api"
BASE_URL_ENV: Final = "DEEPSTATE_API_URL"
USER_AGENT: Final = f"resource-control-mapper/{__version__} (occupation refresh; +https://deepstatemap.live credit)"
MAX_BYTES: Final = 20 * 1024 * 1024
#: Total seconds one request may take, body included (not per read).
TIMEOUT_S: Final = 30.0
RETRIES: Final = 3
MAX_REDIRECTS: Final = 5
#: First backoff pause (seconds); doubles on each retry.  Retry-After is capped at `MAX_WAIT_S`.
BACKOFF_S: Final = 1.0
MAX_WAIT_S: Final = 120.0
#: Caps on what one payload may cost to repair, union and draw: 3 times the most in the whole public archive
#: (1,359 versions, 2022-04 → 2025-08: 1,003 vertices in one polygon, 15,696 in one version).  The checks of a
#: hostile polygon grow with the square of its vertices (a valid ring of radial spikes: 2.4 s at 3,000, 6 s at
#: 5,000, 23 s at 10,000; bench/geometry_checks.py), so the caps stay close to real data; the version's deadline
#: bounds the rest.
MAX_VERTICES: Final = 50_000
MAX_POLYGON_VERTICES: Final = 3_000
#: A user's ``--from-file`` is already a union (the real version of 2025-08-03 unions into a 3,192-vertex polygon;
#: another source may draw larger ones): it keeps the caps of before, the deadline bounding its checks.
FILE_MAX_VERTICES: Final = 2_000_000
FILE_MAX_POLYGON_VERTICES: Final = 500_000
#: One version's deadline, as a multiple of the request timeout: its geojson and /areas requests, every retry and
#: Retry-After wait, and its checks must all end within it (2 × 30 s by default).
VERSION_TIMEOUTS: Final = 2.0
#: Plausible occupied area (EPSG:6933): 2022-04 → 2026-08 ranged 106,883–125,184 km².
PLAUSIBLE_KM2: Final = (100_000.0, 130_000.0)
#: Our area against DeepState's own ``/areas`` figure for the same version, after and before 24 Feb 2022 each.
OFFICIAL_TOLERANCE: Final = 0.01
#: Our grey zone (clipped to Ukraine) may exceed DeepState's own ``unspecified`` figure by at most this (km²).
#: DeepState sums one grey colour (#bcaaa4), not clipped; we take every grey-zone polygon inside Ukraine.  Over the
#: 1,359 versions of the archive ours exceeds its figure by at most 1,222 km² (April 2022: grey areas drawn in
#: other colours); it may be far below (2 Feb 2023: 421 against 26,345 km², a 25,772 km² grey patch in the
#: Arabian Sea), so there is no lower bound.
GREY_EXCESS_KM2: Final = 2_500.0
#: Without DeepState's figure, the grey zone may cover at most this (km²): the archive's largest is 7,022 km²
#: (4 Apr 2022; DeepState's largest figure inside Ukraine 7,843 km²); all of Ukraine less the occupied area is ~488,000.
MAX_GREY_KM2: Final = 20_000.0
#: Without ``/areas``: the change allowed from the nearest earlier stored snapshot, base + per day, capped.
JUMP_BASE_SHARE: Final = 0.02
JUMP_PER_DAY_SHARE: Final = 0.002
JUMP_MAX_SHARE: Final = 0.10
LICENCE: Final = (
    "DeepStateMap.Live terms: free for volunteer, charitable and Ukraine-defence (non-commercial) use with credit; "
    "commercial use needs prior approval; no redistribution as a standalone data set"
)
CREDIT: Final = f"Source: {style.OCCUPATION_CREDIT}"
_VERSION_RE = re.compile(r"[0-9]{1,12}", re.ASCII)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# --- routes -------------------------------------------------------------------------------


def printable(text: object, *, limit: int | None = 200) -> str:
    """Return server- or file-derived `text` safe to print on one line: control characters escaped, length capped."""
    value = _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return value if limit is None or len(value) <= limit else value[: limit - 1] + "…"


def base_url(explicit: str | None, environ: Mapping[str, str]) -> str:
    """Pick the API base URL: the option, else ``DEEPSTATE_API_URL``, else the public API."""
    url = (explicit or environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or _CONTROL_CHARS.search(url):
        msg = f"base URL {url!r} is not an http(s) URL; pass --base-url https://… or set {BASE_URL_ENV}"
        raise RefreshError(msg)
    if parts.username is not None or parts.password is not None:
        msg = f"base URL of {host!r} has a user name or password in it; they are not supported (and would be printed)"
        raise RefreshError(msg)
    return url


def last_url(base: str) -> str:
    """Return the URL of the newest version, wrapped as ``{"id": …, "map": FeatureCollection}``."""
    return f"{base}/history/last"


def listing_url(base: str) -> str:
    """Return the URL of the list of every published version."""
    return f"{base}/history/public"


def geojson_url(base: str, version: str) -> str:
    """Return the URL of one version's bare FeatureCollection."""
    return f"{base}/history/{version}/geojson"


def areas_url(base: str, version: str) -> str:
    """Return the URL of DeepState's own area totals of one version, by fill colour."""
    return f"{base}/history/{version}/areas"


#: Version ids are Unix seconds of publication: none before 2022.
_FIRST_VERSION = store.FIRST_VERSION  # 2022-01-01T00:00:00Z (its one home: the stored history checks it too)


def check_version_id(version: str) -> str:
    """Return `version` if it is a DeepState version id (ASCII digits only: it becomes part of file names)."""
    if not _VERSION_RE.fullmatch(version) or not _FIRST_VERSION <= int(version) <= time.time() + 86_400:
        shown = repr(version[:40] + ("…" if len(version) > 40 else "")) if version else "(missing)"
        msg = f"version id {shown} is not a DeepState version id (Unix seconds since 2022, e.g. 1754251105)"
        raise RefreshError(msg)
    return version


def version_time(version: str) -> datetime:
    """DeepState version ids are Unix seconds of publication."""
    return datetime.fromtimestamp(int(version), tz=UTC)


def iso_utc(moment: datetime) -> str:
    """Format a UTC time as ISO 8601 to the second with a ``Z``."""
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now_utc() -> str:
    """Return the current UTC time, ISO 8601 to the second."""
    return iso_utc(datetime.now(tz=UTC))


@dataclass(frozen=True)
class Version:
    """One published DeepState map version."""

    version: str
    published: str  # ISO UTC
    date: str  # YYYY-MM-DD (UTC) of publication


def version_of(version: str) -> Version:
    """Describe version id `version` (checked)."""
    when = version_time(check_version_id(version))
    return Version(version, iso_utc(when), when.date().isoformat())


def list_versions(listing: Any, *, source: str) -> list[Version]:
    """Return the published versions of a ``/history/public`` listing, oldest first.

    Entries with ``status`` not true are left out; malformed entries are
    skipped, but a listing with entries and none usable means the API changed.
    """
    if not isinstance(listing, list):
        msg = f"{source}: expected a JSON list of versions; the API may have changed"
        raise RefreshError(msg)
    found: dict[str, Version] = {}
    malformed = 0
    for record in listing:
        if not isinstance(record, dict) or not isinstance(record.get("status"), bool):
            malformed += 1
            continue
        if record["status"] is not True:
            continue
        try:
            item = version_of(str(record.get("id", ""))[:20])
        except RefreshError:
            malformed += 1
            continue
        found[item.version] = item
    if listing and not found and malformed:
        msg = f"{source}: none of its {len(listing)} entries is a version (id and status); the API may have changed"
        raise RefreshError(msg)
    return sorted(found.values(), key=lambda v: int(v.version))


# --- fetching ------------------------------------------------------------------------------


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most `MAX_REDIRECTS` redirects, and only to http(s)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(  # noqa: PLR0917  (the signature urllib calls)
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            text = f"{req.full_url}: redirected to {printable(newurl)!r}, which is not http(s); refusing it"
            raise RefreshError(text)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Watchdog:
    """Shut the request's sockets down when its total deadline passes, whatever phase it is in.

    A per-read socket timeout cannot bound a server that sends its status
    line, headers or chunk sizes a byte at a time; shutting the socket down
    from a timer can.
    """

    local = threading.local()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.fire)
        self.timer.daemon = True

    def __enter__(self) -> _Watchdog:
        _Watchdog.local.current = self
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.cancel()
        _Watchdog.local.current = None

    def fire(self) -> None:
        with self.lock:
            self.fired = True
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        current = getattr(cls.local, "current", None)
        if current is None or sock is None:
            return
        with current.lock:
            current.sockets.append(sock)
            fired = current.fired
        if fired:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _HTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _Watchdog.watch(self.sock)


class _HTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _Watchdog.watch(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req)


_OPENER = urllib.request.build_opener(_Redirects(), _HTTPHandler(), _HTTPSHandler())


class DeadlineError(RefreshError):
    """A version's deadline passed before its requests and checks were done."""


@dataclass(frozen=True)
class Deadline:
    """One version's deadline: all its requests, retries, waits and checks end by `at` (``time.monotonic()``)."""

    at: float
    seconds: float  # the whole budget, for messages

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """Return the deadline `seconds` from now."""
        return cls(time.monotonic() + seconds, seconds)

    def left(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()

    def text(self) -> str:
        """Name the deadline in a message."""
        return f"the version's deadline ({self.seconds:g} s for all its requests and checks)"


class Late(BaseException):
    """Raised by the alarm of `within` (a BaseException, so that no ``except Exception`` swallows it).

    `within` turns it into a `DeadlineError`; an alarm that lands in the very
    first instant of leaving the block escapes as this, once (the handler
    raises once per arming): callers catch it, `disarm`, and refuse the version.
    """


_ALARM = {"armed": False}
_ALARM_AFTER_S: Final = 0.5


def _on_alarm(_signum: int, _frame: object) -> None:
    """Raise once per arming (the repeats only matter while it has not landed); inert when disarmed."""
    if _ALARM["armed"]:
        _ALARM["armed"] = False
        raise Late


def disarm() -> None:
    """Stop the deadline alarm (its handler is inert once disarmed)."""
    _ALARM["armed"] = False
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)


def _can_alarm() -> bool:
    """SIGALRM is ours to use: main thread, no other handler, no timer running (pytest-timeout, say)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    return signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None, _on_alarm) and not any(
        signal.getitimer(signal.ITIMER_REAL)
    )


class within:  # noqa: N801  (used as a function: ``with within(deadline, source=…):``)
    """Run the body (parsing, checks, requests) and stop it when `deadline` passes.

    An alarm raises in the main thread half a second after the deadline (a
    request cut at the deadline says so itself first); it repeats every half
    second but raises once.  Python code stops at once; a GEOS operation stops
    at once if it polls for signals through shapely (repairs, buffers,
    simplification), or else when it returns.  Where the alarm cannot be used
    (another thread, SIGALRM taken) or did not land (in a finaliser), the
    deadline is checked when the body ends.  Either way the version is refused
    with a `DeadlineError` naming `source`.

    The handler, once installed, stays: restoring the default while an alarm
    is on its way would let that alarm end the process or surface as an
    ``OSError`` later.  Disarmed, it does nothing.
    """

    def __init__(self, deadline: Deadline | None, *, source: str) -> None:
        self.deadline = deadline
        self.late = (
            f"{source}: stopped at {deadline.text()}; a hostile or damaged response, or an overloaded machine?"
            if deadline
            else ""
        )
        self.alarm = False

    def __enter__(self) -> None:
        """Arm the alarm (where SIGALRM is ours); refuse at once if the deadline has passed."""
        if self.deadline is None:
            return
        left = self.deadline.left()
        if left <= 0:
            raise DeadlineError(self.late)
        self.alarm = _can_alarm() and not _ALARM["armed"]
        if self.alarm:
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, left + _ALARM_AFTER_S, _ALARM_AFTER_S)
            _ALARM["armed"] = True

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        """Disarm; turn an alarm, or a deadline passed meanwhile, into a `DeadlineError`."""
        try:
            late = isinstance(exc, Late)
            if self.alarm:
                disarm()
        except Late:  # landed just as the body ended, before the disarm took hold
            late = True
            disarm()
        if self.deadline is not None and (late or self.deadline.left() <= 0):
            raise DeadlineError(self.late) from None


def _retry_after(header: str | None, attempt: int, timeout: float = MAX_WAIT_S) -> float:
    """Seconds to wait before the next attempt: ``Retry-After`` or a doubling backoff, never over the timeout."""
    cap = min(MAX_WAIT_S, max(timeout, BACKOFF_S))
    value = (header or "").strip()
    if value and value.isascii() and value.isdigit() and len(value) < 8:
        return float(min(float(value), cap))
    return float(min(BACKOFF_S * 2**attempt, cap))


@dataclass(frozen=True)
class Response:
    """A fetched body, its content type and the URL it finally came from."""

    body: bytes
    kind: str
    url: str


def _read_body(response: Any, *, max_bytes: int, deadline: float, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
        if isinstance(sock, socket.socket):
            sock.settimeout(max(0.01, left))
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            msg = f"{url}: response larger than {max_bytes / 1024 / 1024:g} MiB; refusing it"
            raise RefreshError(msg)
        chunks.append(chunk)


def _retryable(exc: urllib.error.HTTPError, shown: str) -> str:
    """Name an HTTP error worth retrying (5xx, 429); raise at once for the others."""
    if exc.code in (301, 302, 303, 307, 308):
        to = printable(exc.headers.get("Location", "") if exc.headers else "", limit=120)
        if "not allowed" in str(exc.reason):  # urllib's word for a redirect to another scheme
            msg = f"{shown}: redirected to {to!r}, which is not http(s); refusing it"
        else:
            msg = f"{shown}: too many redirects (more than {MAX_REDIRECTS}); check --base-url"
        raise RefreshError(msg) from exc
    if exc.code != 429 and exc.code < 500:
        msg = f"{shown}: HTTP {exc.code} {printable(exc.reason, limit=80)}"
        raise RefreshError(msg) from exc
    return f"HTTP {exc.code}"


def _attempt(
    request: urllib.request.Request, *, allowed: float, timeout: float, max_bytes: int, attempt: int, timed_out: str
) -> Response | tuple[str, float]:
    """One GET within `allowed` seconds: the response, or what went wrong and how long to wait before retrying."""
    shown = printable(request.full_url)
    until = time.monotonic() + allowed
    watchdog = _Watchdog(allowed)
    header = None
    try:
        with watchdog, _OPENER.open(request, timeout=allowed) as response:
            body = _read_body(response, max_bytes=max_bytes, deadline=until, url=shown)
            kind = str(response.headers.get("Content-Type", ""))
            length = str(response.headers.get("Content-Length", "")).strip()
            final = str(response.geturl())
    except urllib.error.HTTPError as exc:
        problem = timed_out if watchdog.fired else _retryable(exc, shown)
        header = exc.headers.get("Retry-After") if exc.headers and not watchdog.fired else None
    except TimeoutError:
        problem = timed_out
    except urllib.error.URLError as exc:
        if watchdog.fired or isinstance(exc.reason, TimeoutError | socket.timeout):
            problem = timed_out
        else:
            problem = f"cannot connect ({printable(exc.reason, limit=80)})"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        problem = timed_out if watchdog.fired else f"connection broken ({type(exc).__name__})"
    else:
        if watchdog.fired:
            problem = timed_out
        elif length.isascii() and length.isdigit() and len(length) < 12 and len(body) < int(length):
            problem = f"response cut short ({len(body)} of {length} bytes)"
        else:
            return Response(body, kind, final)
    return problem, _retry_after(header, attempt, timeout)


def fetch(
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    retries: int = RETRIES,
    max_bytes: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    deadline: Deadline | None = None,
) -> Response:
    """GET `url` within `timeout` seconds in all (connection, headers and body).

    Timeouts, connection errors, HTTP 5xx and 429 are retried up to `retries`
    times (``Retry-After`` honoured, otherwise exponential backoff); other
    HTTP errors, a body over `max_bytes` and a redirect to another scheme fail at once.
    With a `deadline` (the version's), each attempt takes at most what is left
    of it, and no wait is begun that would end past it.

    Raises
    ------
    geo.errors.RefreshError
        With one line saying what failed and where (a `DeadlineError` when the deadline passed).
    """
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        msg = f"{printable(url)}: only http(s) URLs are fetched"
        raise RefreshError(msg)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    problem = ""
    shown = printable(url)
    for attempt in range(retries + 1):
        allowed = timeout if deadline is None else min(timeout, deadline.left())
        if deadline is not None and allowed <= 0:
            then = f"{problem} after {attempt} attempts, then" if attempt else "not requested:"
            msg = f"{shown}: {then} {deadline.text()} passed; try again later"
            raise DeadlineError(msg)
        cut = deadline is not None and allowed < timeout
        timed_out = (
            f"stopped at {deadline.text()}" if deadline is not None and cut else f"timed out after {timeout:g} s"
        )
        outcome = _attempt(
            request, allowed=allowed, timeout=timeout, max_bytes=max_bytes, attempt=attempt, timed_out=timed_out
        )
        if isinstance(outcome, Response):
            return outcome
        problem, wait = outcome
        if cut and problem == timed_out:
            msg = f"{shown}: {problem} after {attempt + 1} attempts; try again later"
            raise DeadlineError(msg)
        if attempt < retries:
            if deadline is not None and wait >= deadline.left():
                msg = (
                    f"{shown}: {problem} after {attempt + 1} attempts; waiting {wait:g} s to retry would pass "
                    f"{deadline.text()}; try again later"
                )
                raise DeadlineError(msg)
            sleep(wait)
    msg = f"{shown}: {problem} after {retries + 1} attempts; try again later"
    raise RefreshError(msg)


def fetch_bytes(url: str, **options: Any) -> bytes:
    """GET `url` (as `fetch`) and return its body."""
    return fetch(url, **options).body


def parse_json(response: Response) -> Any:
    """Parse a fetched JSON body; an HTML page or broken JSON is one clear error."""
    try:
        return json.loads(response.body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        html = "html" in response.kind.lower() or response.body.lstrip()[:1] == b"<"
        what = "an HTML page, not JSON" if html else "not valid JSON (truncated or damaged)"
        msg = f"{printable(response.url)}: the response is {what}"
        raise RefreshError(msg) from exc


def fetch_json(url: str, **options: Any) -> Any:
    """GET `url` (as `fetch`) and parse its JSON body."""
    return parse_json(fetch(url, **options))


# --- classifying --------------------------------------------------------------------------

OCCUPIED_KEYS: Final = ("occupied", "crimea", "ordlo", "tuzla")
PRE2022_KEYS: Final = ("crimea", "ordlo", "tuzla")
_TOKEN = re.compile(r"geoJSON\.(?:status|territories)\.([a-z_\-]+)")
_FOREIGN_WORDS = (
    "придністров", "transnistria", "абхаз", "abkhaz", "цхінвал", "tskhinval", "карел", "karelia", "прусс",
    "prussia", "курил", "kuril", "латві", "latvia", "естоні", "estonia", "петсамо", "petsamo", "салла", "salla",
    "печорськ", "pechor", "ічкері", "ichker",
)  # fmt: skip
_FILL_CLASS = {
    "#a52714": "occupied",
    "#bcaaa4": "unknown",
    "#bdbdbd": "unknown",
    "#757575": "unknown",
    "#0f9d58": "liberated",
    "#0288d1": "liberated",
    "#01579b": "liberated",
    "#ff5252": "foreign",
    "#ce93d8": "foreign",
}
#: The fill colours DeepState's ``/areas`` sums as occupied after / before 24 Feb 2022.
AFTER_FILL: Final = "#a52714"
BEFORE_FILL: Final = "#880e4f"


def _by_token(name: str) -> str | None:
    token = _TOKEN.search(name)
    if not token:
        return None
    key = token.group(1)
    if key in OCCUPIED_KEYS or key == "unknown":
        return key
    if key.startswith("dismissed"):
        return "liberated"
    return "other" if key == "kyiv" else "foreign"


def _by_name(lowered: str) -> str | None:
    if any(word in lowered for word in _FOREIGN_WORDS):
        return "foreign"
    for words, key in ((("крим", "crimea"), "crimea"), (("ордло", "cadr"), "ordlo"), (("тузла", "tuzla"), "tuzla")):
        if any(word in lowered for word in words):
            return key
    return None


def _by_words(lowered: str) -> str:
    for words, key in (
        (("окупов", "occupied"), "occupied"),
        (("під питанням", "contested", "contensed", "невідом", "unknown"), "unknown"),
        (("звільнено", "liberated", "taken back"), "liberated"),
    ):
        if any(word in lowered for word in words):
            return key
    return "other"


def classify(properties: Mapping[str, Any]) -> str:
    """Classify one DeepState polygon: occupied, crimea, ordlo, tuzla, unknown, liberated, foreign or other.

    In order: the ``geoJSON.<kind>.<key>`` token (since 2024-03); foreign and
    pre-2022 names (all eras); the fill colour; words in the name.
    """
    name = str(properties.get("name") or "")[:2000].replace("\xa0", " ")
    lowered = name.casefold()
    fill = str(properties.get("fill") or "").strip().lower()
    return _by_token(name) or _by_name(lowered) or _FILL_CLASS.get(fill) or _by_words(lowered)


def _json_type(value: object) -> str:
    """Name the JSON type of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    for kinds, name in (((int, float), "a number"), (str, "a string"), (list, "a list"), (dict, "an object")):
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def _polygons(geometry: Any, depth: int = 0) -> list[shapely.Geometry]:
    """Return the 2-D polygons of a GeoJSON geometry (GeometryCollections unwrapped, Z dropped).

    A null geometry, another geometry type and an empty Polygon give nothing;
    a member of the wrong JSON type anywhere (a list where an object belongs,
    a string or true/false for a coordinate) raises `TypeError`, an impossible
    shape `ValueError`.
    """
    if geometry is None or depth > 3:
        return []
    if not isinstance(geometry, dict):
        msg = f"it is {_json_type(geometry)}, not an object"
        raise TypeError(msg)
    kind = geometry.get("type")
    if not isinstance(kind, str):
        msg = f"its type is {_json_type(kind)}, not a string"
        raise TypeError(msg)
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            msg = f"a GeometryCollection's geometries are {_json_type(members)}, not a list"
            raise TypeError(msg)
        return [p for g in members for p in _polygons(g, depth + 1)]
    if kind not in ("Polygon", "MultiPolygon"):
        return []
    coords = geometry.get("coordinates")
    if not isinstance(coords, list):
        msg = f"a {kind} has no coordinates list"
        raise TypeError(msg)
    out: list[shapely.Geometry] = []
    for poly in [coords] if kind == "Polygon" else coords:
        if not isinstance(poly, list):
            msg = f"a {kind} has a polygon that is {_json_type(poly)}, not a list of rings"
            raise TypeError(msg)
        if not poly:
            continue  # an empty Polygon: nothing to draw
        rings = [_ring(ring, kind) for ring in poly]
        if len(rings[0]) < 4:
            msg = f"a {kind} ring has fewer than 4 positions"
            raise ValueError(msg)
        out.append(shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
    return out


def _ring(ring: Any, kind: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Return a GeoJSON ring's positions as an (n, 2) array of finite lon/lat (Z dropped)."""
    if not isinstance(ring, list) or any(not isinstance(p, list) or len(p) < 2 for p in ring):
        msg = f"a {kind} ring is not a list of positions"
        raise ValueError(msg)
    if any(type(p[0]) not in _NUMBERS or type(p[1]) not in _NUMBERS for p in ring):
        msg = f"a {kind} has coordinates that are not pairs of finite numbers"
        raise TypeError(msg)
    xy = np.asarray([p[:2] for p in ring], dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        msg = f"a {kind} has coordinates that are not pairs of finite numbers"
        raise ValueError(msg)
    return xy


#: JSON numbers as the parser gives them (``bool`` is not one of them: ``type(True) is bool``).
_NUMBERS: Final = (int, float)


def _inside_box(geom: shapely.Geometry, box: tuple[float, float, float, float]) -> bool:
    point = shapely.point_on_surface(geom)
    xmin, ymin, xmax, ymax = box
    return bool(xmin <= point.x <= xmax and ymin <= point.y <= ymax)


@dataclass
class Parsed:
    """The occupied area of one DeepState version, and what parsing noticed."""

    occupied: shapely.Geometry
    pre2022: shapely.Geometry
    contested: shapely.Geometry = field(default_factory=shapely.Polygon)
    counts: dict[str, int] = field(default_factory=dict)
    repaired: int = 0
    outside_box: int = 0
    #: Area (km²) of editorial areas outside Ukraine, by fill colour: DeepState's ``/areas`` counts them.
    foreign_by_fill: dict[str, float] = field(default_factory=dict)


def feature_collection(payload: Any) -> list[Mapping[str, Any]]:
    """Return the features of a ``/history/last`` (``{"map": …}``) or ``/history/{id}/geojson`` payload."""
    collection = payload.get("map", payload) if isinstance(payload, dict) else None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        msg = "the response has no GeoJSON features (expected a FeatureCollection, or {'map': FeatureCollection})"
        raise RefreshError(msg)
    for number, feature in enumerate(features, 1):
        if not isinstance(feature, dict):
            msg = f"feature {number} is {_json_type(feature)}, not a GeoJSON object; the API may have changed"
            raise RefreshError(msg)
    return features


def _valid(polygon: shapely.Geometry) -> shapely.Geometry:
    return polygon if shapely.is_valid(polygon) else _repair(polygon)


def _properties(feature: Mapping[str, Any], number: int) -> dict[str, str]:
    """Return the polygon feature's ``name`` and ``fill`` (the only properties read), each checked to be text."""
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        msg = f"feature {number}'s properties are {_json_type(properties)}, not an object; the API may have changed"
        raise RefreshError(msg)
    out = {}
    for key in ("name", "fill"):
        value = properties.get(key)
        if value is not None and not isinstance(value, str):
            msg = f"feature {number}'s {key} is {_json_type(value)}, not a string; the API may have changed"
            raise RefreshError(msg)
        out[key] = value or ""
    return out


def _repair(geom: shapely.Geometry) -> shapely.Geometry:
    """Make a polygon valid: shells unioned less holes (GEOS "structure"), polygons only.

    On all 38 distinct invalid polygons of the archive it gives exactly what the default ("linework") gives; on a
    self-intersecting ring it costs a small fraction (a 20,000-vertex star: 8 s against 125 s) and, unlike
    linework's polygon building, it stops when `within`'s alarm asks.
    """
    return shapely.make_valid(geom, method="structure", keep_collapsed=False)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    keep = parts[shapely.get_type_id(parts) >= shapely.GeometryType.POLYGON]
    return shapely.union_all(keep) if len(keep) else shapely.Polygon()


def parse_features(
    features: Sequence[Mapping[str, Any]],
    *,
    box: tuple[float, float, float, float] = schema.UKRAINE_BBOX,
    max_polygon_vertices: int | None = None,
    max_vertices: int | None = None,
) -> Parsed:
    """Union the occupied classes of DeepState `features` into one (Multi)Polygon in lon/lat.

    Editorial areas outside Ukraine (by token, name or fill, or lying outside
    `box`) are left out and counted; invalid polygons are repaired with
    ``make_valid`` and counted.  The grey zone (``unknown``) is kept apart,
    less what is occupied; whether it lies in Ukraine is for the caller to clip.
    A polygon over `max_polygon_vertices`, or more than `max_vertices` in all,
    is refused before anything is repaired (`MAX_POLYGON_VERTICES` and
    `MAX_VERTICES` unless given; a user's file, already a union, gets the
    ``FILE_MAX_…`` caps).
    """
    per_polygon = MAX_POLYGON_VERTICES if max_polygon_vertices is None else max_polygon_vertices
    in_all = MAX_VERTICES if max_vertices is None else max_vertices
    counts: dict[str, int] = {}
    occupied: list[shapely.Geometry] = []
    pre2022: list[shapely.Geometry] = []
    grey: list[shapely.Geometry] = []
    foreign: dict[str, list[shapely.Geometry]] = {}
    repaired = outside = vertices = 0
    for number, feature in enumerate(features, 1):
        try:
            polygons = _polygons(feature.get("geometry"))
        except (shapely.errors.ShapelyError, ValueError, TypeError, OverflowError, RecursionError) as exc:
            msg = (
                f"a feature's geometry is not valid GeoJSON ({printable(exc, limit=120)}: feature {number}); "
                "the response is damaged"
            )
            raise RefreshError(msg) from exc
        if not polygons:
            continue
        sizes = [int(shapely.get_num_coordinates(p)) for p in polygons]
        if max(sizes) > per_polygon:
            msg = (
                f"a polygon has {max(sizes):,} vertices, more than the {per_polygon:,} allowed; the response is "
                "damaged or hostile"
            )
            raise RefreshError(msg)
        vertices += sum(sizes)
        if vertices > in_all:
            msg = f"the response has more than {in_all:,} polygon vertices; it is damaged or hostile"
            raise RefreshError(msg)
        props = _properties(feature, number)
        kind = classify(props)
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "foreign":
            fill = props["fill"].strip().lower()[:16]
            foreign.setdefault(fill, []).extend(_valid(p) for p in polygons)
            continue
        if kind not in (*OCCUPIED_KEYS, "unknown"):
            continue
        for raw in polygons:
            polygon = _valid(raw)
            repaired += int(polygon is not raw)
            if shapely.is_empty(polygon):
                continue  # a ring with no area (all its points on a line)
            if not _inside_box(polygon, box):
                if kind == "unknown":
                    continue  # a grey patch far from Ukraine (the Arabian Sea one in 2023) is no concern
                outside += 1
                continue
            (grey if kind == "unknown" else pre2022 if kind in PRE2022_KEYS else occupied).append(polygon)
    before = _polygonal(shapely.union_all(pre2022))
    everything = _polygonal(shapely.union(shapely.union_all(occupied), before))
    contested = _polygonal(shapely.difference(shapely.union_all(grey), everything)) if grey else shapely.Polygon()
    foreign_km2 = {fill: area_km2(shapely.union_all(geoms)) for fill, geoms in sorted(foreign.items())}
    return Parsed(everything, before, contested, counts, repaired, outside, foreign_km2)


_TO_AREA = Transformer.from_crs(schema.STORAGE_CRS, schema.AREA_CRS, always_xy=True)


def area_km2(geom: shapely.Geometry) -> float:
    """Area of a lon/lat geometry in `geo.schema.AREA_CRS`, km²."""
    if geom is None or shapely.is_empty(geom):
        return 0.0
    projected = shapely.transform(geom, lambda xy: np.column_stack(_TO_AREA.transform(xy[:, 0], xy[:, 1])))
    if not shapely.is_valid(projected):
        with np.errstate(invalid="ignore"):  # coordinates outside the projection are NaN: the area says so
            projected = shapely.make_valid(projected)
    return float(shapely.area(projected)) / 1e6


# --- checks -------------------------------------------------------------------------------


def check_parsed(parsed: Parsed, *, source: str, plausible_km2: tuple[float, float] = PLAUSIBLE_KM2) -> float:
    """Refuse a version that is empty, outside Ukraine or implausibly large or small.

    Returns
    -------
    float
        The occupied area, km².
    """
    if shapely.is_empty(parsed.occupied):
        where = f" ({parsed.outside_box} occupied polygons lie outside Ukraine's box: lat/lon swapped or not degrees?)"
        msg = f"{source}: no occupied polygons inside Ukraine{where if parsed.outside_box else ''}"
        raise RefreshError(msg)
    if parsed.outside_box:
        msg = (
            f"{source}: {parsed.outside_box} occupied polygons lie outside Ukraine's box {schema.UKRAINE_BBOX} "
            "(lat/lon swapped, or coordinates not in degrees?)"
        )
        raise RefreshError(msg)
    km2 = area_km2(parsed.occupied)
    low, high = plausible_km2
    if not low <= km2 <= high:
        msg = f"{source}: occupied area {km2:,.0f} km² is outside the plausible {low:,.0f}–{high:,.0f} km²"
        raise RefreshError(msg)
    return km2


@dataclass(frozen=True)
class Official:
    """DeepState's own area figures for one version (``/areas``), km², summed by fill colour."""

    after_km2: float
    before_km2: float
    #: The grey zone's colour (#bcaaa4), not clipped to Ukraine; None if the answer has no such row.
    unspecified_km2: float | None = None


#: An /areas figure above this (km²) is not a figure of DeepState's map (Ukraine is ~604,000 km²; the editorial
#: areas abroad add ~165,000).
MAX_OFFICIAL_KM2: Final = 2_000_000.0
_OFFICIAL_ROWS: Final = ("occupied_after_24_02_2022", "occupied_to_24_02_2022", "unspecified")


def official_areas(payload: Any, *, source: str) -> Official:
    """Read a ``/history/<id>/areas`` payload: the occupied km² after and before 24 Feb 2022, and the grey zone's.

    Every row must be an object with a text ``type``; the rows read (the two
    occupied ones, ``unspecified``) must have a finite ``area`` of plausible size.

    Raises
    ------
    geo.errors.RefreshError
        If it is not an /areas answer: not a list of such rows, or without both occupied figures.
    """
    if not isinstance(payload, list):
        msg = f"{source}: not an /areas answer (it is {_json_type(payload)}, not a list of rows)"
        raise RefreshError(msg)
    totals = dict.fromkeys(_OFFICIAL_ROWS, 0.0)
    seen = set()
    for number, row in enumerate(payload, 1):
        if not isinstance(row, dict):
            msg = f"{source}: not an /areas answer (row {number} is {_json_type(row)}, not an object)"
            raise RefreshError(msg)
        kind = row.get("type")
        if not isinstance(kind, str):
            msg = f"{source}: not an /areas answer (row {number}'s type is {_json_type(kind)}, not a string)"
            raise RefreshError(msg)
        if kind not in totals:
            continue
        area = row.get("area")
        try:
            value = float(area) if isinstance(area, int | float) and not isinstance(area, bool) else math.nan
        except OverflowError:
            value = math.nan
        if not 0.0 <= value <= MAX_OFFICIAL_KM2:
            msg = f"{source}: not an /areas answer ({printable(kind, limit=40)} is not an area in km²)"
            raise RefreshError(msg)
        totals[kind] += value
        seen.add(kind)
    if not {"occupied_after_24_02_2022", "occupied_to_24_02_2022"} <= seen:
        msg = f"{source}: not an /areas answer (no occupied_after_24_02_2022 and occupied_to_24_02_2022 areas)"
        raise RefreshError(msg)
    grey = totals["unspecified"] if "unspecified" in seen else None
    return Official(totals["occupied_after_24_02_2022"], totals["occupied_to_24_02_2022"], grey)


def check_grey_zone(contested_km2: float, official: Official | None, *, source: str) -> str:
    """Refuse a grey zone larger than DeepState's own figure allows, or, without one, than `MAX_GREY_KM2`.

    `contested_km2` is our grey zone, clipped to Ukraine.  With DeepState's
    ``unspecified`` figure it may exceed it by `GREY_EXCESS_KM2` at most; it may
    be smaller (DeepState's figure counts grey areas abroad).  `MAX_GREY_KM2`
    holds either way: a server claiming a huge figure does not lift it.

    Returns
    -------
    str
        What was checked, for the sidecar.
    """
    theirs = official.unspecified_km2 if official is not None else None
    if theirs is None or contested_km2 > MAX_GREY_KM2:  # the bound holds whatever a server claims
        if contested_km2 > MAX_GREY_KM2:
            msg = (
                f"{source}: the grey zone covers {contested_km2:,.0f} km², more than the {MAX_GREY_KM2:,.0f} km² "
                "plausible (the largest since 2022 was about 7,000 km²), whatever the server's own figure says"
            )
            raise RefreshError(msg)
        return f"grey zone {contested_km2:,.0f} km², within the {MAX_GREY_KM2:,.0f} km² plausible"
    if contested_km2 > theirs + GREY_EXCESS_KM2:
        msg = (
            f"{source}: the grey zone covers {contested_km2:,.0f} km², more than DeepState's own figure for this "
            f"version ({theirs:,.0f} km² unspecified) plus {GREY_EXCESS_KM2:,.0f} km²"
        )
        raise RefreshError(msg)
    return f"grey zone {contested_km2:,.0f} km² (DeepState's own figure: {theirs:,.0f} km² unspecified)"


def check_against_official(
    parsed: Parsed, official: Official, *, source: str, tolerance: float = OFFICIAL_TOLERANCE
) -> tuple[float, float]:
    """Compare our areas after and before 24 Feb 2022 with DeepState's own, each within `tolerance`.

    DeepState sums by fill colour and does not clip to Ukraine: the editorial
    areas outside Ukraine painted in an occupied colour (Transnistria in
    April–May 2022) are subtracted from its figure first.

    Returns
    -------
    tuple
        Our relative difference from the adjusted figure, after and before 24 Feb 2022.
    """
    after_km2 = area_km2(shapely.difference(parsed.occupied, parsed.pre2022))
    before_km2 = area_km2(parsed.pre2022)
    expected_after = official.after_km2 - parsed.foreign_by_fill.get(AFTER_FILL, 0.0)
    expected_before = official.before_km2 - parsed.foreign_by_fill.get(BEFORE_FILL, 0.0)
    diffs = []
    for what, ours, theirs in (
        ("after 24 Feb 2022", after_km2, expected_after),
        ("before 24 Feb 2022", before_km2, expected_before),
    ):
        diff = ours / theirs - 1.0 if theirs > 0 else math.inf
        if not abs(diff) <= tolerance:
            msg = (
                f"{source}: occupied {what} {ours:,.0f} km² differs by {diff:+.1%} from DeepState's own figure for this "
                f"version ({theirs:,.0f} km², outside-Ukraine areas subtracted), more than {tolerance:.0%}"
            )
            raise RefreshError(msg)
        diffs.append(diff)
    return diffs[0], diffs[1]


def jump_allowance(days: float) -> float:
    """Return the share an occupied area may change by over `days` days when DeepState's own figure is not available."""
    return min(JUMP_MAX_SHARE, JUMP_BASE_SHARE + JUMP_PER_DAY_SHARE * max(0.0, days))


def check_jump(km2: float, previous_km2: float, *, days: float, source: str, previous_date: str) -> float:
    """Refuse an area that changed more than `jump_allowance` from the nearest earlier stored snapshot.

    Returns
    -------
    float
        The relative change.
    """
    change = (km2 - previous_km2) / previous_km2 if previous_km2 > 0 else math.inf
    allowed = jump_allowance(days)
    if abs(change) > allowed:
        msg = (
            f"{source}: occupied area changes by {change:+.1%} from {previous_date} ({previous_km2:,.0f} → {km2:,.0f} "
            f"km² in {days:g} days), more than the {allowed:.1%} allowed without DeepState's own figure; "
            "check the source and rerun with --force to accept it"
        )
        raise RefreshError(msg)
    return change


#: At least this share of the previous snapshot's occupied area must still be occupied, and of the new area
#: already have been: a map shifted 0.5° keeps only ~77 %, 3° ~12 %, while real versions keep ≥ 97 % day to day
#: and ≥ 93 % across the archive's longest gap (13 months).
MIN_OVERLAP_SHARE: Final = 0.85


def check_location(
    km2: float, previous_km2: float, *, gained_km2: float, lost_km2: float, source: str, previous_date: str
) -> float:
    """Refuse a version whose occupied area lies elsewhere than the previous one's (same size, shifted).

    Returns
    -------
    float
        The smaller of the two overlap shares (of the previous area, and of the new one).
    """
    kept = 1.0 - lost_km2 / previous_km2 if previous_km2 > 0 else 1.0
    known = 1.0 - gained_km2 / km2 if km2 > 0 else 1.0
    overlap = min(kept, known)
    if overlap < MIN_OVERLAP_SHARE:
        msg = (
            f"{source}: only {overlap:.0%} of its occupied area overlaps the snapshot of {previous_date} "
            f"({gained_km2:,.0f} km² new, {lost_km2:,.0f} km² gone), less than {MIN_OVERLAP_SHARE:.0%}: shifted or "
            "not the same map? Check the source and rerun with --force to accept it"
        )
        raise RefreshError(msg)
    return overlap


# --- writing ------------------------------------------------------------------------------


def _multipolygon(geom: shapely.Geometry) -> dict[str, Any]:
    oriented = shapely.orient_polygons(geom) if hasattr(shapely, "orient_polygons") else geom
    rounded = shapely.set_precision(oriented, 1e-6)
    parts = [p for p in shapely.get_parts(rounded) if shapely.get_type_id(p) == shapely.GeometryType.POLYGON]
    result: dict[str, Any] = json.loads(shapely.to_geojson(shapely.MultiPolygon(parts)))
    return result


def snapshot_bytes(parsed: Parsed, *, properties: Mapping[str, Any]) -> bytes:
    """Encode a version as an RFC 7946 FeatureCollection (6 decimals, CCW outer rings).

    The first feature is the occupied MultiPolygon (``class`` ``occupied``); a
    second, the grey zone (``class`` ``contested``), follows when there is one.
    """
    features = [
        {
            "type": "Feature",
            "properties": {"class": schema.SNAPSHOT_OCCUPIED, **properties},
            "geometry": _multipolygon(parsed.occupied),
        }
    ]
    if not shapely.is_empty(parsed.contested):
        features.append(
            {
                "type": "Feature",
                "properties": {"class": schema.SNAPSHOT_CONTESTED, **properties},
                "geometry": _multipolygon(parsed.contested),
            }
        )
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def sidecar_for(
    *,
    data: bytes,
    file_name: str,
    url: str,
    version: str | None,
    published: str | None,
    snapshot_date: str,
    parsed: Parsed,
    km2: float,
    check: str,
    licence: str = LICENCE,
    credit: str = CREDIT,
) -> dict[str, Any]:
    """Build the provenance sidecar of a refreshed snapshot."""
    from_api = version is not None
    return {
        "file": file_name,
        "title": (
            f"Russian-occupied territory of Ukraine per {style.OCCUPATION_CREDIT}, version {version}"
            if from_api
            else f"Occupied territory from a user-supplied file, {snapshot_date}"
        ),
        "source": {"repository": "deepstatemap.live API" if from_api else "file", "path": url, "commit": version},
        "url": url,
        "version_id": version,
        "published_utc": published,
        "fetched_at": now_utc(),
        "licence": licence,
        "credit": credit,
        "retrieved": now_utc()[:10],
        "snapshot_date": snapshot_date,
        "sha256": hashlib.sha256(data).hexdigest(),
        "occupied_km2": round(km2, 1),
        "contested_km2": round(area_km2(parsed.contested), 1),
        "check": check,
        "changes": (
            "Written by scripts/refresh_occupation.py: union of the occupied, Crimea, ORDLO and Tuzla polygons "
            "(feature class 'occupied') and, apart, the grey zone less the occupied area (class 'contested'); "
            "editorial areas outside Ukraine dropped; Z dropped; repaired with make_valid; 6 decimals."
        ),
        "notes": f"feature classes: {json.dumps(parsed.counts, sort_keys=True)}; repaired polygons: {parsed.repaired}",
    }
