"""Marketing opt-outs on SQLite and PostgreSQL: refusals by channel, normalized and keyed-hashed
identifiers (no raw e-mails or phones stored), the suppression list and the first-marketing channel."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

import pytest
import sqlalchemy as sa

from gezi.core.audit import AuditEntry
from gezi.core.db import session_scope
from gezi.core.errors import GeziError
from gezi.core.settings import get_settings
from gezi.privacy import optout as svc
from gezi.privacy.ops_models import MarketingOptOut

UBN = "04595257"


@pytest.fixture
def org_cli(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    return cli


def test_refusal_blocks_its_channel_and_all_blocks_every_channel(org_cli):
    r = org_cli("optout", "add", "--email", "Wang.Xiao@Example.COM", "--channel", "email", "--json")
    assert r.code == 0, r.err
    since = r.json["optouts"][0]["since"]
    check = org_cli("optout", "check", "--email", " wang.xiao@example.com ", "--channel", "email", "--json").json
    assert check["allowed"] is False and check["since"] == since
    assert org_cli("optout", "check", "--email", "wang.xiao@example.com", "--channel", "sms",
                   "--json").json == {"allowed": True, "since": None, "channel": "sms", "matched": []}
    # Asking about marketing on any channel is blocked by a refusal on one channel.
    assert org_cli("optout", "check", "--email", "wang.xiao@example.com", "--json").json["allowed"] is False
    # A refusal of all marketing blocks every channel, whatever format the number is written in.
    assert org_cli("optout", "add", "--phone", "0912-345-678", "--channel", "all").code == 0
    for number, channel in (("+886 912 345 678", "sms"), ("0912345678", "phone"), ("886912345678", "post")):
        doc = org_cli("optout", "check", "--phone", number, "--channel", channel, "--json").json
        assert doc["allowed"] is False, (number, channel)
        assert doc["matched"][0]["identifier"] == "0912-***-678"
    assert org_cli("optout", "check", "--phone", "0912345679", "--channel", "sms", "--json").json["allowed"]
    # Several identifiers of one person: any refusal blocks.
    both = org_cli("optout", "check", "--member-id", "M001", "--phone", "0912345678", "--channel", "sms", "--json")
    assert both.json["allowed"] is False


def test_recording_the_same_refusal_twice_keeps_one_row_and_its_first_date(org_cli):
    first = org_cli("optout", "add", "--member-id", "M-0001", "--channel", "sms", "--since",
                    "2026-01-02T09:00", "--json").json["optouts"][0]
    again = org_cli("optout", "add", "--member-id", " M-0001 ", "--channel", "sms", "--json").json["optouts"][0]
    assert first["created"] and not again["created"] and again["id"] == first["id"]
    assert again["since"] == "2026-01-02T09:00:00+08:00"
    assert len(org_cli("optout", "list", "--json").json["optouts"]) == 1


def test_identifiers_are_stored_only_masked_and_keyed_hashed(org_cli):
    assert org_cli("optout", "add", "--email", "alice@example.org", "--phone", "0987654321",
                   "--channel", "email").code == 0
    s = get_settings()
    key = svc.identifier_key(s)
    assert (s.data_dir / "secrets" / "identifier.key").stat().st_mode & 0o077 == 0
    with session_scope(s) as session:
        rows = list(session.scalars(sa.select(MarketingOptOut).order_by(MarketingOptOut.id)))
        stored = " ".join(f"{r.digest} {r.masked}" for r in rows)
        trail = " ".join(f"{e.before} {e.after}" for e in session.scalars(sa.select(AuditEntry)))
    for raw in ("alice@example.org", "0987654321", "+886987654321"):
        assert raw not in stored and raw not in trail
    assert [r.masked for r in rows] == ["a***@example.org", "0987-***-321"]
    # The digest is HMAC-SHA256 under the install key, not a plain (reversible-by-trial) SHA-256.
    expected = hmac.new(key, b"phone:+886987654321", hashlib.sha256).hexdigest()
    assert rows[1].digest == expected
    assert rows[1].digest != hashlib.sha256(b"+886987654321").hexdigest()


def test_export_masked_for_people_and_hashed_for_systems(org_cli, tmp_path):
    org_cli("optout", "add", "--email", "a@example.com", "--channel", "email")
    org_cli("optout", "add", "--phone", "0912345678", "--channel", "all")
    org_cli("optout", "add", "--member-id", "M77", "--channel", "post")
    plain = list(csv.DictReader(io.StringIO(org_cli("optout", "export").out)))
    assert [r["identifier"] for r in plain] == ["a***@example.com", "0912-***-678", "M*7"]
    hashed = org_cli("optout", "export", "--hashed", "--json").json
    assert hashed["hashed"] and hashed["count"] == 3
    key = svc.identifier_key(get_settings())
    want = hmac.new(key, b"email:a@example.com", hashlib.sha256).hexdigest()
    assert hashed["optouts"][0]["digest"] == want and hashed["optouts"][0]["scheme"] == "hmac-sha256"
    assert "identifier" not in hashed["optouts"][0]
    sms = org_cli("optout", "export", "--channel", "sms", "--json").json
    assert [r["id_type"] for r in sms["optouts"]] == ["phone"]  # the 'all' refusal blocks sms too
    out = tmp_path / "suppress.csv"
    assert org_cli("optout", "export", "--hashed", "--out", str(out)).code == 0
    assert out.read_text(encoding="utf-8").splitlines()[0] == "id_type,channel,since,digest,scheme,key_id"


def test_first_marketing_free_channel_is_recorded_in_the_org_profile(org_cli):
    assert org_cli("optout", "channel", "show", "--json").json == {"channel": None}
    r = org_cli("optout", "channel", "set", "--channel", "email", "--description",
                "電子報底部「取消訂閱」連結，免付費", "--json")
    assert r.code == 0, r.err
    shown = org_cli("optout", "channel", "show", "--json").json["channel"]
    assert shown["channel"] == "email" and shown["free_of_charge"] is True
    assert shown["source"] == "個人資料保護法第20條第3項"
    profile = org_cli("org", "show", "--json").json
    assert profile["settings"]["marketing_optout_channel"]["description"].startswith("電子報底部")
    assert org_cli("optout", "channel", "set", "--channel", "fax", "--description", "x").code == 2
    assert org_cli("optout", "channel", "set", "--channel", "sms", "--description", " ").code == 2


def test_bad_identifiers_and_channels_are_one_line_errors(org_cli):
    for args in (["--email", "not-an-email"], ["--phone", "123"], ["--phone", "abc"],
                 ["--member-id", "   "], ["--email", "a@b.co", "--channel", "fax"], []):
        r = org_cli("optout", "add", *args, "--json")
        assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
        assert "not-an-email" not in r.err
    assert org_cli("optout", "check", "--json").code == 2


def test_key_from_environment_must_be_long_hex(gezi_env, monkeypatch):
    monkeypatch.setenv("GEZI_IDENTIFIER_KEY", "zz")
    with pytest.raises(GeziError):
        svc.identifier_key(get_settings())
    monkeypatch.setenv("GEZI_IDENTIFIER_KEY", "ab" * 32)
    assert svc.identifier_key(get_settings()) == bytes.fromhex("ab" * 32)
    assert not (get_settings().data_dir / "secrets").exists()


def test_filter_removes_refused_people_from_a_big5_contact_list(org_cli, tmp_path):
    org_cli("optout", "add", "--phone", "0912345678", "--channel", "sms")
    org_cli("optout", "add", "--phone", "0922333444", "--channel", "all")
    org_cli("optout", "add", "--phone", "0933444555", "--channel", "email")  # does not block sms
    contacts = tmp_path / "名單.csv"
    contacts.write_bytes("姓名,手機\n王小明,0912-345-678\n李大華,+886922333444\n陳美麗,0933444555\n"
                         "林志玲,not-a-phone\n張三,\n".encode("cp950"))
    out = tmp_path / "allowed.csv"
    r = org_cli("optout", "filter", str(contacts), "--column", "手機", "--type", "phone", "--channel", "sms",
                "--out", str(out), "--json")
    assert r.code == 0, r.err
    doc = r.json
    assert (doc["rows"], doc["allowed"], doc["suppressed"], doc["invalid"]) == (5, 1, 2, 2)
    assert doc["encoding"] == "cp950" and [s["line"] for s in doc["invalid_sample"]] == [5, 6]
    assert "not-a-phone" not in r.out
    # The copy keeps the input's encoding, so Big5 tools (and Excel) read it back as they wrote it.
    assert out.read_bytes().decode("cp950").splitlines() == ["姓名,手機", "陳美麗,0933444555"]
    assert contacts.read_bytes().decode("cp950").count("\n") == 6  # the input is untouched
    bad = org_cli("optout", "filter", str(contacts), "--column", "email", "--out", str(out))
    assert bad.code == 2 and "手機" in bad.err
    assert org_cli("optout", "filter", str(contacts), "--column", "手機", "--out", str(contacts)).code == 2
    assert org_cli("optout", "filter", str(tmp_path / "none.csv"), "--column", "x", "--out", str(out)).code == 2


def _audit_count() -> int:
    with session_scope(get_settings()) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def _refused(cli, *args: str) -> None:
    before = _audit_count()
    r = cli(*args)
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
    assert "Traceback" not in r.err and _audit_count() == before, args


def test_a_refusal_dated_in_the_future_or_with_an_empty_date_is_refused(org_cli):
    _refused(org_cli, "optout", "add", "--phone", "0912345678", "--channel", "sms", "--since", "2099-01-01T00:00")
    _refused(org_cli, "optout", "add", "--phone", "0912345678", "--channel", "sms", "--since", "")
    assert org_cli("optout", "add", "--phone", "0912345678", "--since", "2026-11-01T09:00").code == 0


def test_full_width_forms_from_chinese_input_methods_find_the_same_person(org_cli):
    assert org_cli("optout", "add", "--email", "Wang@Example.com", "--member-id", "M0001", "--phone",
                   "0912-345-678", "--channel", "all").code == 0
    for args in (["--email", "Ｗａｎｇ＠Ｅｘａｍｐｌｅ．ｃｏｍ"], ["--member-id", "Ｍ０００１"],
                 ["--phone", "０９１２－３４５－６７８"], ["--phone", "+886 912 345 678"]):
        doc = org_cli("optout", "check", *args, "--channel", "email", "--json").json
        assert doc["allowed"] is False, args
    # Adding the full-width form again is the same refusal, not a second row.
    again = org_cli("optout", "add", "--email", "ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "--channel", "all", "--json").json
    assert again["optouts"][0]["created"] is False


def test_filter_never_garbles_big5_past_an_ascii_start_and_bad_outputs_are_one_line_errors(org_cli, tmp_path):
    org_cli("optout", "add", "--phone", "0912345678", "--channel", "sms")
    # 70,000 bytes of ASCII rows first: the encoding guess (first 64 KiB) sees only ASCII.
    rows = "".join(f"user{n:05d},09{n:08d}\n" for n in range(4000))
    contacts = tmp_path / "名單.csv"
    contacts.write_bytes(("name,phone\n" + rows + "王小明,0912345678\n陳美麗,0933444555\n").encode("cp950"))
    out = tmp_path / "allowed.csv"
    r = org_cli("optout", "filter", str(contacts), "--column", "phone", "--type", "phone", "--channel", "sms",
                "--out", str(out), "--json")
    assert r.code == 0, r.err
    assert r.json["encoding"] == "cp950" and r.json["suppressed"] == 1
    assert out.read_bytes().decode("cp950").splitlines()[-1] == "陳美麗,0933444555"
    # Bytes past the sample that are neither UTF-8 nor Big5: refused with a one-line error, nothing written.
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"name,phone\n" + b"a,0912345678\n" * 6000 + b"\xff\xff,0933444555\n")
    gone = tmp_path / "never.csv"
    for args in ([str(broken), "--out", str(gone)], [str(contacts), "--out", str(tmp_path)],
                 [str(contacts), "--out", str(tmp_path / "no" / "such" / "dir.csv")]):
        bad = org_cli("optout", "filter", *args, "--column", "phone", "--type", "phone", "--json")
        assert bad.code == 2 and bad.out == "" and len(bad.err.strip().splitlines()) == 1, (args, bad.err)
        assert "Traceback" not in bad.err
    assert not gone.exists()
    for target in (tmp_path, tmp_path / "no" / "x.csv"):
        bad = org_cli("optout", "export", "--out", str(target))
        assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1 and "Traceback" not in bad.err


def test_export_with_out_and_json_writes_the_file_and_prints_one_summary(org_cli, tmp_path):
    org_cli("optout", "add", "--phone", "0912345678", "--channel", "sms")
    out = tmp_path / "suppress.csv"
    r = org_cli("optout", "export", "--hashed", "--out", str(out), "--json")
    assert r.code == 0, r.err
    assert r.json["count"] == 1 and r.json["out"] == str(out)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["digest"] for row in rows] == [r.json["optouts"][0]["digest"]]


def test_list_shows_refusal_dates_as_taipei_or_roc_dates(org_cli):
    org_cli("optout", "add", "--phone", "0912345678", "--since", "2026-11-01T09:30")
    assert "115年11月01日" in org_cli("optout", "list", "--roc").out
    plain = org_cli("optout", "list").out
    assert "2026-11-01 09:30" in plain and "+08:00" not in plain


def test_an_empty_export_channel_is_an_error_not_every_channel(org_cli):
    org_cli("optout", "add", "--phone", "0912345678", "--channel", "sms")
    r = org_cli("optout", "export", "--channel", "", "--json")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1


def test_filter_copies_rows_whole_and_reports_physical_lines_and_refuses_malformed_csv(org_cli, tmp_path):
    org_cli("optout", "add", "--phone", "0912345678", "--channel", "sms")
    contacts = tmp_path / "名單.csv"
    contacts.write_text('姓名,手機\n李,0933111222,備註1,備註2\n"多行\n名字",0912-345-678\n\n林,bad\n',
                        encoding="utf-8")
    out = tmp_path / "allowed.csv"
    r = org_cli("optout", "filter", str(contacts), "--column", "手機", "--type", "phone", "--channel", "sms",
                "--out", str(out), "--json")
    assert r.code == 0, r.err
    assert (r.json["rows"], r.json["allowed"], r.json["suppressed"], r.json["invalid"]) == (3, 1, 1, 1)
    assert r.json["invalid_sample"] == [{"line": 6, "value": "b*d"}]
    # Fields beyond the header are kept, not silently dropped from the copy.
    assert out.read_text(encoding="utf-8").splitlines() == ["姓名,手機", "李,0933111222,備註1,備註2"]
    huge = tmp_path / "huge.csv"
    huge.write_text('姓名,手機\n"' + "x" * 200_000 + '",0933111222\n', encoding="utf-8")
    never = tmp_path / "never.csv"
    r = org_cli("optout", "filter", str(huge), "--column", "手機", "--type", "phone", "--out", str(never), "--json")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert not never.exists()


def test_a_lost_or_different_key_fails_loudly_instead_of_allowing_marketing(org_cli, monkeypatch):
    assert org_cli("optout", "add", "--phone", "0912345678", "--channel", "all").code == 0
    key_file = get_settings().data_dir / "secrets" / "identifier.key"
    saved = key_file.read_text()
    key_file.unlink()  # lost: the next command would silently make a new key
    for args in (["optout", "check", "--phone", "0912345678", "--json"],
                 ["optout", "add", "--phone", "0922333444", "--json"]):
        r = org_cli(*args)
        assert r.code == 2 and r.out == "" and "金鑰" in r.err and len(r.err.strip().splitlines()) == 1, args
    monkeypatch.setenv("GEZI_IDENTIFIER_KEY", "ab" * 32)  # a second host with its own key
    assert org_cli("optout", "check", "--phone", "0912345678", "--json").code == 2
    monkeypatch.delenv("GEZI_IDENTIFIER_KEY")
    key_file.write_text(saved)  # restored: the refusal is found again
    assert org_cli("optout", "check", "--phone", "0912345678", "--json").json["allowed"] is False
