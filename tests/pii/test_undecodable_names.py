"""File names whose bytes are not UTF-8 (Big5 names from a Windows share): scan --json stays
valid UTF-8 JSON, and the inventory records, shows and re-scans them (it raised
UnicodeEncodeError: surrogates not allowed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gezi.core.fsnames import from_printable, printable

BIG5_NAME = b"\xa4\xa4\xa4\xe5.txt"  # 中文.txt in Big5


def _share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    root.mkdir()
    with open(os.fsencode(root) + b"/" + BIG5_NAME, "wb") as fh:
        fh.write("電話 0912-345-678".encode())
    with open(os.fsencode(root) + b"/\xa4\xa4.zip", "wb") as fh:
        fh.write(b"PK\x03\x04 broken")
    return root


def test_scan_json_is_valid_utf8_with_escaped_names(fresh_env, cli, tmp_path):
    root = _share(tmp_path)
    r = cli("pii", "scan", root, "--json", "--workers", "1")
    assert r.code == 0, r.err
    r.out.encode("utf-8")  # no surrogate left
    (finding,) = r.json["findings"]
    assert finding["path"] == f"{root}/\\xa4\\xa4\\xa4\\xe5.txt"
    assert r.json["summary"]["skipped"][0]["path"] == f"{root}/\\xa4\\xa4.zip"


def test_inventory_records_and_rescans_them(initialized, cli, tmp_path):
    r = cli("org", "add", "--name", "測試商店股份有限公司", "--ubn", "04595252", "--industry",
            "ecommerce", "--json")
    assert r.code == 0, r.err
    root = _share(tmp_path)
    r = cli("inventory", "add-scan", root, "--per-file", "--json")
    assert r.code == 0, r.err
    (entry,) = r.json["entries"]
    assert entry["location"] == f"{root}/\\xa4\\xa4\\xa4\\xe5.txt" and entry["created"]
    again = cli("inventory", "rescan", "--json")
    assert again.code == 0, again.err
    assert again.json["missing"] == []
    assert [(e["location"], e["created"], e["counts"]) for e in again.json["entries"]] == [
        (entry["location"], False, {"PHONE_NUMBER": 1})]


@given(st.binary(max_size=20))
def test_printable_round_trips_file_names(raw):
    name = os.fsdecode(raw.replace(b"/", b"_").replace(b"\x00", b"_").replace(b"\\", b"_"))
    shown = printable(name)
    shown.encode("utf-8")
    assert from_printable(shown) == name


def test_lone_surrogates_from_json_escapes_are_written_validly(fresh_env, cli, tmp_path):
    """A JSON file may hold \\ud800 escapes that decode to lone surrogates (not a file name):
    the output stays valid UTF-8."""
    (tmp_path / "x.json").write_text('{"\\ud800姓名": "王小明", "note": "電話0912-345-678\\udfff"}',
                                      encoding="utf-8")
    r = cli("pii", "scan", tmp_path / "x.json", "--json", "--workers", "1")
    assert r.code == 0, r.err
    r.out.encode("utf-8")
    assert {f["column"] for f in r.json["findings"]} == {"$.\\ud800姓名", "$.note"}


def test_analyzer_and_mask_accept_lone_surrogates(tmp_path):
    from gezi.pii.analyzer import analyze_text
    from gezi.pii.mask_files import mask_file

    assert [h[4] for h in analyze_text("電話0912-345-678\udfff")] == ["0912-345-678"]
    src = tmp_path / "x.json"
    src.write_text('{"\\ud800name": "王小明", "note": ["電話0912-345-678\\udfff"]}', encoding="utf-8")
    mask_file(src, tmp_path / "out.json")
    out = (tmp_path / "out.json").read_bytes()
    assert json.loads(out) == {"\ud800name": "王○明", "note": ["電話0912-***-678\udfff"]}
    (tmp_path / "x.jsonl").write_text('{"a": "\\ud800王小明"}\nnot json \\ud800\n', encoding="utf-8")
    mask_file(tmp_path / "x.jsonl", tmp_path / "out.jsonl")
    lines = (tmp_path / "out.jsonl").read_bytes().decode("utf-8").splitlines()
    assert json.loads(lines[0]) == {"a": "\ud800王○明"} and lines[1] == "not json \\ud800"
