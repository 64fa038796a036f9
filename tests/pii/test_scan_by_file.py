"""`gezi pii scan` tells which files hold personal data: counts per file, most findings first,
in the JSON summary and as a table when more than one file has findings."""

from __future__ import annotations


def test_counts_per_file(fresh_env, cli, tmp_path):
    (tmp_path / "a.txt").write_text("客戶王小明 0912-345-678\n聯絡人陳美玲 0987-654-321\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("姓名\n林志明\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("沒有個資\n", encoding="utf-8")
    doc = cli("pii", "scan", tmp_path, "--json", "--workers", "1").json
    assert doc["summary"]["by_file"] == [
        {"path": str(tmp_path / "a.txt"), "findings": 4, "by_entity": {"PERSON_NAME": 2, "PHONE_NUMBER": 2}},
        {"path": str(tmp_path / "b.csv"), "findings": 1, "by_entity": {"PERSON_NAME": 1}},
    ]
    human = cli("pii", "scan", tmp_path, "--workers", "1").out
    assert "各檔案發現 findings per file" in human
    assert "王小明" not in human and "0912-345-678" not in human
