#!/usr/bin/env python3
"""HTTP API throughput benchmark: ticket create / get / list at fixed concurrency.

Drives an already running server on this machine (loopback only) with N
concurrent workers on one asyncio loop: a contract check first, then per
operation a warm-up and a measured phase bounded by time (and optionally by a
request count). Reports throughput (req/s of 2xx answers) and p50/p99 latency.

Targets:
  supportops       our product: /api/v1/tickets, "Authorization: Bearer <token>"
  django-helpdesk  the peer in bench/peers/django_helpdesk: DRF API under /api/tickets/,
                   "Authorization: Token <key>", the key fetched once from
                   /api-token-auth/ with --user/--password (or given as --helpdesk-token)

HTTP engines (--engine):
  raw    (default) a minimal HTTP/1.1 keep-alive client on asyncio streams: about
         20 us of client CPU per request, so on a 2-core box the client does not
         eat the server's CPU or cap the figures.
  httpx  httpx.AsyncClient: the reference stack, about 1.5 ms of client CPU per
         request, so it saturates one core near 600 req/s; use it to cross-check.

Examples:
  python bench/api_throughput.py --target supportops --token "$TOKEN"
  python bench/api_throughput.py --target django-helpdesk --user admin --password bench-admin-pass
  python bench/api_throughput.py --compare --token "$TOKEN" \\
      --helpdesk-password bench-admin-pass --json var/bench/api_throughput.json

django-helpdesk's get and list slow down as its ticket table grows (they touch every
ticket), so compare at equal table sizes: start both from empty databases and pass
--create-requests N --warmup-requests M; each target then holds 1 + M + N tickets
(+1 per warm-up and preflight create) when get/list run. The "tickets" column shows
what the peer's list endpoint counted.

Exit status: 0 ok; 1 contract failure, unreachable target or error share above
--max-error-rate; 2 usage. Needs only the stdlib and httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

OPS = ("create", "get", "list")
HARD_MAX_SECONDS = 600.0  # per phase, whatever the flags say
HARD_MAX_REQUESTS = 2_000_000  # per phase, whatever the flags say
PRIME_TICKETS = 32  # created before get/list when the create op is not run
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024


class BenchError(Exception):
    """A contract, configuration or transport failure: reported, exit 1."""


# --------------------------------------------------------------------------- helpers


def percentile(sorted_values: list[float], q: float) -> float:
    """Percentile q in [0, 100] with linear interpolation (numpy's default method)."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * (q / 100.0)
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return sorted_values[lo]
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def require_loopback(url: str) -> str:
    """Return url without a trailing slash; refuse anything not on this machine."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"error: not a plain http:// URL: {url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise SystemExit(f"error: give the base URL only (no path or query): {url!r}")
    host = parts.hostname
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise SystemExit(
                f"error: refusing non-loopback target {host!r}; this benchmark only drives "
                "servers on this machine (127.0.0.0/8, ::1, localhost)"
            ) from None
    return url.rstrip("/")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- transports


@dataclass
class Request:
    method: str
    path: str
    json_body: dict[str, Any] | None = None


class Response(Protocol):
    """What adapters read from an answer; httpx.Response and RawResponse both fit."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


@dataclass
class RawResponse:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class Transport(Protocol):
    async def send(self, req: Request) -> Response: ...

    async def aclose(self) -> None: ...


class HttpxTransport:
    def __init__(self, base_url: str, headers: dict[str, str], concurrency: int, timeout: float):
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,  # never leave the URL we checked
            trust_env=False,  # no proxies from the environment
        )

    async def send(self, req: Request) -> Response:
        try:
            return await self.client.request(req.method, req.path, json=req.json_body)
        except httpx.HTTPError as exc:
            raise BenchError(f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        await self.client.aclose()


class _Conn:
    __slots__ = ("reader", "used", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False  # has served a request already (so may have gone stale)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class _StaleConnection(Exception):
    """A reused keep-alive connection was closed by the server before answering."""


class RawTransport:
    """Minimal HTTP/1.1 client: keep-alive pool, Content-Length or chunked bodies.

    Enough for JSON APIs on loopback; no TLS, no redirects, no proxies, no 1xx.
    """

    def __init__(self, base_url: str, headers: dict[str, str], concurrency: int, timeout: float):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        netloc = parts.netloc
        self.timeout = timeout
        self.idle: list[_Conn] = []
        self.slots = asyncio.Semaphore(concurrency)
        fixed = {"Host": netloc, "User-Agent": "supportops-bench/1", **headers}
        self.head_tail = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self.reconnects = 0

    async def _connect(self) -> _Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=MAX_HEADER_BYTES)
        return _Conn(reader, writer)

    def _encode(self, req: Request) -> bytes:
        head = f"{req.method} {req.path} HTTP/1.1\r\n{self.head_tail}"
        if req.json_body is None:
            return (head + "\r\n").encode("latin-1")
        body = json.dumps(req.json_body, separators=(",", ":")).encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode("latin-1") + body

    async def _exchange(self, conn: _Conn, data: bytes) -> tuple[RawResponse, bool]:
        """One request/response on conn; returns the response and whether to keep conn."""
        reader = conn.reader
        try:
            conn.writer.write(data)
            await conn.writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if conn.used and (not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial):
                raise _StaleConnection from exc
            raise
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        conn_hdr = headers.get("connection", "").lower()
        keep = "close" not in conn_hdr and (version == "HTTP/1.1" or "keep-alive" in conn_hdr)
        if status in (204, 304):
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    raise BenchError("response body too large")
                parts.append((await reader.readexactly(size + 2))[:-2])
            body = b"".join(parts)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length > MAX_BODY_BYTES:
                raise BenchError("response body too large")
            body = await reader.readexactly(length)
        else:  # delimited by close
            body = await reader.read(MAX_BODY_BYTES)
            keep = False
        return RawResponse(status, body), keep

    async def send(self, req: Request) -> Response:
        data = self._encode(req)
        async with self.slots:
            for attempt in (1, 2):
                conn: _Conn | None = None
                try:
                    async with asyncio.timeout(self.timeout):
                        conn = self.idle.pop() if self.idle else await self._connect()
                        resp, keep = await self._exchange(conn, data)
                except _StaleConnection:
                    # The server dropped an idle keep-alive connection before reading
                    # this request (no byte answered): safe to send once more on a new one.
                    if conn is not None:
                        conn.close()
                    self.reconnects += 1
                    if attempt == 2:
                        raise BenchError("connection closed twice without an answer") from None
                    continue
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                    if conn is not None:
                        conn.close()
                    raise BenchError(f"{type(exc).__name__}: {exc}") from exc
                conn.used = True
                if keep:
                    self.idle.append(conn)
                else:
                    conn.close()
                return resp
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        while self.idle:
            self.idle.pop().close()


# --------------------------------------------------------------------------- adapters


class Adapter:
    """How one target spells the three operations and authenticates."""

    name = ""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def headers(self) -> dict[str, str]:
        """All request headers, auth included (valid after authenticate())."""
        raise NotImplementedError

    async def authenticate(self) -> None:
        """Anything needed before the first request (default: nothing)."""

    def create(self, seq: int) -> Request:
        raise NotImplementedError

    def created_id(self, resp: Response) -> int:
        body = resp.json()
        ticket_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise BenchError(f"{self.name}: create response has no integer 'id': {body!r:.300}")
        return ticket_id

    def get(self, ticket_id: int) -> Request:
        raise NotImplementedError

    def list(self) -> Request:
        raise NotImplementedError

    def check_get(self, resp: Response, ticket_id: int) -> None:
        body = resp.json()
        if not isinstance(body, dict) or body.get("id") != ticket_id:
            raise BenchError(f"{self.name}: get {ticket_id} returned {body!r:.300}")

    def check_list(self, resp: Response) -> None:
        raise NotImplementedError

    def dataset_size(self, resp: Response) -> int | None:
        """Total tickets visible, if the list response says (for the report)."""
        return None

    @staticmethod
    def subject(seq: int) -> str:
        return f"bench ticket {seq}: printer on floor 3 is jammed again"

    @staticmethod
    def description(seq: int) -> str:
        return (
            f"Benchmark ticket #{seq}. The printer shows error E-42 after every second job; "
            "power cycling clears it for about ten minutes."
        )


class SupportopsAdapter(Adapter):
    name = "supportops"

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(base_url)
        if not token:
            raise SystemExit("error: supportops needs --token (sent as 'Authorization: Bearer')")
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def create(self, seq: int) -> Request:
        return Request(
            "POST",
            "/api/v1/tickets",
            {
                "subject": self.subject(seq),
                "description": self.description(seq),
                "priority": "P3",
                "channel": "api",
            },
        )

    def get(self, ticket_id: int) -> Request:
        return Request("GET", f"/api/v1/tickets/{ticket_id}")

    def list(self) -> Request:
        return Request("GET", "/api/v1/tickets?limit=25")

    def check_list(self, resp: Response) -> None:
        body = resp.json()
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("items"), list)
            or "next_cursor" not in body
            or not (body["next_cursor"] is None or isinstance(body["next_cursor"], str))
        ):
            raise BenchError(
                f"supportops: list is not {{'items': [...], 'next_cursor': str|null}}: {body!r:.300}"
            )


class HelpdeskAdapter(Adapter):
    name = "django-helpdesk"

    def __init__(
        self,
        base_url: str,
        token: str | None,
        user: str | None,
        password: str | None,
        queue_id: int,
    ) -> None:
        super().__init__(base_url)
        if not token and not (user and password):
            raise SystemExit(
                "error: django-helpdesk needs --user/--password (or --helpdesk-token); "
                "see var/peers/django_helpdesk/peer.json"
            )
        self.token = token
        self.user = user
        self.password = password
        self.queue_id = queue_id

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}", "Accept": "application/json"}

    async def authenticate(self) -> None:
        if self.token:
            return
        # DRF's obtain_auth_token: one password check here, then cheap token lookups.
        async with httpx.AsyncClient(
            base_url=self.base_url, trust_env=False, follow_redirects=False, timeout=30
        ) as client:
            try:
                resp = await client.post(
                    "/api-token-auth/", data={"username": self.user, "password": self.password}
                )
            except httpx.HTTPError as exc:
                raise BenchError(f"django-helpdesk: /api-token-auth/: {exc!r}") from exc
        if resp.status_code != 200:
            raise BenchError(
                f"django-helpdesk: /api-token-auth/ answered {resp.status_code}: {resp.text[:300]}"
            )
        self.token = resp.json()["token"]

    def create(self, seq: int) -> Request:
        return Request(
            "POST",
            "/api/tickets/",
            {
                "queue": self.queue_id,
                "title": self.subject(seq),
                "description": self.description(seq),
                "priority": 3,
            },
        )

    def get(self, ticket_id: int) -> Request:
        return Request("GET", f"/api/tickets/{ticket_id}/")

    def list(self) -> Request:
        return Request("GET", "/api/tickets/?page_size=25")

    def check_list(self, resp: Response) -> None:
        body = resp.json()
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise BenchError(f"django-helpdesk: list has no 'results' list: {body!r:.300}")

    def dataset_size(self, resp: Response) -> int | None:
        body = resp.json()
        count = body.get("count") if isinstance(body, dict) else None
        return count if isinstance(count, int) else None


# --------------------------------------------------------------------------- measuring


@dataclass
class PhaseResult:
    op: str
    requests: int = 0
    ok: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    dataset_before: int | None = None
    error_samples: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "error_rate": self.errors / self.requests if self.requests else 0.0,
            "elapsed_s": round(self.elapsed_s, 3),
            "rps": round(self.ok / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "p50_ms": round(percentile(lat, 50), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "mean_ms": round(statistics.fmean(lat), 2) if lat else math.nan,
            "max_ms": round(lat[-1], 2) if lat else math.nan,
            "client_cpu_pct": (round(100 * self.client_cpu_s / self.elapsed_s, 1) if self.elapsed_s else 0.0),
            "statuses": dict(self.statuses),
            "dataset_before": self.dataset_before,
            "error_samples": self.error_samples,
        }


class Runner:
    def __init__(self, adapter: Adapter, args: argparse.Namespace) -> None:
        self.adapter = adapter
        self.args = args
        self.ids: list[int] = []
        self.seq = 0
        self.rng = random.Random(12345)

    def _transport(self) -> Transport:
        cls = RawTransport if self.args.engine == "raw" else HttpxTransport
        return cls(self.adapter.base_url, self.adapter.headers(), self.args.concurrency, self.args.timeout)

    def _next_request(self, op: str) -> Request:
        if op == "create":
            self.seq += 1
            return self.adapter.create(self.seq)
        if op == "get":
            if self.args.get_ids:
                low, high = self.args.get_ids
                return self.adapter.get(self.rng.randint(low, high))
            return self.adapter.get(self.rng.choice(self.ids))
        return self.adapter.list()

    async def preflight(self, tr: Transport, ops: list[str]) -> None:
        """Check each operation against the contract once, before any timing."""
        name = self.adapter.name
        for _ in range(1 if "create" in ops else PRIME_TICKETS):
            resp = await tr.send(self._next_request("create"))
            if resp.status_code != 201:
                raise BenchError(f"{name}: create answered {resp.status_code} (want 201): {resp.text[:300]}")
            self.ids.append(self.adapter.created_id(resp))
        resp = await tr.send(self.adapter.get(self.ids[0]))
        if resp.status_code != 200:
            raise BenchError(f"{name}: get answered {resp.status_code}: {resp.text[:300]}")
        self.adapter.check_get(resp, self.ids[0])
        resp = await tr.send(self.adapter.list())
        if resp.status_code != 200:
            raise BenchError(f"{name}: list answered {resp.status_code}: {resp.text[:300]}")
        self.adapter.check_list(resp)

    async def dataset_size(self, tr: Transport) -> int | None:
        try:
            resp = await tr.send(self.adapter.list())
            return self.adapter.dataset_size(resp) if resp.status_code == 200 else None
        except (BenchError, ValueError):
            return None

    async def phase(self, tr: Transport, op: str, seconds: float, max_requests: int) -> PhaseResult:
        result = PhaseResult(op)
        deadline = time.perf_counter() + min(seconds, HARD_MAX_SECONDS)
        budget = min(max_requests, HARD_MAX_REQUESTS)
        issued = 0

        async def worker() -> None:
            nonlocal issued
            while issued < budget and time.perf_counter() < deadline:
                issued += 1
                req = self._next_request(op)
                t0 = time.perf_counter()
                try:
                    resp: Response | None = await tr.send(req)
                    status = resp.status_code  # type: ignore[union-attr]
                    label = str(status)
                except BenchError as exc:
                    resp, status, label = None, 0, str(exc).split(":", 1)[0]
                latency_ms = (time.perf_counter() - t0) * 1000.0
                result.requests += 1
                result.statuses[label] += 1
                if resp is not None and 200 <= status < 300:
                    result.ok += 1
                    result.latencies_ms.append(latency_ms)
                    if op == "create":
                        with contextlib.suppress(BenchError, ValueError):
                            self.ids.append(self.adapter.created_id(resp))
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        detail = resp.text[:200] if resp is not None else label
                        result.error_samples.append(f"{req.method} {req.path} -> {detail}")

        cpu0 = time.process_time()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.args.concurrency)))
        result.elapsed_s = time.perf_counter() - t0
        result.client_cpu_s = time.process_time() - cpu0
        return result

    async def run(self, ops: list[str]) -> dict[str, PhaseResult]:
        a = self.args
        results: dict[str, PhaseResult] = {}
        await self.adapter.authenticate()
        tr = self._transport()
        try:
            await self.preflight(tr, ops)
            for op in ops:
                budget = (a.create_requests if op == "create" else 0) or a.requests or HARD_MAX_REQUESTS
                if a.warmup > 0:
                    await self.phase(tr, op, a.warmup, a.warmup_requests or budget)
                size = await self.dataset_size(tr)
                log(
                    f"  {self.adapter.name:<16} {op:<6} measuring {a.seconds:g}s"
                    + (f" / {budget} req" if budget < HARD_MAX_REQUESTS else "")
                    + f" at concurrency {a.concurrency}"
                    + (f" ({size} tickets visible)" if size is not None else "")
                )
                res = await self.phase(tr, op, a.seconds, budget)
                res.dataset_before = size
                results[op] = res
                if op == "create" and a.create_requests and res.requests < a.create_requests:
                    log(
                        f"  warning: {self.adapter.name} made {res.requests} of "
                        f"--create-requests {a.create_requests} before --seconds ran out; "
                        "the get/list table sizes will differ between targets"
                    )
                if a.pause > 0:
                    await asyncio.sleep(a.pause)
        finally:
            await tr.aclose()
        return results


# --------------------------------------------------------------------------- output


def fmt(v: float | None, spec: str = ".1f") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, spec)


Summaries = dict[str, dict[str, dict[str, Any]]]


def print_table(summaries: Summaries) -> None:
    head = (
        f"{'target':<16} {'op':<6} {'requests':>9} {'errors':>7} {'req/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'client cpu':>10} {'tickets':>8}"
    )
    print(head)
    print("-" * len(head))
    for target, ops in summaries.items():
        for op, s in ops.items():
            size = s["dataset_before"]
            print(
                f"{target:<16} {op:<6} {s['requests']:>9} {s['errors']:>7} {fmt(s['rps']):>9} "
                f"{fmt(s['p50_ms'], '.2f'):>8} {fmt(s['p99_ms'], '.2f'):>8} "
                f"{fmt(s['max_ms'], '.1f'):>8} {fmt(s['client_cpu_pct']) + '%':>10} "
                f"{size if size is not None else '-':>8}"
            )
    print(
        "client cpu = this process's CPU / wall time; "
        "tickets = count the list endpoint reported as the phase began (if it reports one)"
    )


def ratios(summaries: Summaries) -> dict[str, float | None]:
    ours = summaries.get("supportops", {})
    peer = summaries.get("django-helpdesk", {})
    out: dict[str, float | None] = {}
    for op in OPS:
        if op in ours and op in peer:
            out[op] = round(ours[op]["rps"] / peer[op]["rps"], 2) if peer[op]["rps"] else None
    return out


def print_ratios(r: dict[str, float | None], summaries: Summaries) -> None:
    if not r:
        return
    print()
    head = (
        f"{'op':<6} {'supportops req/s':>16} {'helpdesk req/s':>15} {'ratio':>8}   "
        f"{'supportops p50/p99 ms':>22} {'helpdesk p50/p99 ms':>20}"
    )
    print(head)
    print("-" * len(head))
    for op, ratio in r.items():
        s, h = summaries["supportops"][op], summaries["django-helpdesk"][op]
        print(
            f"{op:<6} {fmt(s['rps']):>16} {fmt(h['rps']):>15} "
            f"{(fmt(ratio, '.2f') + 'x') if ratio is not None else '-':>8}   "
            f"{fmt(s['p50_ms'], '.2f') + ' / ' + fmt(s['p99_ms'], '.2f'):>22} "
            f"{fmt(h['p50_ms'], '.2f') + ' / ' + fmt(h['p99_ms'], '.2f'):>20}"
        )
    print("ratio = supportops req/s / django-helpdesk req/s (above 1: supportops is faster)")


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=doc.split("\n\n", 1)[1],
    )
    add = p.add_argument
    add("--target", choices=("supportops", "django-helpdesk"), default="supportops")
    add("--compare", action="store_true", help="run supportops, then django-helpdesk; add ratios")
    add("--url", help="base URL of --target (default: --supportops-url / --helpdesk-url)")
    add("--token", default=os.environ.get("SUPPORTOPS_TOKEN"), help="supportops bearer token")
    add("--user", help="django-helpdesk user (same as --helpdesk-user)")
    add("--password", help="django-helpdesk password (same as --helpdesk-password)")
    add("--supportops-url", default="http://127.0.0.1:8000")
    add("--helpdesk-url", default="http://127.0.0.1:8001")
    add("--helpdesk-user", default="admin")
    add("--helpdesk-password", default=os.environ.get("HELPDESK_PASSWORD"))
    add("--helpdesk-token", default=os.environ.get("HELPDESK_TOKEN"), help="DRF token")
    add("--queue-id", type=int, default=1, help="django-helpdesk queue for creates (default 1)")
    add("--ops", default=",".join(OPS), help="comma list of create,get,list (default all)")
    add("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    add("--seconds", type=float, default=20.0, help="measured seconds per operation (default 20)")
    add("--requests", type=int, default=0, help="also stop each phase after this many requests")
    add(
        "--create-requests",
        type=int,
        default=0,
        help="stop the measured create phase after this many (overrides --requests for create); "
        "with --warmup-requests it fixes how many tickets get/list run against",
    )
    add("--warmup-requests", type=int, default=0, help="also stop each warm-up after this many")
    add(
        "--get-ids",
        type=lambda v: tuple(int(x) for x in v.split(":", 1)),
        metavar="LO:HI",
        help="get picks ids uniformly from LO..HI (an existing table) instead of this run's creates",
    )
    add("--warmup", type=float, default=3.0, help="warm-up seconds per operation (default 3)")
    add("--pause", type=float, default=1.0, help="idle seconds between operations (default 1)")
    add("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    add("--engine", choices=("raw", "httpx"), default="raw", help="HTTP client (default raw)")
    add("--max-error-rate", type=float, default=0.01, help="fail above this non-2xx share")
    add("--json", metavar="FILE", help="also write the figures as JSON")
    args = p.parse_args(argv)

    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    bad = [o for o in ops if o not in OPS]
    if bad or not ops:
        p.error(f"--ops: unknown {bad}; choose from {','.join(OPS)}")
    args.op_list = [o for o in OPS if o in ops]  # create always runs before get/list
    if not 1 <= args.concurrency <= 1024:
        p.error("--concurrency must be 1..1024")
    if not 0 < args.seconds <= HARD_MAX_SECONDS or not 0 <= args.warmup <= HARD_MAX_SECONDS:
        p.error(f"--seconds must be in (0, {HARD_MAX_SECONDS:g}], --warmup in [0, {HARD_MAX_SECONDS:g}]")
    for name in ("requests", "create_requests", "warmup_requests"):
        if not 0 <= getattr(args, name) <= HARD_MAX_REQUESTS:
            p.error(f"--{name.replace('_', '-')} must be 0..{HARD_MAX_REQUESTS}")
    return args


def build_adapters(args: argparse.Namespace) -> list[Adapter]:
    def supportops(url: str) -> Adapter:
        return SupportopsAdapter(require_loopback(url), args.token or "")

    def helpdesk(url: str) -> Adapter:
        return HelpdeskAdapter(
            require_loopback(url),
            args.helpdesk_token,
            args.user or args.helpdesk_user,
            args.password or args.helpdesk_password,
            args.queue_id,
        )

    if args.compare:
        return [supportops(args.supportops_url), helpdesk(args.helpdesk_url)]
    if args.target == "supportops":
        return [supportops(args.url or args.supportops_url)]
    return [helpdesk(args.url or args.helpdesk_url)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    adapters = build_adapters(args)
    summaries: Summaries = {}
    failures: list[str] = []
    created: dict[str, int] = {}
    for adapter in adapters:
        log(f"== {adapter.name} at {adapter.base_url} (engine {args.engine})")
        try:
            runner = Runner(adapter, args)
            results = asyncio.run(runner.run(args.op_list))
            created[adapter.name] = len(runner.ids)
        except BenchError as exc:
            log(f"error: {adapter.name} at {adapter.base_url}: {exc}")
            return 1
        except OSError as exc:
            log(f"error: {adapter.name} at {adapter.base_url} is not reachable: {exc}")
            return 1
        summaries[adapter.name] = {op: r.summary() for op, r in results.items()}
        for op, s in summaries[adapter.name].items():
            if s["ok"] == 0 or s["error_rate"] > args.max_error_rate:
                failures.append(
                    f"{adapter.name} {op}: {s['errors']}/{s['requests']} failed "
                    f"({100 * s['error_rate']:.1f}%), statuses {s['statuses']}, "
                    f"e.g. {s['error_samples'][:2]}"
                )

    print()
    print(
        f"concurrency {args.concurrency}, {args.seconds:g}s per op"
        + (f" (max {args.requests} req)" if args.requests else "")
        + (f", create max {args.create_requests} req" if args.create_requests else "")
        + f", {args.warmup:g}s warm-up"
        + (f" (max {args.warmup_requests} req)" if args.warmup_requests else "")
        + f", engine {args.engine}; latency over 2xx responses"
    )
    print("tickets created by this run: " + ", ".join(f"{k} {v}" for k, v in created.items()))
    print_table(summaries)
    r = ratios(summaries)
    print_ratios(r, summaries)
    sys.stdout.flush()

    if args.json:
        doc = {
            "meta": {
                "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "max_requests": args.requests or None,
                "warmup_seconds": args.warmup,
                "max_create_requests": args.create_requests or None,
                "max_warmup_requests": args.warmup_requests or None,
                "tickets_created": created,
                "engine": args.engine,
                "ops": args.op_list,
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "httpx": httpx.__version__,
                "urls": {a.name: a.base_url for a in adapters},
            },
            "results": summaries,
            "throughput_ratio_supportops_over_helpdesk": r or None,
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        log(f"wrote {args.json}")

    if failures:
        log(f"\nFAILED: error share above --max-error-rate {100 * args.max_error_rate:g}%:")
        for f in failures:
            log(f"  {f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
