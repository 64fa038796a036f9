"""`gezi mask` says what it could not decode: a UTF-8 text or CSV with Big5 bytes past the
64 KiB sample is masked, the bytes are counted, located by line (a sample) and written as U+FFFD
— in the summary and in --json, never as text of their own."""

from __future__ import annotations

import io

from gezi.pii.files import lines_at
from gezi.pii.mask_files import mask_file

# Over 64 KiB of UTF-8 Chinese lines, so the sample is UTF-8 and not ASCII.
HEAD = "".join(f"第{n}列，備註：客戶服務紀錄\r\n" for n in range(3000))
NAME_BIG5 = "陳美玲".encode("cp950")  # six bytes of which UTF-8 decodes none


def _source(tmp_path, suffix: str = ".txt"):
    src = tmp_path / f"客服紀錄{suffix}"
    src.write_bytes(HEAD.encode() + b"client " + NAME_BIG5 + " 身分證 A123456789\r\n".encode()
                    + "王小明 0912-345-678\r\n".encode() + b"x\xa4y\r\n")
    return src


def test_the_result_counts_and_locates_them_and_the_copy_holds_u_fffd(tmp_path):
    src, dst = _source(tmp_path), tmp_path / "masked.txt"
    result = mask_file(src, dst)
    assert result["undecodable_bytes"] == 7  # the name's six bytes and one on line 3003
    assert result["first_undecodable_byte"] == len(HEAD.encode()) + len(b"client ")
    assert result["undecodable_lines"] == [3001, 3003] and result["undecodable_lines_more"] is False
    assert result["undecodable_written_as"] == "U+FFFD"
    out = dst.read_text(encoding="utf-8").splitlines()
    assert out[3000].startswith("client \ufffd") and out[3000].endswith("身分證 A12****789")
    assert out[3001] == "王○明 0912-***-678" and out[3002] == "x\ufffdy"
    assert NAME_BIG5 not in dst.read_bytes()  # not copied unread into the masked copy
    assert len(out) == 3003  # no line lost


def test_a_clean_file_reports_none(tmp_path):
    src, dst = tmp_path / "ok.txt", tmp_path / "ok-masked.txt"
    src.write_text(HEAD + "王小明\r\n", encoding="utf-8")
    assert "undecodable_bytes" not in mask_file(src, dst)


def test_a_csv_too(tmp_path):
    src = tmp_path / "名單.csv"
    rows = "".join(f"會員{n},user{n}@example.com\n" for n in range(4000))
    src.write_bytes("姓名,email\n".encode() + rows.encode() + NAME_BIG5 + b",chen@example.com\n")
    result = mask_file(src, tmp_path / "out.csv")
    assert (result["undecodable_bytes"], result["undecodable_lines"]) == (6, [4002])
    last = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[-1]
    assert last == "\ufffd*****,c***@example.com"  # six U+FFFD under 姓名, masked whole as a name


def test_the_cli_summary_and_json_say_it_without_the_bytes(fresh_env, cli, tmp_path):
    src = _source(tmp_path)
    r = cli("mask", src, tmp_path / "a.txt")
    assert r.code == 0, r.err
    line = next(s for s in r.out.splitlines() if "無法解碼" in s)
    assert "7 個" in line and "第 3001、3003 行" in line and "U+FFFD" in line and "未複製" in line
    assert "陳美玲" not in r.out and "\ufffd\ufffd" not in r.out
    r = cli("mask", src, tmp_path / "b.txt", "--json")
    assert r.code == 0, r.err
    assert {k: r.json[k] for k in ("undecodable_bytes", "undecodable_lines")} == \
        {"undecodable_bytes": 7, "undecodable_lines": [3001, 3003]}
    assert "陳美玲" not in r.out


def test_many_runs_show_a_sample_of_lines(tmp_path):
    src = tmp_path / "many.log"
    src.write_bytes(HEAD.encode() + b"".join(b"row %d \xa4\n" % n for n in range(100)))
    result = mask_file(src, tmp_path / "out.log")
    assert result["undecodable_bytes"] == 100
    assert result["undecodable_lines"] == list(range(3001, 3011)) and result["undecodable_lines_more"]


def test_lines_are_counted_as_universal_newlines():
    raw = b"a\r\nb\rc\nd\r" + b"\ne"  # \r\n, \r, \n; a \r\n cut between two reads
    opener = lambda: io.BytesIO(raw)  # noqa: E731
    assert lines_at(opener, "utf-8", [0, 3, 5, 7, len(raw) - 1]) == [1, 2, 3, 4, 5]
