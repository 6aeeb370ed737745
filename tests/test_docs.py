"""The README stays an entry point, and every setting the service reads is in it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _settings_read() -> set[str]:
    source = (ROOT / "service" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\"", source))


def test_the_readme_is_an_entry_point_not_a_manual() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8")) < 15_000


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    read = _settings_read()
    assert len(read) >= 19  # the pattern still finds what settings.py reads
    assert sorted(name for name in read if f"`{name}`" not in readme) == []


def test_docs_link_only_to_files_that_exist() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
