"""Fixtures of the logwatch tests; makes the shared builders importable as `lwdata`.

pytest runs with --import-mode=importlib, so sibling modules are not on sys.path: load it here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("lwdata", Path(__file__).with_name("lwdata.py"))
assert _spec and _spec.loader
lwdata = importlib.util.module_from_spec(_spec)
sys.modules["lwdata"] = lwdata
_spec.loader.exec_module(lwdata)


@pytest.fixture
def logs(tmp_path):
    """Helper writing synthetic logs into tmp_path and scanning them (see lwdata.py)."""
    return lwdata.Logs(tmp_path)
