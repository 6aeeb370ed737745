"""The WSGI entry point for gunicorn (the Procfile's ``web``)."""

import gc
import sys

from .app import create_app

app = create_app()

# Everything built so far (modules, the app, its schemas: ~170,000 objects) lives as long
# as the process. Left to the collector, each full collection walks all of it, a pause of
# ~100 ms that lands on whichever requests are in flight; frozen, it is never walked.
gc.freeze()

# A request hands the GIL over on every database call (SQLite: on every row). Coming
# back, it waits until the thread holding the GIL lets go, by default after up to 5 ms:
# with 4 threads a process, those waits made a list request 20 ms at half load. 0.5 ms
# keeps a thread's wait short for a little more switching.
sys.setswitchinterval(0.0005)
