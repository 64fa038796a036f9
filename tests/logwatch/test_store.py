"""Parquet archive: ingest, verify, coverage against retention, prune refusal."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from lwdata import at, web

from gezi.core.errors import GeziError
from gezi.logwatch.store import coverage, ingest, prune, verify


def _days(tmp_path, days: list[int]):
    path = tmp_path / f"access-{days[0]}.log"
    path.write_text("\n".join(web("203.0.113.1", at(60, d), f"/p{d}") for d in days) + "\n")
    return path


def test_ingest_partitions_by_source_and_day_and_verify(tmp_path):
    data = tmp_path / "data"
    raw = _days(tmp_path, [0, 1, 3])
    doc = ingest(data, [raw], [])
    assert doc["files"][0]["events"] == 3
    parts = sorted(p.parent.name for p in (data / "logs/events/source=web").glob("*/*.parquet"))
    assert parts == ["day=2026-03-02", "day=2026-03-03", "day=2026-03-05"]
    con = duckdb.connect()
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{data}/logs/events/**/*.parquet')")
    assert rows.fetchone()[0] == 3
    assert verify(data)["ok"]
    # tampering with a Parquet file or the raw file is detected
    part = next((data / "logs/events/source=web/day=2026-03-03").glob("*.parquet"))
    part.write_bytes(part.read_bytes() + b"x")
    raw.write_text("changed\n")
    checks = {c["kind"]: c["status"] for c in verify(data)["checks"] if c["status"] != "ok"}
    assert checks == {"parquet": "changed", "raw": "raw_changed"}
    assert not verify(data)["ok"]


def test_coverage_lists_missing_days_inside_retention(tmp_path):
    data = tmp_path / "data"
    ingest(data, [_days(tmp_path, [0, 1, 3])], [])
    doc = coverage(data, dt.date(2026, 3, 6))
    web_cov = next(c for c in doc["sources"] if c["source"] == "web")
    assert web_cov["window_start"] == "2025-09-06" and web_cov["retention"] == "6 個月"
    assert web_cov["days_with_data"] == 3
    assert web_cov["gaps"][-2:] == [["2026-03-04", "2026-03-04"], ["2026-03-06", "2026-03-06"]]
    assert web_cov["gaps"][0][0] == "2025-09-06"
    assert {c["source"]: c["retention"] for c in doc["sources"]} == {
        "web": "6 個月", "auth": "5 年", "firewall": "3 年", "dma": "5 年"}


def test_prune_refuses_inside_retention_and_deletes_outside(tmp_path):
    data = tmp_path / "data"
    ingest(data, [_days(tmp_path, [0, 1, 3])], [])
    today = dt.date(2026, 9, 3)  # six months after 2026-03-03
    with pytest.raises(GeziError, match="retention"):
        prune(data, dt.date(2026, 3, 4), "web", today)
    done = prune(data, dt.date(2026, 3, 3), "web", today)
    assert done["deleted"] == ["events/source=web/day=2026-03-02"]
    statuses = {c["path"]: c["status"] for c in verify(data)["checks"]}
    assert statuses["events/source=web/day=2026-03-02/" + next(
        p for p in statuses if "day=2026-03-02" in p).rsplit("/", 1)[-1]] == "pruned"
    assert verify(data)["ok"]


def test_prune_cli_refusal_is_one_line(tmp_path, cli, fresh_env, monkeypatch):
    monkeypatch.setenv("GEZI_DATA_DIR", str(tmp_path / "data"))
    ingest(tmp_path / "data", [_days(tmp_path, [0])], [])
    r = cli("logs", "prune", "--before", "2099-01-01", "--json")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1
