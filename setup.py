"""What pyproject.toml cannot say: the top-level ``templates/`` folder ships in the wheel
as the package ``service.templates``.

pyproject.toml takes either found packages or a list of names, not found packages plus
one mapped folder, so the packages are found here as ``[tool.setuptools.packages.find]``
found them, and the templates are added under their import name. An editable install
maps ``service.templates`` back to ``templates/``. Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["service*", "jobs*"]), "service.templates"],
    package_dir={"service.templates": "templates"},
)
