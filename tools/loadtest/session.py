"""One browser tab, spoken over Streamlit's own websocket protocol.

What the browser does, and so what this does:
1. GET the shared link (index.html).  Behind a proxy with cookie affinity this
   first response sets the affinity cookie; every later request, the
   websocket included, must carry it or it may land on another replica.
2. GET /_stcore/health and /_stcore/host-config, then open the websocket
   ws://host/_stcore/stream with subprotocol "streamlit".
3. Send BackMsg.rerun_script (a ClientState: query string, page name or page
   script hash, every widget's current state, the hashes of the messages it
   has cached) and read ForwardMsgs until script_finished.

While reading it keeps what the browser keeps: the widgets on the page (see
widgets.py), their reported values, the query string the app writes
(page_info_changed), the current page (new_session), and the forward-message
cache (large messages are sent once and then only referenced by hash).
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

from tools.loadtest import widgets as wd

# script_finished statuses that end a run we asked for.  FINISHED_EARLY_FOR_RERUN
# does not: the script called st.rerun()/st.switch_page() and runs again.
_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
         ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
_ASSET = re.compile(r'(?:src|href)="\./(static/[^"]+\.(?:js|css))"')


class SessionError(Exception):
    """The session cannot go on (HTTP error, closed websocket, timeout)."""


@dataclass
class Run:
    """One request for a rerun, from sending it to its script_finished."""
    latency: float = 0.0
    fragment: bool = False  # a fragment rerun (only the fragment's body ran)
    script_runs: int = 0  # script_finished messages seen (st.rerun adds some)
    bytes: int = 0  # forward-message bytes received
    errors: list[str] = field(default_factory=list)  # app errors shown on the page


def _first_line(text: str, limit: int = 160) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:limit]


class AppSession:
    """A browser tab on `base_url`, opened at `path` with `query` (no leading "?")."""

    def __init__(self, base_url: str, path: str = "/", query: str = "", *,
                 timeout: float = 60.0, assets: bool = False):
        self.base = base_url.rstrip("/")
        self.path = "/" + path.strip("/")
        self.query_string = query.lstrip("?")
        self.timeout = timeout
        self.assets = assets
        self.cookies: dict[str, str] = {}
        self.page_script_hash = ""
        self.widgets: dict[str, wd.Widget] = {}
        self.states: dict[str, WidgetState] = {}
        self.pages_seen: set[str] = set()
        self._ws = None
        self._max_cache_age = 2
        self._cache: dict[str, list] = {}  # hash -> [message bytes, run count, fragment id]
        self._run_count = 0
        self._seen: dict[str, wd.Widget] = {}

    # --- opening the link --------------------------------------------------------

    async def open(self) -> Run:
        """Load the page as a browser does and wait for the first script run."""
        started = time.perf_counter()
        page = await asyncio.to_thread(self._get, self.path + ("?" + self.query_string if self.query_string else ""))
        paths = ["/_stcore/health", "/_stcore/host-config"]
        if self.assets:
            paths += ["/" + a for a in dict.fromkeys(_ASSET.findall(page.decode(errors="replace")))]
        for p in paths:
            await asyncio.to_thread(self._get, p)
        await self._connect()
        run = await self._rerun([], "", first=True)
        run.latency = time.perf_counter() - started
        return run

    def _get(self, path: str) -> bytes:
        req = urllib.request.Request(self.base + path, headers={"User-Agent": "streamlit-loadtest"})
        if self.cookies:
            req.add_header("Cookie", self._cookie_header())
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                body = r.read()
                for header in r.headers.get_all("Set-Cookie") or []:
                    jar = SimpleCookie()
                    jar.load(header)
                    self.cookies.update({k: m.value for k, m in jar.items()})
                return body
        except OSError as e:
            raise SessionError(f"GET {path}: {e}") from e

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def _connect(self) -> None:
        parts = urlsplit(self.base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        headers = {"Cookie": self._cookie_header()} if self.cookies else {}
        try:
            self._ws = await connect(
                f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream",  # under any base path
                subprotocols=[Subprotocol("streamlit")],
                origin=Origin(f"{parts.scheme}://{parts.netloc}"),
                additional_headers=headers,
                # Browsers never ping; the server does, and the library answers.
                ping_interval=None,
                # A chart message can be megabytes; the server decides the limit.
                max_size=None, max_queue=256,
                # Streamlit turns websocket compression off by default.
                compression=None,
                open_timeout=self.timeout)
        except Exception as e:  # OSError, TimeoutError, and websockets' own handshake errors
            raise SessionError(f"websocket connect: {e!r}") from e

    async def close(self) -> None:
        if self._ws is not None:
            try:
                await asyncio.wait_for(self._ws.close(), 5)
            except Exception:
                pass  # closing a dead connection: nothing left to do
            self._ws = None

    # --- interacting ---------------------------------------------------------------

    def drivable(self) -> list[wd.Widget]:
        return [w for w in self.widgets.values() if w.drivable]

    async def report_width(self, width: int) -> Run | None:
        """What a browser does once a page with the column-width reporter is drawn: report the
        column's width (a rerun), unless it has already.  None if there is nothing to report."""
        w = next((w for w in self.widgets.values() if w.kind == wd.COLUMN_WIDTH and w.id not in self.states), None)
        return None if w is None else await self.interact(w, wd.width_state(w, width))

    async def report_ready(self) -> Run | None:
        """What a browser does on a page that keeps its charts, once it has plotly.js
        (ui/plotchart.py): say so (a rerun), unless it has.  None if there is nothing to report."""
        w = next((w for w in self.widgets.values() if w.kind == wd.PLOTLY_READY and w.id not in self.states), None)
        return None if w is None else await self.interact(w, wd.ready_state(w))

    async def interact(self, widget: wd.Widget, state: WidgetState) -> Run:
        """Give `widget` the value in `state` (a click for a button) and wait for the rerun.

        As the browser does, the message carries every widget's state; a widget
        written inside a fragment asks for a rerun of that fragment only.
        """
        if widget.kind != "button":  # a click is a one-run trigger, not kept
            self.states[widget.id] = state
        others = [s for wid, s in self.states.items() if wid != widget.id]
        return await self._rerun(others + [state], widget.fragment_id)

    async def _rerun(self, states: list[WidgetState], fragment_id: str, first: bool = False) -> Run:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.widget_states.widgets.extend(states)
        if first:
            cs.page_name = self.path.strip("/")  # the browser sends the URL path on first load
        else:
            cs.page_script_hash = self.page_script_hash
        cs.fragment_id = fragment_id
        cs.cached_message_hashes.extend(self._cache)
        ci = cs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "UTC", 0, "en-US"
        ci.url = self.base + self.path + ("?" + self.query_string if self.query_string else "")
        ci.is_embedded, ci.color_scheme = False, "light"

        run = Run(fragment=bool(fragment_id))
        self._seen = {}
        started = time.perf_counter()
        deadline = started + self.timeout
        try:
            await self._ws.send(msg.SerializeToString())
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise SessionError(f"no script_finished within {self.timeout:.0f} s")
                data = await asyncio.wait_for(self._ws.recv(), left)
                run.bytes += len(data)
                status = self._handle(data, run, fragment_id)
                if status is not None:
                    run.script_runs += 1
                    if status in _DONE:
                        break
                    self._seen = {}  # it starts over: only the last run's widgets count
        except asyncio.TimeoutError as e:
            raise SessionError(f"no script_finished within {self.timeout:.0f} s") from e
        except ConnectionClosed as e:
            raise SessionError(f"websocket closed: {e}") from e
        run.latency = time.perf_counter() - started
        return run

    # --- reading what the server sends -----------------------------------------------

    def _handle(self, data: bytes, run: Run, fragment_id: str):
        """Apply one ForwardMsg; return the script_finished status if it is one."""
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # "you have this one already"
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                run.errors.append(f"cache miss for ref_hash {msg.ref_hash}")
                return None
            cached[1] = self._run_count
            full = ForwardMsg()
            full.ParseFromString(cached[0])
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash and msg.hash not in self._cache:
            self._cache[msg.hash] = [data, self._run_count, msg.delta.fragment_id if kind == "delta" else ""]

        if kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash
            self.pages_seen.add(self.page_script_hash)
            self._max_cache_age = msg.new_session.config.max_cached_message_age or 2
        elif kind == "delta":
            self._on_delta(msg.delta, run)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            run.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            exc = msg.session_event.script_compilation_exception
            run.errors.append(f"script compilation error: {exc.type}: {_first_line(exc.message)}")
        elif kind == "script_finished":
            self._on_finished(msg, fragment_id)
            return msg.script_finished
        return None

    def _on_delta(self, delta, run: Run) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        if el.WhichOneof("type") == "exception":
            run.errors.append(f"app exception: {el.exception.type}: {_first_line(el.exception.message)}")
            return
        w = wd.from_element(el, delta.fragment_id)
        if w is None:
            return
        self._seen[w.id] = w
        state = wd.reported_state(w, self.states.get(w.id))
        if state is None:  # e.g. the script cleared a selectbox (index=None) after using its value
            self.states.pop(w.id, None)
        else:
            self.states[w.id] = state

    def _on_finished(self, msg: ForwardMsg, fragment_id: str) -> None:
        """Drop what the finished run no longer shows, as the browser does."""
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return
        ran = set(msg.metadata.run.fragment_ids) or ({fragment_id} if fragment_id else set())
        if status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            # Only the fragments that ran were redrawn; the rest of the page stays.
            keep = {k: w for k, w in self.widgets.items() if w.fragment_id not in ran}
            self.widgets = {**keep, **self._seen}
        elif status == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.widgets = dict(self._seen)
            ran = set()
        self.states = {k: s for k, s in self.states.items() if k in self.widgets}
        # Age the message cache (the browser's ForwardMessageCache.incrementRunCount).
        self._run_count += 1
        for h, (_, seen_at, frag) in list(self._cache.items()):
            if ran and (not frag or frag not in ran):
                continue
            if self._run_count - seen_at > self._max_cache_age:
                del self._cache[h]
