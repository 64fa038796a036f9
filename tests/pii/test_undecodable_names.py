"""File names whose bytes are not UTF-8 (Big5 names from a Windows share): scan --json stays
valid UTF-8 JSON, and the inventory records, shows and re-scans them (it raised
UnicodeEncodeError: surrogates not allowed)."""

from __future__ import annotations

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
