"""Instructions per request of one portal page, counted by valgrind's callgrind.

    python -m benchmarks.instructions --url sqlite:////tmp/bench/portal.sqlite3 --path /admin/ticket/
        [--user bench_admin] [--requests 20]

Requests per second on a shared machine move by 5-15% between runs minutes apart, more
than most single changes to a page are worth. The number of instructions a request takes
does not: callgrind counts the same total for the same code and data, whatever else the
machine is doing (two runs agree to 0.1%). So a change is judged by this count, old code
against new (``git worktree`` for the old), and confirmed with ``benchmarks.run``.

The page runs in-process through Flask's test client, signed in as ``--user``, after 20
warm-up requests; counting is switched on (``callgrind_control -i on``) only for the
measured requests, so start-up is left out. Instructions are not time (a cache miss costs
more than an add), but for Python code the two move together closely.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .generate import ADMIN_USERNAME, PASSWORD
from .run import CSRF_RE, USER_AGENT

WARM_UP = 20


def serve_requests(url: str, path: str, user: str, requests: int, flag: Path) -> None:
    """In the measured process: sign in, warm up, wait for counting to start, request."""
    from .bench_app import build
    from portal.serving import settle

    app = build(url)
    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    form = CSRF_RE.search(client.get("/login", headers=headers).get_data(as_text=True))
    token = form.group(1) or form.group(2)
    signed_in = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token},
                            headers=headers)
    if signed_in.status_code != 302:
        raise SystemExit(f"could not sign in as {user}")
    settle()
    for _ in range(WARM_UP):
        answer = client.get(path, headers=headers)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
    flag.with_suffix(".ready").touch()
    while not flag.with_suffix(".go").exists():
        time.sleep(0.01)
    for _ in range(requests):
        client.get(path, headers=headers)


def count(url: str, path: str, user: str, requests: int) -> int:
    """Instructions per request of ``path``."""
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (Debian's valgrind package)")
    with tempfile.TemporaryDirectory() as work:
        flag, out = Path(work) / "flag", Path(work) / "callgrind.out"
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, "-m", "benchmarks.instructions", "--serve", str(flag),
             "--url", url, "--path", path, "--user", user, "--requests", str(requests)],
            cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while not flag.with_suffix(".ready").exists():
            if child.poll() is not None:
                raise SystemExit(f"the measured process ended early:\n{child.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        subprocess.run(["callgrind_control", "-i", "on", str(child.pid)], check=True, capture_output=True)
        flag.with_suffix(".go").touch()
        _, errors = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"the measured process failed:\n{errors.decode()[-2000:]}")
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)
        return int(totals.group(1)) // requests


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the generated database")
    parser.add_argument("--path", default="/admin/ticket/", help="the page, with its query string")
    parser.add_argument("--user", default=ADMIN_USERNAME, help="who is signed in (default: the HQ admin)")
    parser.add_argument("--requests", type=int, default=20, help="requests counted (default 20)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the measured process
    args = parser.parse_args(argv)
    if args.serve:
        serve_requests(args.url, args.path, args.user, args.requests, Path(args.serve))
        return
    per_request = count(args.url, args.path, args.user, args.requests)
    print(f"{per_request} instructions per request  {args.path}  ({args.user}, {args.requests} requests)")


if __name__ == "__main__":
    main()
