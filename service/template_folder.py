"""Where the Jinja templates are, installed or not.

They live in the repository's top-level ``templates/`` folder, which the wheel installs
as the package ``service.templates`` and an editable install maps to the folder itself
(setup.py): importing the package finds them either way.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

try:
    TEMPLATES = Path(str(files("service.templates")))
except ModuleNotFoundError:  # an editable install made before setup.py mapped the folder
    raise ImportError("service.templates is not installed: run `pip install -e .` again") from None
SMS_TEMPLATES = TEMPLATES / "sms"
