"""`gezi mask` tells the user which embedded objects a masked copy keeps as they were (a damaged
workbook, an OLE binary): in the summary, in --json, and per file for a folder."""

from __future__ import annotations

from .test_embedded_documents import _PACKAGE, NAME, _docx_bytes, embed_in_docx


def _document(path):
    path.write_bytes(embed_in_docx(_docx_bytes([f"聯絡人 {NAME}"]), [
        ("Microsoft_Excel_Worksheet.xlsx", b"PK\x03\x04broken", _PACKAGE, "Excel.Sheet.12")]))
    return path


def test_kept_objects_are_reported(cli, tmp_path):
    src = _document(tmp_path / "報告.docx")
    doc = cli("mask", src, tmp_path / "out.docx", "--json").json
    assert [item["member"] for item in doc["embedded_not_masked"]] == ["word/embeddings/Microsoft_Excel_Worksheet.xlsx"]
    human = cli("mask", src, tmp_path / "out2.docx").out
    assert "內嵌物件未遮蔽" in human and "Microsoft_Excel_Worksheet.xlsx" in human
    (tmp_path / "dir").mkdir()
    _document(tmp_path / "dir" / "報告.docx")
    tree = cli("mask", tmp_path / "dir", tmp_path / "dir-out", "--json").json
    assert [len(f.get("embedded_not_masked", [])) for f in tree["files"]] == [1]
