"""`gezi mask DIR OUT`: a whole folder masked for a test environment — same tree, names masked,
files gezi cannot mask listed and not copied, one bad file not stopping the rest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gezi.pii.masking import mask_value
from gezi.pii.scan import scan_paths

KEY = "k" * 64


def _tree(root: Path) -> Path:
    (root / "會員" / "王小明").mkdir(parents=True)
    (root / "會員.csv").write_text("姓名,手機\n王小明,0912345678\n陳美玲,0987654321\n", encoding="utf-8")
    (root / "王大明.txt").write_text("客戶王大明 身分證 A123456789\n", encoding="utf-8")
    (root / "會員" / "王小明" / "訂單.jsonl").write_text(
        '{"name": "王小明", "email": "xm.wang@example.com"}\n', encoding="utf-8")
    (root / "會員" / "申請書.pdf").write_bytes(b"%PDF-1.4 not really")
    (root / "會員" / "壞.xlsx").write_bytes(b"not a zip")
    return root


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_folder_is_masked_file_by_file(cli, tmp_path):
    src, out = _tree(tmp_path / "匯出"), tmp_path / "測試環境"
    before = _digests(src)
    r = cli("mask", src, out, "--json")
    assert r.code == 1  # one file failed: said in the exit code, the others are written
    doc = r.json
    assert sorted(f["output"] for f in doc["files"]) == ["會員.csv", "會員/王○明/訂單.jsonl", "王○明.txt"]
    assert doc["files_masked"] == 3 and doc["values_masked"] >= 6
    assert [item["path"] for item in doc["not_copied"]] == ["會員/申請書.pdf"]
    assert [item["path"] for item in doc["errors"]] == ["會員/壞.xlsx"]
    # values never shown; source paths locate the user's files as the scan report's do
    assert "A123456789" not in r.out and "0912345678" not in r.out
    # nothing personal left in the copies, names included; the source untouched
    assert scan_paths([out], workers=1).findings == []
    assert not [p for p in out.rglob("*") if "王小明" in p.name or "王大明" in p.name]
    assert not (out / "會員" / "申請書.pdf").exists()
    assert _digests(src) == before


def test_two_names_masking_alike_are_numbered(tmp_path, cli):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("王小明", "王大明"):
        (src / f"{name}.txt").write_text(f"聯絡人 {name}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("mask", src, out).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["王○明 (2).txt", "王○明.txt"]


def test_pseudonyms_in_names_match_the_contents(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("GEZI_MASK_KEY", KEY)
    src, out = _tree(tmp_path / "src"), tmp_path / "out"
    (src / "會員" / "壞.xlsx").unlink()
    assert cli("mask", src, out, "--method", "pseudonym", "--format-preserving").code == 0
    fake = mask_value("PERSON_NAME", "王小明", "pseudonym", KEY.encode(), True)
    assert (out / "會員" / fake / "訂單.jsonl").read_text(encoding="utf-8").count(fake) == 1


@pytest.mark.parametrize("where", ["inside", "not_empty"])
def test_refused_outputs(cli, tmp_path, where):
    src = _tree(tmp_path / "src")
    out = src / "masked" if where == "inside" else tmp_path / "out"
    if where == "not_empty":
        out.mkdir()
        (out / "old.txt").write_text("x", encoding="utf-8")
    r = cli("mask", src, out)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert cli("mask", src, tmp_path / "out2", "--exclude", "*.xlsx").code == 0


def test_zip_archives_are_written_masked(cli, tmp_path):
    import zipfile

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("note.txt", "客戶王大明 0912345678\n")
    with zipfile.ZipFile(src / "匯出.zip", "w") as z:
        z.writestr("會員/王小明.csv", "姓名,手機\n王小明,0912345678\n")
        z.writestr("會員/申請書.pdf", b"%PDF-1.4")
        z.writestr("../evil.txt", "王小明 0912345678\n")
        z.write(inner, "nested.zip")
    doc = cli("mask", src, out, "--json").json
    assert sorted(f["output"] for f in doc["files"]) == ["匯出.zip!nested.zip!note.txt", "匯出.zip!會員/王○明.csv"]
    assert {item["path"] for item in doc["not_copied"]} == {"匯出.zip!會員/申請書.pdf", "匯出.zip!../evil.txt"}
    with zipfile.ZipFile(out / "匯出.zip") as z:
        assert sorted(z.namelist()) == ["nested.zip", "會員/王○明.csv"]
        assert "0912345678" not in z.read("會員/王○明.csv").decode("utf-8-sig")
    assert scan_paths([out], workers=1).findings == []


def test_one_zip_archive_masked_into_another(cli, tmp_path):
    import zipfile

    src = tmp_path / "匯出.zip"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("王小明.csv", "姓名,手機\n王小明,0912345678\n")
        z.writestr("掃描.pdf", b"%PDF-1.4")
    doc = cli("mask", src, tmp_path / "遮蔽.zip", "--json").json
    assert [f["output"] for f in doc["files"]] == ["遮蔽.zip!王○明.csv"]
    assert [item["path"] for item in doc["not_copied"]] == ["匯出.zip!掃描.pdf"]
    with zipfile.ZipFile(tmp_path / "遮蔽.zip") as z:
        assert z.namelist() == ["王○明.csv"]
    r = cli("mask", src, tmp_path / "遮蔽.csv")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1
    assert cli("mask", src, tmp_path / "遮蔽.zip").code == 2  # exists: --force
    assert cli("mask", src, tmp_path / "遮蔽.zip", "--force").code == 0
