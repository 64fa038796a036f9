"""File scanners: formats, encodings, locations and offsets, bad input reported and skipped."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from gezi.pii.model import ScanReport
from gezi.pii.scan import scan_paths

from .builders import (
    make_docx,
    make_encrypted_pdf,
    make_pdf,
    make_xlsx,
    make_zip,
)

CSV_TEXT = "姓名,身分證,電話,備註\n王小明,A123456789,0912-345-678,寄到台北市大安區忠孝東路四段100號\n"


def scan(*paths: Path, workers: int = 1) -> ScanReport:
    return scan_paths(list(paths), workers=workers)


def located(report: ScanReport) -> set[tuple]:
    return {(Path(f.path).name if "!" not in f.path else f.path.split("!", 1)[1], f.entity,
             f.line, f.row, f.column, f.start, f.end, f.value) for f in report.findings}


def test_text_lines_and_offsets(tmp_path):
    path = tmp_path / "chat.log"
    lines = ["沒有個資的一行", "客戶王小明說他的身分證是Ａ１２３４５６７８９喔",
             "電話 0912 345 678，email wang@example.com"]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    report = scan(path)
    assert report.files_scanned == 1 and report.files_skipped == []
    assert report.bytes_scanned == path.stat().st_size
    for f in report.findings:
        assert lines[f.line - 1][f.start:f.end] == f.value
    assert located(report) == {
        ("chat.log", "PERSON_NAME", 2, None, None, 2, 5, "王小明"),
        ("chat.log", "TW_NATIONAL_ID", 2, None, None, 12, 22, "Ａ１２３４５６７８９"),
        ("chat.log", "PHONE_NUMBER", 3, None, None, 3, 15, "0912 345 678"),
        ("chat.log", "EMAIL_ADDRESS", 3, None, None, 22, 38, "wang@example.com"),
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950"])
def test_csv_encodings_rows_and_columns(tmp_path, encoding):
    path = tmp_path / "customers.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    report = scan(path)
    assert report.files_skipped == []
    assert located(report) == {
        ("customers.csv", "PERSON_NAME", None, 2, "姓名", 0, 3, "王小明"),
        ("customers.csv", "TW_NATIONAL_ID", None, 2, "身分證", 0, 10, "A123456789"),
        ("customers.csv", "PHONE_NUMBER", None, 2, "電話", 0, 12, "0912-345-678"),
        ("customers.csv", "TW_ADDRESS", None, 2, "備註", 2, 18, "台北市大安區忠孝東路四段100號"),
    }


def test_tsv_and_column_hint_enables_context_entities(tmp_path):
    path = tmp_path / "vendors.tsv"
    path.write_text("公司\t統一編號\t備註\n甲公司\t04595252\t04595252\n", encoding="utf-8")
    report = scan(path)
    # Only the cell under 統一編號 counts: a bare 8-digit number elsewhere is not a UBN.
    assert located(report) == {("vendors.tsv", "TW_UBN", None, 2, "統一編號", 0, 8, "04595252")}


def test_xlsx_sheets(tmp_path):
    path = make_xlsx(tmp_path / "book.xlsx", {
        "客戶": [["姓名", "手機", "生日"], ["陳怡君", "0922333444", "1990-05-12"],
                 [None, 912345678, None]],
        "其他": [["說明"], ["無個資"]],
    })
    report = scan(path)
    assert report.files_skipped == []
    assert located(report) == {
        ("book.xlsx", "PERSON_NAME", None, 2, "客戶!姓名", 0, 3, "陳怡君"),
        ("book.xlsx", "PHONE_NUMBER", None, 2, "客戶!手機", 0, 10, "0922333444"),
        ("book.xlsx", "DATE_OF_BIRTH", None, 2, "客戶!生日", 0, 10, "1990-05-12"),
        ("book.xlsx", "PHONE_NUMBER", None, 3, "客戶!手機", 0, 9, "912345678"),  # lost its 0
    }


def test_json_and_jsonl(tmp_path):
    doc = {"order": {"id": "20240615123456", "buyer": {"name": "林淑芬", "phone": "0912345678"},
                     "items": [{"note": "統編04595252"}]}}
    (tmp_path / "order.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "events.jsonl").write_text(
        '{"msg": "login ok", "ip": "203.0.113.9"}\nnot json 身分證A123456789\n', encoding="utf-8")
    report = scan(tmp_path)
    assert located(report) == {
        ("order.json", "PERSON_NAME", None, None, "$.order.buyer.name", 0, 3, "林淑芬"),
        ("order.json", "PHONE_NUMBER", None, None, "$.order.buyer.phone", 0, 10, "0912345678"),
        ("order.json", "TW_UBN", None, None, "$.order.items[0].note", 2, 10, "04595252"),
        ("events.jsonl", "IP_ADDRESS", 1, None, "$.ip", 0, 11, "203.0.113.9"),
        ("events.jsonl", "TW_NATIONAL_ID", 2, None, None, 12, 22, "A123456789"),
    }


def test_docx_paragraphs_and_tables(tmp_path):
    path = make_docx(tmp_path / "memo.docx", ["會議紀錄", "聯絡人：王小明，手機0912345678"],
                     [["姓名", "身分證字號"], ["陳怡君", "A123456789"]])
    report = scan(path)
    assert located(report) == {
        ("memo.docx", "PERSON_NAME", 2, None, None, 4, 7, "王小明"),
        ("memo.docx", "PHONE_NUMBER", 2, None, None, 10, 20, "0912345678"),
        ("memo.docx", "PERSON_NAME", None, 2, "姓名", 0, 3, "陳怡君"),
        ("memo.docx", "TW_NATIONAL_ID", None, 2, "身分證字號", 0, 10, "A123456789"),
    }


def test_docx_text_boxes_headers_and_footers(tmp_path):
    """Fields in a text box and a sender in the header or footer are found, numbered after
    the body's paragraphs; a header shared by sections counts once."""
    import docx
    from docx.oxml import parse_xml

    path = make_docx(tmp_path / "form.docx", ["申請書"], [["項目"], ["無"]])
    document = docx.Document(path)
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    box = parse_xml(
        f'<w:p xmlns:w="{w}" xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:pict><v:shape>'
        "<v:textbox><w:txbxContent><w:p><w:r><w:t>身分證字號：</w:t></w:r><w:r><w:t>A123456789</w:t>"
        "</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>")
    document.element.body.insert(1, box)
    section = document.sections[0]
    section.header.paragraphs[0].text = "承辦人：陳怡君"
    section.footer.paragraphs[0].text = "電話 02-2345-6789"
    document.add_section()  # its header and footer are linked to the first section's
    document.save(path)
    # Body paragraphs: 申請書, the (empty) one holding the box, the section break's.
    assert located(scan(path)) == {
        ("form.docx", "TW_NATIONAL_ID", 4, None, None, 6, 16, "A123456789"),
        ("form.docx", "PERSON_NAME", 5, None, None, 4, 7, "陳怡君"),
        ("form.docx", "PHONE_NUMBER", 6, None, None, 3, 15, "02-2345-6789"),
    }


def test_pdf_text_and_encrypted_pdf(tmp_path):
    plain = make_pdf(tmp_path / "form.pdf", ["Application form", "ID: A123456789",
                                             "Mobile: 0912-345-678"])
    make_encrypted_pdf(tmp_path / "locked.pdf", plain)
    report = scan(tmp_path)
    assert {(f.entity, f.line, f.value) for f in report.findings} == {
        ("TW_NATIONAL_ID", 2, "A123456789"), ("PHONE_NUMBER", 3, "0912-345-678")}
    assert [(Path(s["path"]).name, "encrypted" in s["reason"]) for s in report.files_skipped] == [
        ("locked.pdf", True)]
    assert report.files_scanned == 1


def test_zip_recursive_with_member_paths(tmp_path):
    inner = tmp_path / "inner.zip"
    make_zip(inner, {"deep/a.txt": "身分證A123456789".encode()})
    outer = make_zip(tmp_path / "outer.zip", {
        "customers.csv": CSV_TEXT.encode("cp950"), "nested/inner.zip": inner.read_bytes()})
    inner.unlink()
    report = scan(outer)
    paths = {f.path for f in report.findings}
    assert paths == {f"{outer}!customers.csv", f"{outer}!nested/inner.zip!deep/a.txt"}
    assert report.files_scanned == 2


def test_bad_inputs_are_reported_and_the_rest_completes(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("手機0912345678", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\xff\xfe" * 100)
    (tmp_path / "bad.json").write_text('{"a": ', encoding="utf-8")
    make_pdf(tmp_path / "x.pdf", ["x"])
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4\n garbage \n%%EOF")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 truncated")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.txt", b"0" * (3 << 20))
        zf.writestr("../../etc/evil.txt", "身分證A123456789")
        zf.writestr("ok.txt", "電話0922333444")
    nest = "身分證A123456789".encode()
    for level in range(5):
        path = tmp_path / f"n{level}.zip"
        make_zip(path, {f"level{level}.zip" if level else "leaf.txt": nest})
        nest = path.read_bytes()
        path.unlink()
    (tmp_path / "nested.zip").write_bytes(nest)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "back").symlink_to(tmp_path, target_is_directory=True)
    report = scan(tmp_path, workers=2)
    reasons = {s["path"].replace(str(tmp_path) + os.sep, ""): s["reason"] for s in report.files_skipped}
    assert "XLSX" in reasons["broken.xlsx"]
    assert "binary" in reasons["binary.txt"]
    assert "JSON" in reasons["bad.json"]
    assert "PDF" in reasons["corrupt.pdf"]
    assert "ZIP" in reasons["bad.zip"]
    assert "zip bomb" in reasons["bomb.zip!zeros.txt"]
    assert "path traversal" in reasons["bomb.zip!../../etc/evil.txt"]
    assert any("nested deeper" in r for p, r in reasons.items() if p.startswith("nested.zip!"))
    assert "symlink loop" in reasons["loop"]
    assert "symlink loop" in reasons["sub/back"]
    values = {(Path(f.path.split("!")[0]).name, f.value) for f in report.findings}
    assert ("good.txt", "0912345678") in values
    assert ("bomb.zip", "0922333444") in values
    assert not any(f.value == "A123456789" and "evil" in f.path for f in report.findings)


def test_progress_and_parallel_match_sequential(tmp_path):
    for i in range(4):
        (tmp_path / f"f{i}.txt").write_text(f"客戶王小明 手機09123456{i:02d}\n" * 50, encoding="utf-8")
    calls: list[tuple[int, int]] = []
    seq = scan_paths([tmp_path], workers=1)
    par = scan_paths([tmp_path], workers=2, progress=lambda d, t: calls.append((d, t)))
    assert sorted(map(repr, seq.findings)) == sorted(map(repr, par.findings))
    assert len(seq.findings) == 4 * 50 * 2
    assert calls[-1][0] == calls[-1][1] == sum(p.stat().st_size for p in tmp_path.iterdir())


def test_large_text_file_streams_in_batches(tmp_path):
    path = tmp_path / "big.log"
    line = "2026-11-23 10:00:01 INFO user=alice 訂單 20240615123456 處理完成\n"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(40000):
            fh.write(line if i != 39999 else "身分證 A123456789\n")
    report = scan(path)
    assert [(f.line, f.value) for f in report.findings] == [(40000, "A123456789")]


@pytest.mark.parametrize("batch", [1 << 20, 16])
def test_very_long_lines_are_read_in_pieces_with_line_offsets(tmp_path, monkeypatch, batch):
    from gezi.pii import files

    monkeypatch.setattr(files, "MAX_LINE_CHARS", 64)
    monkeypatch.setattr(files, "BATCH_CHARS", batch)
    line = "x" * 100 + " 身分證A123456789 " + "y" * 50
    path = tmp_path / "minified.txt"
    path.write_text("first\n" + line + "\nlast 0912345678\n", encoding="utf-8")
    report = scan(path)
    assert [(f.line, f.start, f.value) for f in report.findings] == [
        (2, line.index("A1"), "A123456789"), (3, 5, "0912345678")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("batch", [7, 16, 1 << 20])
def test_blocks_of_lines_give_the_line_and_offset_of_each_value(tmp_path, monkeypatch, newline, batch):
    """Text files are read in blocks of lines (files.read_text); whatever the block size and
    line break, each value is reported on its own line with offsets in that line, as a scan
    of each line alone gives."""
    from gezi.pii import files
    from gezi.pii.analyzer import analyze_text

    monkeypatch.setattr(files, "BATCH_CHARS", batch)
    lines = ["", "身分證A123456789", "無", "電話 0912-345-678 與 02-2345-6789", "", "寄到 wang@example.com",
             "客戶王小明，統編 04595252"]
    path = tmp_path / "blocks.txt"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    expected = [(n, e, s, v) for n, line in enumerate(lines, start=1)
                for e, s, _, _, v in analyze_text(line)]
    assert len(expected) >= 6
    found = [(f.line, f.entity, f.start, f.value) for f in scan(path).findings]
    assert found == expected


def test_huge_json_is_scanned_as_text(tmp_path, monkeypatch):
    from gezi.pii import files

    monkeypatch.setattr(files, "MAX_JSON_BYTES", 10)
    path = tmp_path / "dump.json"
    path.write_text('[\n {"note": "身分證A123456789"}\n]\n', encoding="utf-8")
    report = scan(path)
    assert [(f.line, f.column, f.start) for f in report.findings] == [(2, None, 14)]


def test_big5_detected_when_the_sample_cuts_a_character(tmp_path):
    row = "陳怡君,A123456789,寄到台北市大安區\n".encode("cp950")
    head = "姓名,身分證,備註\n".encode("cp950")
    # One padding byte makes the 64 KiB sample end inside a two-byte character (charset-
    # normalizer then gives up on the sample).
    data = head + b"x" + row * 2000
    with pytest.raises(UnicodeDecodeError):
        data[: 1 << 16].decode("cp950")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    report = scan(path)
    assert report.files_skipped == []
    assert sum(f.entity == "TW_NATIONAL_ID" for f in report.findings) == 2000


def test_without_a_process_pool_the_scan_runs_in_process(tmp_path, monkeypatch):
    from gezi.pii import scan as scan_module

    def no_pool(*args, **kwargs):
        raise OSError("no /dev/shm")

    monkeypatch.setattr(scan_module, "ProcessPoolExecutor", no_pool)
    for i in range(3):
        (tmp_path / f"f{i}.txt").write_text(f"手機09123456{i:02d}", encoding="utf-8")
    report = scan_paths([tmp_path], workers=4)
    assert sorted(f.value for f in report.findings) == ["0912345600", "0912345601", "0912345602"]
    assert report.files_scanned == 3


@pytest.mark.parametrize(("encoding", "newline"), [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp950", "\r\n")])
def test_a_large_text_file_is_scanned_in_parallel_parts_with_the_same_findings(tmp_path, monkeypatch,
                                                                               encoding, newline):
    """A big log is cut at line breaks into parts for the workers; line numbers, offsets, the
    file count and the bytes are those of scanning it whole."""
    from gezi.pii import scan as scan_module

    monkeypatch.setattr(scan_module, "SPLIT_BYTES", 2048)
    lines = []
    for i in range(600):
        if i % 37 == 0:
            lines.append(f"第{i}行 客戶陳怡君 身分證A123456789 電話0912-345-678")
        else:
            lines.append(f"2026-11-23 10:00:{i % 60:02d} INFO 訂單 {20240000 + i} 處理完成")
    path = tmp_path / "big.log"
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())
    size = path.stat().st_size
    parts = scan_module._split_for(path, size, 2)
    assert parts is not None and len(parts) >= 4
    assert parts[0][0] == 0 and parts[-1][1] == size
    cut, cut_one_worker = scan(path, workers=2), scan(path, workers=1)
    monkeypatch.setattr(scan_module, "SPLIT_BYTES", 1 << 40)
    whole = scan(path, workers=2)
    assert cut.findings == whole.findings == cut_one_worker.findings and len(whole.findings) == 3 * 17
    assert {f.line for f in cut.findings} == {i + 1 for i in range(0, 600, 37)}
    assert (cut.files_scanned, cut.bytes_scanned, cut.files_skipped) == (1, size, [])


def test_files_that_are_not_cut(tmp_path, monkeypatch):
    from gezi.pii import scan as scan_module

    monkeypatch.setattr(scan_module, "SPLIT_BYTES", 2048)
    lone_cr = tmp_path / "mac.txt"  # no line feed to cut at
    lone_cr.write_bytes(("身分證A123456789\r" * 400).encode())
    utf16 = tmp_path / "u16.txt"  # a line feed byte can sit inside a character
    utf16.write_bytes(("身分證A123456789\n" * 400).encode("utf-16"))
    csv_file = tmp_path / "rows.csv"  # tables are not cut (a row may span lines)
    csv_file.write_text("id\n" + "A123456789\n" * 800, encoding="utf-8")
    for path in (lone_cr, utf16, csv_file):
        assert scan_module._split_for(path, path.stat().st_size, 2) is None, path.name
    assert len(scan(lone_cr, workers=2).findings) == 400


@pytest.mark.parametrize("buffer", [1, 2, 3, 7, 1 << 20])
def test_a_part_counts_its_line_breaks_however_it_is_read(tmp_path, buffer):
    """\\r\\n, a lone \\r and a lone \\n each end a line, also when a read cuts \\r\\n in two."""
    from gezi.pii.scan import _Range

    path = tmp_path / "mixed.txt"
    path.write_bytes(b"xx\r\nab\rcd\n\r\n\ryy\r\nz")
    raw = _Range(path, 2, path.stat().st_size)  # from the first \r\n on
    with io.BufferedReader(raw, buffer) as fh:
        assert fh.read() == b"\r\nab\rcd\n\r\n\ryy\r\nz"
    assert raw.lines == 6


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_text_with_a_bom_and_no_suffix(tmp_path, encoding):
    """Notepad's "Unicode" is UTF-16 with a BOM; without a known suffix its NUL bytes must not
    make it binary."""
    path = tmp_path / "export"
    data = "客戶王小明 身分證A123456789\r\n".encode(encoding)
    path.write_bytes(data if encoding == "utf-16" else b"\xfe\xff" + data)
    assert {(f.line, f.entity, f.value) for f in scan(path).findings} == {
        (1, "PERSON_NAME", "王小明"), (1, "TW_NATIONAL_ID", "A123456789")}
