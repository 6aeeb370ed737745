"""The WSGI entry point for gunicorn (the Procfile's ``web``)."""

from .app import create_app

app = create_app()
