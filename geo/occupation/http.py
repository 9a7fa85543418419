"""The bounded HTTP client every occupation source's refresh uses.

- `fetch_json`, `fetch_bytes`: one HTTP GET with a total deadline, bounded
  retries with backoff, ``429 Retry-After`` honoured, a size cap, an honest
  User-Agent, http(s) only (redirects too, at most `MAX_REDIRECTS` hops).
- `Deadline`, `within`: one deadline per snapshot over all its requests
  (each takes at most what is left), waits and checks (stopped by an alarm).
- `printable`: server- or file-derived text made safe for one terminal line.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from geo import __version__
from geo.errors import RefreshError

USER_AGENT: Final = f"resource-control-mapper/{__version__} (occupation refresh; +https://deepstatemap.live credit)"
MAX_BYTES: Final = 20 * 1024 * 1024
#: Total seconds one request may take, body included (not per read).
TIMEOUT_S: Final = 30.0
RETRIES: Final = 3
MAX_REDIRECTS: Final = 5
#: First backoff pause (seconds); doubles on each retry.  Retry-After is capped at `MAX_WAIT_S`.
BACKOFF_S: Final = 1.0
MAX_WAIT_S: Final = 120.0
#: One version's deadline, as a multiple of the request timeout: its geojson and /areas requests, every retry and
#: Retry-After wait, and its checks must all end within it (2 × 30 s by default).
VERSION_TIMEOUTS: Final = 2.0
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: object, *, limit: int | None = 200) -> str:
    """Return server- or file-derived `text` safe to print on one line: control characters escaped, length capped."""
    value = CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return value if limit is None or len(value) <= limit else value[: limit - 1] + "…"


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
