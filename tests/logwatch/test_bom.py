"""A byte-order mark (Windows/Excel exports) never costs a line."""

from __future__ import annotations

import gzip

from lwdata import alerts_of, at, auth, web

from gezi.logwatch.scan import scan

BOM = "\ufeff"


def test_bom_on_first_line_of_auth_json_lines_and_csv(tmp_path):
    jl = tmp_path / "auth.jsonl"
    jl.write_text(BOM + "\r\n".join(auth("203.0.113.7", at(i), "bob") for i in range(3)) + "\r\n",
                  encoding="utf-8")
    csvf = tmp_path / "auth.csv.gz"  # Excel "CSV UTF-8": BOM, quoted header, CRLF
    csvf.write_bytes(gzip.compress((BOM + '"ts","ip","user","event","result"\r\n' + "".join(
        f"{at(i).isoformat()},198.51.100.4,carol,login,failure\r\n" for i in range(3))).encode()))
    doc = scan([], [jl, csvf]).to_dict()
    s = doc["summary"]
    assert (s["lines"], s["parsed"], s["skipped"]) == (6, 6, 0)
    assert {f["format"] for f in s["files"]} == {"auth-json", "auth-csv"}
    # three failures each: without the first line neither account reaches the 3-failure rule
    assert sorted(a["src_ip"] for a in alerts_of(doc, "brute_force")) == ["198.51.100.4",
                                                                            "203.0.113.7"]


def test_bom_inside_concatenated_exports_and_access_logs(tmp_path):
    part = "\n".join(auth("203.0.113.7", at(i), "bob") for i in range(2)) + "\n"
    jl = tmp_path / "auth.jsonl"
    jl.write_text(BOM + part + BOM + part + BOM + '{"broken\n', encoding="utf-8")
    acc = tmp_path / "access.log"
    acc.write_text(BOM + web("203.0.113.1", at(0), "/") + "\n" + BOM + web("203.0.113.2", at(1), "/x")
                   + "\n", encoding="utf-8")
    s = scan([acc], [jl], fmt="combined").to_dict()["summary"]
    assert s["parsed"] == 6
    assert s["by_reason"] == {"invalid_json": 1}  # a BOM does not rescue broken JSON


def test_bom_csv_without_the_required_columns_is_still_refused(tmp_path, cli, fresh_env):
    csvf = tmp_path / "auth.csv"
    csvf.write_text(BOM + "ts,ip,user,event\n2026-03-02T10:00:00+08:00,1.2.3.4,bob,login\n",
                    encoding="utf-8")
    acc = tmp_path / "access.log"
    acc.write_text(web("203.0.113.1", at(0), "/") + "\n")
    r = cli("logs", "scan", acc, "--auth", csvf, "--json")
    assert r.code == 2 and r.out == "" and "auth CSV needs columns" in r.err
