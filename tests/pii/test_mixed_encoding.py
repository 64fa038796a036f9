"""A UTF-8 file with a bad byte past the 64 KiB sample stays UTF-8: the byte is read as U+FFFD,
counted and reported per file by the scanner, and refused with its offset by the readers of
recipient and contact lists (privacy notify / optout), which must not guess. Big5/CP950 files
are detected as before, also when their first 64 KiB are ASCII."""

from __future__ import annotations

import io

import pytest

from gezi.core.errors import GeziError
from gezi.pii import scan as scan_module
from gezi.pii.files import (
    SAMPLE_BYTES,
    detect_encoding,
    open_text,
    read_text,
    undecodable_bytes,
    whole_file_encoding,
)
from gezi.pii.scan import scan_paths
from gezi.privacy.mailer import read_recipients
from gezi.privacy.optout import read_list_file

NID = "A123456789"
# Over 64 KiB of UTF-8 Chinese rows (the sample is valid UTF-8 and not ASCII), then one byte
# that is not UTF-8, then a row with a name and an ID number.
HEAD = "".join(f"第{n}列，備註：客戶服務紀錄\n" for n in range(3000)).encode()
BAD_AT = len(HEAD) + len("王小明 ".encode())
MIXED = HEAD + "王小明 ".encode() + b"\xa4" + f" 身分證 {NID}\n".encode()


def _decoded(raw: bytes) -> tuple[str, str, list]:
    with undecodable_bytes() as bad:
        stream, encoding = open_text(lambda: io.BytesIO(raw))
        with stream:
            text = stream.read()
    return text, encoding, bad


def test_utf8_sample_stays_utf8_and_the_bad_byte_is_counted_at_its_offset():
    assert len(HEAD) > SAMPLE_BYTES
    text, encoding, bad = _decoded(MIXED)
    assert encoding == "utf-8"
    assert text.endswith(f"王小明 \ufffd 身分證 {NID}\n")  # not re-read as CP950 nonsense
    assert text.startswith("第0列，備註：客戶服務紀錄\n")
    assert [(b.count, b.first) for b in bad] == [(1, BAD_AT)]


def test_clean_files_report_nothing():
    for raw in (HEAD, "王小明".encode("cp950") * 40000, b"plain ascii\n" * 10000):
        _, _, bad = _decoded(raw)
        assert bad == []


def test_big5_is_still_detected_including_past_an_ascii_start():
    big5 = "姓名,電話\n王小明,0912345678\n".encode("cp950")
    assert detect_encoding(big5) == whole_file_encoding(big5) == "cp950"
    ascii_first = b"email\n" + b"user@example.com\n" * 5000 + "陳美麗\n".encode("cp950")
    assert whole_file_encoding(ascii_first) == "cp950"
    assert whole_file_encoding(b"email\n" * 20000 + "陳美麗\n".encode()) == "utf-8"
    # A sample that is valid UTF-8 decides, however CP950-like later bytes look.
    assert whole_file_encoding(MIXED) == "utf-8"


def test_read_text_counts_what_it_replaced_per_file():
    with undecodable_bytes() as bad:
        text = "".join(s.text for _, segs in read_text(lambda: io.BytesIO(MIXED)) for s in segs)
    assert text.count("\ufffd") == 1 and [b.first for b in bad] == [BAD_AT]


def test_scanner_reports_the_file_and_still_scans_it(tmp_path):
    mixed, clean = tmp_path / "mixed.txt", tmp_path / "clean.txt"
    mixed.write_bytes(MIXED)
    clean.write_bytes(HEAD + f"王小明 身分證 {NID}\n".encode())
    report = scan_paths([mixed, clean], workers=1)
    assert report.files_scanned == 2
    ids = {f.path: f.line for f in report.findings if f.entity == "TW_NATIONAL_ID"}
    assert ids == {str(mixed): 3001, str(clean): 3001}
    (note,) = report.files_skipped
    assert note["path"] == str(mixed) and note["scanned"] is True
    assert (note["undecodable_bytes"], note["first_undecodable_byte"]) == (1, BAD_AT)
    assert note["undecodable_lines"] == [3001]  # where to look, as a text editor numbers lines
    assert f"byte {BAD_AT}" in note["reason"] and NID not in note["reason"]


def test_a_file_cut_into_parts_reports_offsets_in_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(scan_module, "SPLIT_BYTES", 32 << 10)  # cut this small file into parts
    monkeypatch.setattr(scan_module, "SPLIT_MAX_BYTES", 32 << 10)
    path = tmp_path / "big.log"
    path.write_bytes(MIXED + HEAD + MIXED)
    report = scan_paths([path], workers=1)
    assert report.files_scanned == 1
    assert [(n["undecodable_bytes"], n["first_undecodable_byte"], n["undecodable_lines"])
            for n in report.files_skipped] == [(1, BAD_AT, [3001]), (1, len(MIXED + HEAD) + BAD_AT, [9002])]


@pytest.mark.parametrize("reader", [read_list_file, read_recipients])
def test_list_readers_refuse_a_late_bad_byte_with_its_offset(tmp_path, reader):
    path = tmp_path / "名單.csv"
    rows = "".join(f"user{n}@example.com,王小明{n}\n" for n in range(4000)).encode()
    path.write_bytes(b"email,name\n" + rows + b"bad@example.com,\xa4\n")
    with pytest.raises(GeziError) as exc:
        reader(path)
    message = str(exc.value)
    assert len(message.splitlines()) == 1
    assert f"byte {11 + len(rows) + len(b'bad@example.com,')}" in message and "utf-8" in message


def test_list_readers_still_read_big5_after_an_ascii_start(tmp_path):
    path = tmp_path / "名單.csv"
    path.write_bytes(b"email,name\n" + b"user@example.com,x\n" * 5000
                     + "last@example.com,許功蓋\n".encode("cp950"))
    text, encoding = read_list_file(path)
    assert encoding == "cp950" and text.endswith("許功蓋\n")


def test_the_scan_summary_gives_the_lines(fresh_env, cli, tmp_path):
    (tmp_path / "mixed.txt").write_bytes(MIXED)
    r = cli("pii", "scan", tmp_path / "mixed.txt", "--workers", "1")
    assert r.code == 0, r.err
    out = "".join(r.out.splitlines())  # the console wraps long lines
    assert f"部分未檢查 partly unread {tmp_path / 'mixed.txt'}: " in out
    assert f"第一個在第 {BAD_AT} 位元組" in out and "was scanned（第 3001 行 lines）" in out
