"""Load generators for benchmarks.run: ``wrk`` with benchmarks/latency.lua when it is
installed, otherwise a small threaded Python client. Both hit loopback only, for a fixed
duration, and report the same fields."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).with_name("latency.lua")
LOOPBACK = "127.0.0.1"
HOLD_SECONDS = 0.2  # how long /bench/hold keeps its worker (benchmarks.run: Server.drain)


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int          # connect/read/write errors, timeouts and answers other than 200
    not_200: int         # answers other than 200 (a redirect to the login page, an error page)

    @property
    def rps(self) -> float:
        """Requests answered with 200 per second."""
        return max(self.requests - self.not_200, 0) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        data = {**asdict(self), "rps": round(self.rps, 1)}
        if not self.requests:  # no latency was measured: say so rather than 0 ms
            data.update(p50_ms=None, p90_ms=None, p99_ms=None, max_ms=None)
        return data


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(port: int, path: str, headers: dict[str, str], duration: int, connections: int,
            threads: int) -> LoadResult:
    """One wrk run; wrk stops itself after ``duration`` and the subprocess is bounded too."""
    command = [wrk_path() or "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s",
               "--timeout", "30s", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{LOOPBACK}:{port}{path}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result (exit {done.returncode}): {done.stderr.strip() or done.stdout[-500:]}")
    data = json.loads(line.split(" ", 1)[1])
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "not_200"))
    return LoadResult(
        tool="wrk", requests=data["requests"], seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000, max_ms=data["max_us"] / 1000, errors=errors,
        not_200=data["not_200"])


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def run_python(port: int, path: str, headers: dict[str, str], duration: int, connections: int,
               threads: int = 0) -> LoadResult:
    """Fallback: ``connections`` threads, each sending one request after another until the
    time is up. The client shares the CPU with the server, so its figures are a floor."""
    deadline = time.monotonic() + duration
    latencies: list[float] = []
    counts = {"errors": 0, "bad_status": 0}
    lock = threading.Lock()

    def worker():
        mine, errors, bad = [], 0, 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                continue
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad += 1
        with lock:
            latencies.extend(mine)
            counts["errors"] += errors
            counts["bad_status"] += bad

    began = time.monotonic()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(duration + 60)
    spent = time.monotonic() - began
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return LoadResult(
        tool="python", requests=len(ms), seconds=spent, p50_ms=percentile(ms, 0.50), p90_ms=percentile(ms, 0.90),
        p99_ms=percentile(ms, 0.99), max_ms=ms[-1] if ms else 0.0, errors=counts["errors"] + counts["bad_status"],
        not_200=counts["bad_status"])
