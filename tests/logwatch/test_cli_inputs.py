"""`gezi logs scan` inputs: auth files alone are enough; no input at all is a one-line error."""

import json


def test_auth_file_alone_is_scanned(cli, fresh_env, tmp_path):
    auth = tmp_path / "auth.jsonl"
    lines = [{"ts": f"2026-11-20T10:00:0{n}+08:00", "ip": "203.0.113.9", "user": "alice",
              "event": "login", "result": "failure"} for n in range(4)]
    auth.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    r = cli("logs", "scan", "--auth", auth, "--json")
    assert r.code == 0, r.err
    assert r.json["summary"]["parsed"] == 4
    assert "brute_force" in {a["category"] for a in r.json["alerts"]}


def test_no_input_is_a_one_line_error(cli, fresh_env):
    for sub in ("scan", "ingest"):
        r = cli("logs", sub)
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "--auth" in r.err


def test_table_shows_how_many_other_ips_guessed_an_account(cli, fresh_env, tmp_path):
    auth = tmp_path / "auth.jsonl"
    ips = ["203.0.113.9", "198.51.100.3", "203.0.113.9", "192.0.2.1"]
    auth.write_text("".join(json.dumps({"ts": f"2026-11-20T10:00:0{n}+08:00", "ip": ip,
                                        "user": "alice", "event": "login", "result": "failure"})
                            + "\n" for n, ip in enumerate(ips)), encoding="utf-8")
    r = cli("logs", "scan", "--auth", auth)
    assert r.code == 0, r.err
    assert "203.0.113.9 (+2)" in r.out and "192.0.2.1" not in r.out
