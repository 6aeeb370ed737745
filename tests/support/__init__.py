"""What tests (and the benchmarks' full-size proofs) share: fakes, seeded worlds and the
proof rigs. Fixtures stay in ``conftest.py``; everything else the tests reuse lives here."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root: the working directory of the processes the tests start."""
