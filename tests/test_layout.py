"""The package layout holds: shared state outside the app factory, pages apart from the
API, and no import circle between packages (docs/architecture.md)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
ENTRY_POINTS = {"service/wsgi.py", "service/cli.py", "service/__main__.py", "service/app.py"}


def _imports() -> dict[str, set[str]]:
    """Each service module (dotted) and the service modules it imports."""
    found: dict[str, set[str]] = {}
    for path in SERVICE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(SERVICE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        module = ".".join(parts)
        package = parts if is_package else parts[:-1]
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names.add(target)
                names.update(f"{target}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[module] = {n for n in names if n.split(".")[0] == "service"}
    return found


def _file(module: str) -> str:
    path = SERVICE.parent / Path(*module.split("."))
    return f"{path.relative_to(SERVICE.parent)}.py"


def test_only_the_entry_points_import_the_app_factory() -> None:
    importers = sorted(
        _file(module)
        for module, names in _imports().items()
        if "service.app" in names and _file(module) not in ENTRY_POINTS
    )
    assert importers == []


def test_pages_never_import_the_api() -> None:
    offenders = sorted(
        module
        for module, names in _imports().items()
        if module.startswith("service.web") and any(n.startswith("service.api") for n in names)
    )
    assert offenders == []


def test_no_import_circle_between_packages() -> None:
    def package(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2])

    edges: dict[str, set[str]] = defaultdict(set)
    for module, names in _imports().items():
        for name in names:
            source, target = package(module), package(name)
            if source != target and (SERVICE.parent / Path(*target.split("."))).is_dir():
                edges[source].add(target)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(edges[current])
        return False

    circles = sorted(
        f"{a} <-> {b}" for a in list(edges) for b in edges[a] if a < b and reaches(b, a)
    )
    assert circles == []
