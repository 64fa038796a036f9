"""Big5/CP950 whose first 64 KiB are ASCII (a log, a list that starts with e-mail addresses):
the encoding is decided by the bytes from the first non-ASCII character, for the scanner (whole
files, cut parts, CSV cells) and the masker alike; a UTF-8 file keeps the honesty rules of
test_mixed_encoding (never re-guessed as CP950, bad bytes counted)."""

from __future__ import annotations

import io

from gezi.pii import files as files_module
from gezi.pii import scan as scan_module
from gezi.pii.files import SAMPLE_BYTES, _char_start, stream_encoding
from gezi.pii.mask_files import mask_file
from gezi.pii.scan import scan_paths

NID = "A123456789"
# An access log: over 64 KiB of ASCII lines before the first Chinese one.
LOG_HEAD = "".join(f"2026-11-20 10:{n // 60 % 60:02d}:{n % 60:02d} INFO GET /api/orders/{n} 200\n"
                   for n in range(1500)).encode()
BIG5_LINE = f"2026-11-20 11:00:00 WARN 客戶王小明 身分證 {NID} 電話 0912-345-678\n"


def _findings(report) -> set[tuple]:
    return {(f.entity, f.line, f.row, f.column, f.value) for f in report.findings}


def test_a_big5_line_after_an_ascii_log_is_read_as_big5(tmp_path):
    assert len(LOG_HEAD) > SAMPLE_BYTES and LOG_HEAD.isascii()
    path = tmp_path / "app.log"
    path.write_bytes(LOG_HEAD + BIG5_LINE.encode("cp950") + b"2026-11-20 11:00:01 INFO done\n")
    report = scan_paths([path], workers=1)
    assert report.files_scanned == 1 and report.files_skipped == []  # nothing read as U+FFFD
    line = LOG_HEAD.count(b"\n") + 1
    assert {("PERSON_NAME", line, None, None, "王小明"), ("TW_NATIONAL_ID", line, None, None, NID),
            ("PHONE_NUMBER", line, None, None, "0912-345-678")} <= _findings(report)


def test_a_big5_csv_whose_first_rows_are_ascii(tmp_path):
    path = tmp_path / "members.csv"
    rows = "".join(f"user{n}@example.com,member {n},0\n" for n in range(3000))
    path.write_bytes(b"email,name,points\n" + rows.encode()
                     + "chen@example.com,陳美麗,5\n".encode("cp950"))
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    assert ("PERSON_NAME", None, 3002, "name", "陳美麗") in _findings(report)


def test_the_masker_reads_the_same_big5_and_writes_utf8_with_a_bom(tmp_path):
    src, dst = tmp_path / "app.log", tmp_path / "masked.log"
    src.write_bytes(LOG_HEAD + BIG5_LINE.encode("cp950"))
    result = mask_file(src, dst)
    raw = dst.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel and Notepad on a Taiwanese PC read it as UTF-8
    text = raw.decode("utf-8-sig")
    assert text.startswith(LOG_HEAD.decode())
    assert text.endswith("客戶王○明 身分證 A12****789 電話 0912-***-678\n")
    assert result["by_entity"] == {"PERSON_NAME": 1, "PHONE_NUMBER": 1, "TW_NATIONAL_ID": 1}
    assert "undecodable_bytes" not in result

    csv_src, csv_dst = tmp_path / "members.csv", tmp_path / "members-masked.csv"
    rows = "".join(f"user{n}@example.com,{n}\n" for n in range(4000))
    csv_src.write_bytes(b"email,points\n" + rows.encode() + "王小明,5\n".encode("cp950"))
    mask_file(csv_src, csv_dst)
    assert csv_dst.read_bytes().decode("utf-8-sig").endswith("王○明,5\r\n")


def test_past_the_head_search_blocks_spread_over_the_file_decide(tmp_path, monkeypatch):
    monkeypatch.setattr(files_module, "_HEAD_SEARCH_BYTES", SAMPLE_BYTES)
    path = tmp_path / "big.log"
    path.write_bytes(LOG_HEAD * 20 + BIG5_LINE.encode("cp950") + LOG_HEAD * 20)
    with path.open("rb") as fh:
        assert stream_encoding(fh) == "cp950" and fh.tell() == 0
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    assert ("PERSON_NAME", 20 * 1500 + 1, None, None, "王小明") in _findings(report)


def test_a_file_cut_into_parts_reads_every_part_as_big5(tmp_path, monkeypatch):
    monkeypatch.setattr(scan_module, "SPLIT_BYTES", 32 << 10)
    monkeypatch.setattr(scan_module, "SPLIT_MAX_BYTES", 32 << 10)
    path = tmp_path / "big.log"
    path.write_bytes(LOG_HEAD + BIG5_LINE.encode("cp950") + LOG_HEAD + BIG5_LINE.encode("cp950"))
    report = scan_paths([path], workers=1)
    assert report.files_scanned == 1 and report.files_skipped == []
    names = sorted(f.line for f in report.findings if f.entity == "PERSON_NAME")
    assert names == [1501, 3002]


def test_utf8_after_an_ascii_start_stays_utf8_and_a_later_big5_byte_is_counted(tmp_path):
    path = tmp_path / "mixed.log"
    utf8 = "2026-11-20 11:00:00 INFO 客戶王小明\n".encode()
    path.write_bytes(LOG_HEAD + utf8 + BIG5_LINE.encode("cp950"))
    report = scan_paths([path], workers=1)
    (note,) = report.files_skipped
    assert note["scanned"] is True and note["first_undecodable_byte"] == len(LOG_HEAD) + len(utf8) + 25
    assert ("PERSON_NAME", 1501, None, None, "王小明") in _findings(report)


def test_a_block_taken_inside_a_character_starts_at_the_next_one():
    text = "王小明\n陳美麗".encode()
    assert _char_start(text[1:], after_ascii=False) == text.index("陳".encode()) - 1
    assert _char_start(text[1:4], after_ascii=False) is None  # no ASCII byte: no known start
    assert _char_start(b"abc" + text, after_ascii=True) == 3
    big5 = "許功蓋\n".encode("cp950")  # 許 is B3 5C: its trail byte is ASCII
    assert _char_start(big5[1:], after_ascii=False) == 1  # 功 (A5 5C), after the trail byte
    # A probe inside a long run of UTF-8 Chinese (lines of it) reads it as UTF-8, not CP950.
    body = ("王小明說好\n" * 60000).encode()
    raw = b"x" * SAMPLE_BYTES + b"y" * (100 << 10) + body
    assert stream_encoding(io.BytesIO(raw), head=SAMPLE_BYTES) == "utf-8"
