"""Decide which frameworks and items apply to an organization profile (conditions are data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gezi.catalog.schema import Framework, Item

_OPS = {
    "eq": lambda a, b: a == b,
    "gte": lambda a, b: a is not None and a >= b,
    "lte": lambda a, b: a is not None and a <= b,
    "gt": lambda a, b: a is not None and a > b,
    "lt": lambda a, b: a is not None and a < b,
}


def matches(condition: Mapping[str, Any] | None, facts: Mapping[str, Any]) -> bool:
    """True when the profile facts satisfy a catalog condition (None always matches)."""
    if not condition:
        return True
    for key, test in condition.items():
        if key == "any":
            if not any(matches(c, facts) for c in test):
                return False
        elif key == "all":
            if not all(matches(c, facts) for c in test):
                return False
        elif isinstance(test, list):
            if facts.get(key) not in test:
                return False
        elif isinstance(test, dict):
            for op, expected in test.items():
                if op not in _OPS:
                    raise ValueError(f"unknown operator {op!r} in condition on {key!r}")
                if not _OPS[op](facts.get(key), expected):
                    return False
        elif facts.get(key) != test:
            return False
    return True


def framework_applies(framework: Framework, facts: Mapping[str, Any]) -> bool:
    """Whether a framework applies to the organization at all."""
    return matches(framework.applies_if, facts)


def applicable_items(framework: Framework, facts: Mapping[str, Any]) -> list[Item]:
    """The items of a framework that apply to this profile (e.g. tier-specific TWSE items)."""
    return [i for i in framework.items if matches(i.applies_if, facts)]
