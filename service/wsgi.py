"""The WSGI entry point for gunicorn (the Procfile's ``web``)."""

import gc

from .app import create_app

app = create_app()

# Everything built so far (modules, the app, its schemas: ~170,000 objects) lives as long
# as the process. Left to the collector, each full collection walks all of it, a pause of
# ~100 ms that lands on whichever requests are in flight; frozen, it is never walked.
gc.freeze()
