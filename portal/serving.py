"""What a server process does once the app is built, before its first request."""

from __future__ import annotations

import gc

#: objects allocated (net) between young-generation collections; Python's default is 700
YOUNG_COLLECTION_EVERY = 7000


def settle() -> None:
    """Move everything built so far out of the garbage collector's sight.

    The app, its models, views, templates and plugins live as long as the process, yet
    every full collection walked them all again: on the ticket page that was a pause of
    160-180 ms every few hundred requests, and under load a paused worker's queue is what
    a page's slowest answers are made of (docs/performance.md). ``gc.freeze()`` keeps them
    out of later collections; anything built afterwards is collected as usual.

    Only for a process that serves one app for its whole life: frozen objects are never
    collected, so a process that builds app after app (the test suite) must not call it.

    A page allocates tens of thousands of short-lived objects, nearly all freed by their
    reference counts, yet at Python's default threshold the collector ran a young
    collection every 700 of them, dozens per page, and promoted survivors it then walked
    again. Ten times the threshold made list and ticket pages 4-5% faster in-process
    (mean of 600, alternated; docs/performance.md); cycles are still collected, a little
    later.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, older, oldest)
