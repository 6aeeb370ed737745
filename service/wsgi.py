"""The WSGI entry point for gunicorn (the Procfile's ``web``)."""

import gc
import sys

from .app import create_app

app = create_app()

# Everything built so far (modules, the app, its schemas) lives as long as the process.
# Left to the collector, each full collection walks all of it, a pause that lands on
# whichever requests are in flight; frozen, it is never walked (docs/performance.md).
gc.freeze()

# A request hands the GIL over on every database call (SQLite: on every row). Coming
# back, it waits until the thread holding the GIL lets go, by default only after the
# whole switch interval: with 4 threads a process, those waits dominated a list request
# at half load (docs/performance.md). A short interval keeps a thread's wait short for a
# little more switching.
sys.setswitchinterval(0.0005)
