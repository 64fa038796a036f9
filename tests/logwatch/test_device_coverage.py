"""Coverage per device: a device seen before and after a span of days without records is a gap
even when other devices of the source logged every day (TWSE 網路安全管理 8: firewall records of
each firewall for 3 years). Devices come from the lines (FortiGate devname, syslog host, IIS
s-computername, JSON hostname), else --device, else the file's directory; web vhosts are no devices."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
from lwdata import at, web

from gezi.logwatch.store import coverage, ingest, origin

DAY0 = dt.date(2026, 11, 1)


def _day(n: int) -> str:
    return (DAY0 + dt.timedelta(days=n)).isoformat()


def _fg(device: str, days: list[int]) -> list[str]:
    return [f'date={_day(d)} time=10:00:00 devname="{device}" tz="+0800" logid="0000000013" '
            f'type="traffic" srcip=203.0.113.9 dstip=10.0.0.5 dstport=443 proto=6 action="deny"'
            for d in days]


def _write(path, lines: list[str]):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _source(doc: dict, source: str) -> dict:
    return next(c for c in doc["sources"] if c["source"] == source)


def _devices(doc: dict, source: str) -> dict[str, dict]:
    return {d["device"]: d for d in _source(doc, source)["devices"]}


def test_firewall_devices_gaps_silence_and_threshold(tmp_path):
    data = tmp_path / "data"
    every = list(range(10))
    a = _write(tmp_path / "fw/a.log", _fg("FG-A", every) + _fg("FG-B", [0, 1, 2, 8, 9]))
    b = _write(tmp_path / "fw/b.log", _fg("FG-C", [0, 1, 2, 3, 4, 5]) + _fg("FG-D", [4, 5, 6, 7, 8, 9])
               + _fg("FG-E", [0, 1, 2, 3, 5, 6, 7, 8, 9]))
    ingest(data, [a, b], [])
    doc = coverage(data, DAY0 + dt.timedelta(days=9))
    fw = _source(doc, "firewall")
    assert fw["gaps"][-1][1] == _day(-1)  # every day 0..9 has some firewall record
    devs = _devices(doc, "firewall")
    assert sorted(devs) == ["FG-A", "FG-B", "FG-C", "FG-D", "FG-E"]
    # stopped for five days while FG-A logged: the gap an inspector finds
    assert devs["FG-B"]["gaps"] == [[_day(3), _day(7)]] and devs["FG-B"]["missing_days"] == 5
    assert devs["FG-E"]["gaps"] == [[_day(4), _day(4)]]
    assert (devs["FG-B"]["first_day"], devs["FG-B"]["last_day"], devs["FG-B"]["days_with_data"]) == (
        _day(0), _day(9), 5)
    # near misses: logging every day, first seen later (a new device), stopped without coming back
    assert devs["FG-A"]["gaps"] == [] and devs["FG-A"]["silent_since"] is None
    assert devs["FG-D"]["gaps"] == [] and devs["FG-D"]["silent_since"] is None
    assert devs["FG-C"]["gaps"] == [] and devs["FG-C"]["silent_since"] == _day(6)
    # one silent day is no gap when two are required
    devs2 = _devices(coverage(data, DAY0 + dt.timedelta(days=9), gap_days=2), "firewall")
    assert devs2["FG-E"]["gaps"] == [] and devs2["FG-B"]["gaps"] == [[_day(3), _day(7)]]
    assert _devices(coverage(data, DAY0 + dt.timedelta(days=9), gap_days=6), "firewall")[
        "FG-B"]["gaps"] == []
    # the window clips: on day 5 FG-B's gap runs to the window's end (seen again later)
    devs5 = _devices(coverage(data, DAY0 + dt.timedelta(days=5)), "firewall")
    assert devs5["FG-B"]["gaps"] == [[_day(3), _day(5)]]
    con = duckdb.connect()
    rows = con.execute(f"SELECT DISTINCT device, vhost FROM read_parquet('{data}/logs/events/"
                       f"source=firewall/*/*.parquet') ORDER BY 1").fetchall()
    assert rows[0] == ("FG-A", "FG-A")


def test_web_devices_are_directories_or_named_not_vhosts(tmp_path):
    data = tmp_path / "data"

    def days(host: str, ds: list[int], vhost: str = "") -> list[str]:
        return [(vhost + " " if vhost else "") + web("203.0.113.1", at(60, d), f"/{host}") for d in ds]

    # two servers behind a balancer, one vhost: web2 stopped on days 2 and 3
    w1 = _write(tmp_path / "web1/access.log", days("a", [0, 1, 2, 3, 4], "shop.example:443"))
    w2 = _write(tmp_path / "web2/access.log", days("b", [0, 1, 4], "shop.example:443"))
    # one server, two vhosts, the small one quiet on day 1: no device is silent
    w3 = _write(tmp_path / "web3/access.log", days("c", [0, 2, 3, 4], "small.example:443")
                + days("c", [0, 1, 2, 3, 4], "shop.example:443"))
    doc_ingest = ingest(data, [w1, w2, w3], [])
    assert all(f["status"] == "ingested" for f in doc_ingest["files"])
    named = _write(tmp_path / "copied/access.log.1", days("d", [0, 2]))
    ingest(data, [named], [], device="web4")
    doc = coverage(data, at(0, 4).date())
    devs = _devices(doc, "web")
    assert sorted(devs) == sorted([origin(w1), origin(w2), origin(w3), "web4"])
    assert devs[origin(w2)]["gaps"] == [["2026-03-04", "2026-03-05"]]
    assert devs[origin(w1)]["gaps"] == devs[origin(w3)]["gaps"] == []
    assert devs["web4"]["gaps"] == [["2026-03-03", "2026-03-03"]]
    assert devs["web4"]["silent_since"] == "2026-03-05"
    manifest = json.loads((data / "logs/manifest.json").read_text())
    assert [f["device"] for f in manifest["files"]] == [origin(w1), origin(w2), origin(w3), "web4"]


def test_iis_computer_and_sshd_hosts_are_devices(tmp_path):
    data = tmp_path / "data"
    iis = ["#Fields: date time s-computername c-ip cs-method cs-uri-stem sc-status"] + [
        f"2026-03-0{d} 02:00:00 {host} 203.0.113.7 GET / 200"
        for d, host in [(2, "WEB01"), (2, "WEB02"), (3, "WEB01"), (4, "WEB01"), (4, "WEB02")]]
    sshd = [f"Mar  {d} 10:00:00 {host} sshd[1]: Failed password for a from 203.0.113.7 port 22 ssh2"
            for d, host in [(2, "bastion1"), (2, "bastion2"), (3, "bastion2"), (4, "bastion1"),
                            (4, "bastion2")]]
    ingest(data, [_write(tmp_path / "iis/u_ex260302.log", iis)],
           [_write(tmp_path / "auth/auth.log", sshd)], year=2026, device="ignored-when-named")
    doc = coverage(data, dt.date(2026, 3, 4))
    assert {d: v["gaps"] for d, v in _devices(doc, "web").items()} == {
        "WEB01": [], "WEB02": [["2026-03-03", "2026-03-03"]]}
    assert {d: v["gaps"] for d, v in _devices(doc, "auth").items()} == {
        "bastion1": [["2026-03-03", "2026-03-03"]], "bastion2": []}


def test_archive_without_device_column(tmp_path):
    """Parquet written before devices were recorded: the source's days still count, no devices."""
    data = tmp_path / "data"
    ingest(data, [_write(tmp_path / "fw/a.log", _fg("FG-A", [0, 2]))], [])
    con = duckdb.connect()
    for part in (data / "logs/events/source=firewall").glob("*/*.parquet"):
        con.execute(f"COPY (SELECT * EXCLUDE (device) FROM read_parquet('{part}')) TO '{part}.tmp' "
                    f"(FORMAT parquet)")
        part.with_name(part.name + ".tmp").replace(part)
    fw = _source(coverage(data, DAY0 + dt.timedelta(days=2)), "firewall")
    assert fw["devices"] == [] and fw["days_with_data"] == 2 and fw["gaps"][-1] == [_day(1), _day(1)]


def test_cli_coverage_lists_device_gaps(tmp_path, cli, fresh_env, monkeypatch):
    monkeypatch.setenv("GEZI_DATA_DIR", str(tmp_path / "data"))
    raw = _write(tmp_path / "fw/a.log", _fg("FG-A", list(range(6))) + _fg("FG-B", [0, 1, 5]))
    assert cli("logs", "ingest", raw).code == 0
    r = cli("logs", "coverage", "--until", _day(5))
    assert r.code == 0, r.err
    assert "裝置缺漏 Device gaps" in r.out and "FG-B" in r.out and f"{_day(2)}–{_day(4)}" in r.out
    assert "FG-A" not in r.out.split("裝置缺漏")[1]  # no gap: not listed
    r = cli("logs", "coverage", "--until", _day(5), "--gap-days", "4", "--json")
    fw = _source(r.json, "firewall")
    assert fw["gap_days"] == 4 and all(d["gaps"] == [] for d in fw["devices"])
    assert "裝置缺漏" not in cli("logs", "coverage", "--until", _day(5), "--gap-days", "4").out
    assert cli("logs", "coverage", "--gap-days", "0").code == 2
    r = cli("logs", "ingest", raw, "--device", " ")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1


def _json_lines(days: list[int], **extra: str) -> list[str]:
    return [json.dumps({"time_iso8601": at(60, d).isoformat(), "remote_addr": "203.0.113.1",
                        "request": "GET / HTTP/1.1", "status": 200, **extra}) for d in days]


def test_json_access_log_hostname_is_the_device(tmp_path):
    """nginx JSON logs with `$hostname` name their server, even two behind one balancer in one
    collector folder; the site keys (`host`, `server_name`) and `server_addr` name no device."""
    data = tmp_path / "data"
    site = {"host": "shop.example", "server_name": "shop.example"}
    both = _write(tmp_path / "collector/access.json",
                  _json_lines([0, 1, 2, 3, 4], hostname="web1", **site)
                  + _json_lines([0, 3, 4], hostname="web2", **site))
    # near misses: a site and a server address only, `-` as host name: --device, else the folder
    unnamed = _write(tmp_path / "web3/access.json",
                     _json_lines([0, 1], server_addr="10.0.0.3", **site) + _json_lines([2], hostname="-"))
    named = _write(tmp_path / "copied/access.json", _json_lines([0, 1], server_addr="10.0.0.4"))
    ingest(data, [both, unnamed], [])
    ingest(data, [named], [], device="web4")
    devs = _devices(coverage(data, at(0, 4).date()), "web")
    assert sorted(devs) == sorted(["web1", "web2", origin(unnamed), "web4"])
    assert devs["web2"]["gaps"] == [["2026-03-03", "2026-03-04"]]
    assert devs["web1"]["gaps"] == devs[origin(unnamed)]["gaps"] == []
    assert devs[origin(unnamed)]["days_with_data"] == 3


def test_json_line_in_a_combined_file_names_its_host(tmp_path):
    """A JSON line inside a combined-format file (re-parsed as JSON) keeps its host name."""
    data = tmp_path / "data"
    mixed = _write(tmp_path / "mixed/access.log",
                   [web("203.0.113.1", at(60, d), "/a") for d in (0, 1, 2)]
                   + _json_lines([1], hostname="web9"))
    ingest(data, [mixed], [])
    assert sorted(_devices(coverage(data, at(0, 2).date()), "web")) == sorted([origin(mixed), "web9"])
