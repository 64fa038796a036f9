"""finding_json writes exactly what json.dumps makes of a finding's dict (the documented JSON
shape of `gezi pii scan --json`), for any text: quotes, backslashes, control characters,
Chinese, emoji, and the surrogate escapes of file names that are not UTF-8 (written as \\xNN
so that the output is valid UTF-8)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from gezi.core.fsnames import printable, printable_doc
from gezi.pii.model import PiiFinding, finding_json

# Surrogates included: a file name that is not UTF-8 holds them (written as \\xNN, valid UTF-8).
texts = st.text(alphabet=st.characters(blacklist_categories=()), max_size=30)


def reference(f: PiiFinding, value: str) -> str:
    doc = {"path": f.path, "line": f.line, "start": f.start, "end": f.end, "row": f.row,
           "column": f.column, "entity": f.entity, "score": f.score, "value": value}
    return json.dumps(printable_doc(doc), ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(path=texts, entity=texts, value=texts, column=st.none() | texts,
       line=st.none() | st.integers(1, 10**9), row=st.none() | st.integers(1, 10**9),
       start=st.integers(0, 10**6), length=st.integers(0, 100),
       score=st.floats(0, 1) | st.sampled_from([0.5, 0.85, 1.0, 0.1 + 0.2]))
def test_same_text_as_json_dumps(path, entity, value, column, line, row, start, length, score):
    f = PiiFinding(path, entity, score, "raw", start, start + length, line, row, column)
    text = finding_json(f, value)
    assert text == reference(f, value)
    text.encode("utf-8")
    assert json.loads(text)["value"] == printable(value)


def test_examples():
    f = PiiFinding('a "b"\\c.txt', "TW_NATIONAL_ID", 1.0, "A123456789", 3, 13, 2)
    assert finding_json(f, "A12****789") == reference(f, "A12****789")
    cell = PiiFinding("x.csv", "PERSON_NAME", 0.9, "王小明", 0, 3, None, 2, "姓名\n\t")
    assert finding_json(cell, "王○明") == reference(cell, "王○明")
