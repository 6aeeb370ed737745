"""Background processes. ``python -m jobs.clock`` is the Procfile's ``clock``."""
