"""What a server process does once the app is built, before its first request."""

from __future__ import annotations

import gc


def settle() -> None:
    """Move everything built so far out of the garbage collector's sight.

    The app, its models, views, templates and plugins live as long as the process, yet
    every full collection walked them all again: on the ticket page that was a pause of
    160-180 ms every few hundred requests, and under load a paused worker's queue is what
    a page's slowest answers are made of (docs/performance.md). ``gc.freeze()`` keeps them
    out of later collections; anything built afterwards is collected as usual.

    Only for a process that serves one app for its whole life: frozen objects are never
    collected, so a process that builds app after app (the test suite) must not call it.
    """
    gc.collect()
    gc.freeze()
