"""`gezi records gaps` on SQLite and PostgreSQL: the twelve seed 000 §十 record kinds, counted
per organization in a 12-month window by each entry's effective date."""

from __future__ import annotations

from datetime import date

from gezi.core.settings import get_settings
from gezi.org.service import add_org
from gezi.privacy import records as svc
from gezi.privacy.vendors import add_months

UBN, OTHER_UBN = "04595257", "22099131"


def test_the_twelve_record_kinds_come_from_the_catalog_with_five_years_retention():
    kinds = svc.record_kinds()
    assert len(kinds) == 12
    assert kinds[0].code == "transfer_to_third_party" and kinds[-1].code == "other_record"
    assert {k.retention_years for k in kinds} == {5}
    assert len(svc.record_kinds(all_kinds=True)) > 12


def _evidence(session, org, tmp_path, kind: str, day: date | None, name: str):
    from gezi.compliance.evidence import add_evidence

    path = tmp_path / name
    path.write_text(f"{kind} {day}", encoding="utf-8")
    return add_evidence(session, get_settings(), org_id=org.id, path=path, kind=kind, actor="t",
                        effective_date=day)


def test_gaps_count_entries_inside_the_window_of_this_organization_only(session, tmp_path):
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    other = add_org(session, name="另一家", ubn=OTHER_UBN, industry="ecommerce")
    on = date(2026, 11, 23)
    _evidence(session, org, tmp_path, "awareness_training", date(2026, 3, 1), "a.txt")
    _evidence(session, org, tmp_path, "awareness_training", date(2026, 9, 1), "b.txt")
    _evidence(session, org, tmp_path, "backup_verification", date(2025, 11, 23), "c.txt")  # just outside
    _evidence(session, org, tmp_path, "audit_improvement", date(2026, 12, 1), "d.txt")  # after the day
    _evidence(session, other, tmp_path, "system_access", date(2026, 10, 1), "e.txt")
    _evidence(session, org, tmp_path, "vulnerability_scan", date(2026, 10, 1), "f.txt")  # not a §十 kind
    doc = svc.gaps(session, org, on)
    assert doc["since"] == date(2025, 11, 23) and doc["months"] == 12
    by_code = {k["code"]: k for k in doc["kinds"]}
    assert not by_code["awareness_training"]["gap"]
    assert by_code["awareness_training"]["entries"] == 2
    assert by_code["awareness_training"]["latest"] == date(2026, 9, 1)
    for code in ("backup_verification", "audit_improvement", "system_access"):
        assert by_code[code]["gap"], code
    assert doc["gaps"] == 11
    assert "vulnerability_scan" not in by_code
    wide = svc.gaps(session, org, on, months=13, all_kinds=True)
    wide_codes = {k["code"]: k for k in wide["kinds"]}
    assert not wide_codes["backup_verification"]["gap"] and not wide_codes["vulnerability_scan"]["gap"]


def test_entry_without_effective_date_counts_on_the_day_it_was_added(session, tmp_path):
    org = add_org(session, name="測試電商", ubn=UBN, industry="ecommerce")
    ev = _evidence(session, org, tmp_path, "incident_response", None, "g.txt")
    session.flush()
    today = svc.entry_day(ev)
    assert not {k["code"]: k for k in svc.gaps(session, org, today)["kinds"]}["incident_response"]["gap"]
    assert {k["code"]: k for k in svc.gaps(session, org, add_months(today, -1))["kinds"]}["incident_response"]["gap"]


def test_cli_gaps_json_and_errors(initialized, cli, tmp_path):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    doc = cli("records", "gaps", "--json").json
    assert doc["gaps"] == 12 and len(doc["kinds"]) == 12
    # Recording a transfer leaves its record, closing the 第1款 gap.
    assert cli("transfers", "add", "--inventory", "會員資料", "--destination", "US", "--recipient", "r",
               "--purpose", "p").code == 0
    doc = cli("records", "gaps", "--json").json
    assert doc["gaps"] == 11 and not doc["kinds"][0]["gap"]
    assert cli("records", "gaps", "--months", "0").code == 2
    assert cli("records", "gaps", "--on", "not-a-date").code == 2
    assert cli("records", "gaps", "--org", "nobody").code == 2
    roc = cli("records", "gaps", "--roc")
    assert roc.code == 0 and "年" in roc.out
    assert len(cli("records", "kinds", "--json").json["kinds"]) == 12


def test_export_workbook_holds_every_register_masked_in_taipei_time(initialized, cli, tmp_path):
    from openpyxl import load_workbook

    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    cli("requests", "new", "--type", "copy", "--received", "2026-11-20T23:59", "--subject", "王小明",
        "--contact", "wang@example.com")
    cli("optout", "add", "--phone", "0912345678", "--channel", "sms")
    cli("vendors", "add", "--name", "雲端資服公司", "--service", "主機代管")
    cli("transfers", "add", "--inventory", "會員資料", "--destination", "SG", "--recipient", "r", "--purpose", "p")
    cli("transfers", "assess", "--regime", "cbpr", "--transfer", "1")
    out = tmp_path / "紀錄簿.xlsx"
    r = cli("records", "export", "--out", str(out), "--on", "2026-11-23", "--json")
    assert r.code == 0, r.err
    wb = load_workbook(out)
    assert wb.sheetnames == ["當事人權利行使", "拒絕行銷", "受託者", "國際傳輸", "國際傳輸評估", "紀錄缺口"]
    req = [c.value for c in wb["當事人權利行使"][2]]
    assert req[2] == "王○明" and req[3] == "w***@example.com"
    assert req[4].strftime("%Y-%m-%d %H:%M") == "2026-11-20 23:59" and req[5].day == 5
    assert wb["拒絕行銷"]["B2"].value == "0912-***-678"
    assert wb["受託者"]["I2"].value == "缺" and wb["國際傳輸評估"]["E2"].value == "participating_economy"
    # An inspector reads zh-TW: status and checklist items by name, not codes.
    assert req[9] == "處理中" and wb["受託者"]["J2"].value == "委託中"
    assert wb["受託者"]["E2"].value.startswith("預定蒐集、處理或利用個人資料之範圍、類別、特定目的及其期間：未約定")
    assert wb["紀錄缺口"].max_row == 13
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value)
    assert "王小明" not in text and "0912345678" not in text and "wang@example.com" not in text


def test_windows_beyond_the_calendar_are_one_line_errors(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    for args in (["--months", "99999999"], ["--on", "0001-01-01"]):
        r = cli("records", "gaps", *args, "--json")
        assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1, (args, r.err)
        assert "Traceback" not in r.err


def test_an_empty_on_is_an_error_not_today(initialized, cli):
    assert cli("org", "add", "--name", "測試電商", "--ubn", UBN, "--industry", "ecommerce").code == 0
    r = cli("records", "gaps", "--on", "", "--json")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1
