"""`gezi mask` analyzes XLSX cells and JSON values in batches that share a column name or key:
every value must come out exactly as masking it on its own would make it — across batch
boundaries, above and below a sheet's header, for numbers, and for JSON Lines with bad and
blank lines — and the counts must be those of masking value by value."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from gezi.pii import mask_files
from gezi.pii.files import HEADER_PREFIX_ROWS, header_index
from gezi.pii.mask_files import _Masker, mask_file

from .builders import make_xlsx

KEY = b"k" * 32
METHODS = [("partial", None, False), ("redact", None, False), ("pseudonym", KEY, False),
           ("pseudonym", KEY, True)]

# Free texts with personal data at the start, middle and end, a line break, none at all.
TEXTS = [
    "客戶王小明來電，電話0912-345-678",
    "寄送地址：臺北市大安區忠孝東路四段100號5樓\n備註：身分證A123456789",
    "no personal data here",
    "Email wang.xiaoming@example.com.tw，生日 79.05.03",
    "統一編號 04595257 請開發票",
    "ip=203.0.113.5 登入失敗",
    "A123456789",
    "陳怡君 B234567894 02-2345-6789",
    "",
    "   ",
]
# Bare values that only a telling column name makes personal data.
NAMES = ["王小明", "陳怡君", "林志玲", "李大同", "張三"]
IDS = ["A123456789", "B234567890", "F131104093", "X", "04595257"]
PHONES = ["0912345678", "02-2345-6789", 912345678, "0912-345-678", 2234567]
# Values whose hits depend on the column name itself (a passport number only under 護照, an
# account number under 帳號), where the name does not make the whole value one entity.
HINTED = [912345678, "912345678", "陳怡君 B234567894 02-2345-6789", "12345", None]


def _row(i: int) -> list[Any]:
    return [NAMES[i % 5], IDS[i % 5], PHONES[i % 5], TEXTS[i % len(TEXTS)],
            [None, 12345, 3.5, True, dt.datetime(2024, 1, 2), 4595257, "04595257"][i % 7],
            TEXTS[(i * 3) % len(TEXTS)], HINTED[i % 5], HINTED[(i + 2) % 5]]


SHEETS: dict[str, list[list[Any]]] = {
    # Two title rows (one with a name) above the header; two columns named 備註.
    "名單": [[None] * 6, ["113年度會員名單（承辦人王小明）"], ["製表日期 2024-01-02"],
           ["姓名", "身分證字號", "手機", "備註", "統一編號", "備註", "護照號碼", "帳號"],
           *[_row(i) for i in range(40)]],
    # A header with non-telling names and a blank name; a number as a column name.
    "log": [["時間", "訊息", None, 2024], *[[dt.datetime(2024, 1, 1), TEXTS[i % len(TEXTS)],
                                          PHONES[i % 5], NAMES[i % 5]] for i in range(25)]],
    # Rows of one cell: the first is the header.
    "單欄": [[TEXTS[(i + 2) % len(TEXTS)] or None] for i in range(12)],
    "空白": [],
}
# Under 護照號碼 the bare number is a passport number; with no column name it is not.
_PASSPORT = 6



def _masker(method: str, key: bytes | None, fp: bool) -> _Masker:
    return _Masker(method, key, fp, None)


def _xlsx_reference(src: Path, m: _Masker) -> dict[str, list[list[Any]]]:
    """The sheets masked cell by cell, each cell analyzed on its own."""
    book = load_workbook(src)
    sheets = {}
    for sheet in book.worksheets:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        at = header_index(rows[:HEADER_PREFIX_ROWS])
        header = [] if at is None else ["" if v is None else str(v) for v in rows[at]]
        for r, row in enumerate(rows):
            if r == at:
                continue
            for c, value in enumerate(row):
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    column = header[c] if at is not None and r > at else None
                    masked = m.text(str(value), column)
                    if masked != str(value):
                        row[c] = masked
        sheets[sheet.title] = rows
    return sheets


def _json_reference(value: Any, key: str | None, m: _Masker) -> Any:
    """A parsed JSON value masked value by value, each under its own key."""
    if isinstance(value, dict):
        return {k: _json_reference(v, k, m) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_reference(v, key, m) for v in value]
    if isinstance(value, str):
        return m.text(value, key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        masked = m.text(str(value), key)
        return value if masked == str(value) else masked
    return value


def _by_entity(m: _Masker) -> dict[str, int]:
    return dict(sorted(m.counts.items()))


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 7 rows or lines, so that every column and key spans several."""
    monkeypatch.setattr(mask_files, "_ROW_BATCH", 7)
    monkeypatch.setattr(mask_files, "_LINE_BATCH", 7)


@pytest.mark.parametrize(("method", "key", "fp"), METHODS)
def test_xlsx_cells_masked_as_one_by_one(tmp_path, small_batches, method, key, fp):
    src = make_xlsx(tmp_path / "book.xlsx", SHEETS)
    result = mask_file(src, tmp_path / "out.xlsx", method, key, fp)
    m = _masker(method, key, fp)
    expected = _xlsx_reference(src, m)
    book = load_workbook(tmp_path / "out.xlsx")
    got = {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}
    assert got == expected
    assert result["by_entity"] == _by_entity(m)
    # The data is there to be masked: a title row, a bare name, a number made text.
    rows = got["名單"]
    assert rows[1][0] != SHEETS["名單"][1][0] and rows[3] == SHEETS["名單"][3]
    assert rows[4][0] != "王小明" and isinstance(rows[6][2], str)
    assert got["log"][0] == ["時間", "訊息", None, 2024] and got["log"][1][3] != "王小明"
    assert rows[4][_PASSPORT] != 912345678 and rows[5][_PASSPORT] != "912345678"


def _document() -> Any:
    people = [{"name": NAMES[i % 5], "id_no": IDS[i % 5], "phone": PHONES[i % 5],
               "memo": TEXTS[i % len(TEXTS)], "score": [98.5, 0, -3, 1e20][i % 4],
               "vip": i % 2 == 0, "deleted": None, "passport": HINTED[i % 5],
               "帳號": [HINTED[(i + 2) % 5]],
               "contact": {"name": NAMES[(i + 1) % 5], "phone": PHONES[(i + 2) % 5],
                           "tags": [TEXTS[(i + 3) % len(TEXTS)], ["A123456789", i]]}}
              for i in range(30)]
    return {"people": people, "name": "王小明", "note": TEXTS, "empty": {}, "none": [],
            "phone": [[912345678, "0912-345-678"], None, True]}


@pytest.mark.parametrize(("method", "key", "fp"), METHODS)
@pytest.mark.parametrize("doc", [_document(), ["王小明", {"name": "陳怡君"}, 912345678],
                                 "客戶王小明 A123456789", 912345678, None])
def test_json_values_masked_as_one_by_one(tmp_path, method, key, fp, doc):
    src = tmp_path / "doc.json"
    src.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    result = mask_file(src, tmp_path / "out.json", method, key, fp)
    m = _masker(method, key, fp)
    expected = json.dumps(_json_reference(doc, None, m), ensure_ascii=False, indent=2) + "\n"
    assert (tmp_path / "out.json").read_bytes() == expected.encode()
    assert result["by_entity"] == _by_entity(m)


def _jsonl_lines() -> list[str]:
    lines = []
    for i in range(40):
        if i % 9 == 4:
            lines.append("not json: 王小明 0912345678 {")
        elif i % 9 == 7:
            lines.append(["", "   ", "\t"][i % 3])
        elif i % 9 == 8:
            lines.append(json.dumps(TEXTS[i % len(TEXTS)], ensure_ascii=False) if i % 2 else "null")
        else:
            lines.append(json.dumps(_document()["people"][i % 30], ensure_ascii=False))
    return lines


@pytest.mark.parametrize(("method", "key", "fp"), METHODS)
def test_jsonl_lines_masked_as_one_by_one(tmp_path, small_batches, method, key, fp):
    lines = _jsonl_lines()
    src = tmp_path / "events.jsonl"
    src.write_bytes(("\r\n".join(lines[:20]) + "\n" + "\n".join(lines[20:])).encode())
    result = mask_file(src, tmp_path / "out.jsonl", method, key, fp)
    m = _masker(method, key, fp)
    expected = []
    for line in lines:
        if not line.strip():
            expected.append(line)  # blank lines stay as they are
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            expected.append(m.text(line))
            continue
        expected.append(json.dumps(_json_reference(doc, None, m), ensure_ascii=False))  # null too
    assert (tmp_path / "out.jsonl").read_bytes() == "".join(f"{e}\n" for e in expected).encode()
    assert result["by_entity"] == _by_entity(m)
    assert "王小明" not in (tmp_path / "out.jsonl").read_text(encoding="utf-8")
