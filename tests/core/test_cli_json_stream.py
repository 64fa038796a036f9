"""cli.common.print_json_stream writes one valid JSON document, item by item."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gezi.cli.common import print_json_stream


@pytest.mark.parametrize("items", [[], [{"a": 1}], [{"a": i, "when": dt.date(2026, 11, 23)} for i in range(3)]])
@pytest.mark.parametrize("head", [{}, {"summary": {"n": 3, "by": {"X": 1}}}])
def test_stream_is_one_json_document(capsys, head, items):
    print_json_stream(head, "findings", iter(items))
    doc = json.loads(capsys.readouterr().out)
    assert doc == {**head, "findings": [{**i, **({"when": "2026-11-23"} if "when" in i else {})} for i in items]}


def test_stream_keeps_chinese_readable(capsys):
    print_json_stream({"summary": {}}, "findings", [{"value": "王○明"}])
    assert "王○明" in capsys.readouterr().out
