"""Organization profiles decide which frameworks and items apply."""


def test_add_list_show_org(cli, initialized):
    r = cli("org", "add", "--name", "示範證券", "--ubn", "22099131", "--industry", "broker",
            "--broker-tier", "2", "--e-trading-share", "65", "--json")
    assert r.code == 0, r.err
    fws = {f["id"]: f["items"] for f in r.json["frameworks"]}
    assert "twse-broker-infosec" in fws
    assert "moda-pd-security-plan" not in fws
    listed = cli("org", "list", "--json").json["organizations"]
    assert [o["ubn"] for o in listed] == ["22099131"]
    shown = cli("org", "show", "--json").json
    assert shown["broker_tier"] == 2 and shown["e_trading_share"] == 65


def test_broker_tier_changes_applicable_items(cli, initialized):
    t1 = cli("org", "add", "--name", "一級券商", "--ubn", "22099131", "--industry", "broker",
             "--broker-tier", "1", "--json").json
    t3 = cli("org", "add", "--name", "三級券商", "--ubn", "04595252", "--industry", "broker",
             "--broker-tier", "3", "--json").json
    n1 = {f["id"]: f["items"] for f in t1["frameworks"]}["twse-broker-infosec"]
    n3 = {f["id"]: f["items"] for f in t3["frameworks"]}["twse-broker-infosec"]
    assert n1 == 77 and n3 == 74  # 一二級 items apply only to tiers 1–2


def test_bad_ubn_is_rejected_and_nothing_written(cli, initialized):
    r = cli("org", "add", "--name", "X", "--ubn", "12345678", "--industry", "ecommerce")
    assert r.code == 2 and "統一編號" in r.err and len(r.err.strip().splitlines()) == 1
    assert cli("org", "list", "--json").json["organizations"] == []
    assert cli("audit", "verify", "--json").json["entries"] == 0


def test_bad_profile_values(cli, initialized):
    assert cli("org", "add", "--name", "X", "--ubn", "04595252", "--industry", "bank").code == 2
    assert cli("org", "add", "--name", "X", "--ubn", "04595252", "--industry", "ecommerce",
               "--broker-tier", "1").code == 2
    cli("org", "add", "--name", "A", "--ubn", "04595252", "--industry", "ecommerce")
    dup = cli("org", "add", "--name", "B", "--ubn", "04595252", "--industry", "ecommerce")
    assert dup.code == 2 and "已存在" in dup.err


def test_org_required_when_several(cli, initialized):
    cli("org", "add", "--name", "A", "--ubn", "04595252", "--industry", "ecommerce")
    cli("org", "add", "--name", "B", "--ubn", "22099131", "--industry", "other")
    r = cli("org", "show")
    assert r.code == 2 and "--org" in r.err
    assert cli("org", "show", "--org", "B", "--json").json["ubn"] == "22099131"
    assert cli("org", "show", "--org", "04595252", "--json").json["name"] == "A"


def test_org_reference_precedence_and_full_width_ubn(cli, initialized):
    """Regression: `--org NAME` silently took the older of two organizations sharing a name, an
    organization named "2" could shadow org #2, and a full-width 統一編號 was refused."""
    first = cli("org", "add", "--name", "同名（股）公司", "--ubn", "22099131", "--industry", "other",
                "--json").json
    second = cli("org", "add", "--name", "同名（股）公司", "--ubn", "０４５９５２５２", "--industry",
                 "other", "--json")
    assert second.code == 0, second.err
    assert second.json["ubn"] == "04595252"
    named_one = cli("org", "add", "--name", str(second.json["id"]), "--ubn", "04595257",
                    "--industry", "other", "--json").json
    ambiguous = cli("org", "show", "--org", "同名（股）公司")
    assert ambiguous.code == 2 and "#1" in ambiguous.err and len(ambiguous.err.splitlines()) == 1
    assert cli("org", "show", "--org", str(second.json["id"]), "--json").json["ubn"] == "04595252"
    assert cli("org", "show", "--org", "０４５９５２５７", "--json").json["id"] == named_one["id"]
    assert cli("org", "show", "--org", "22099131", "--json").json["id"] == first["id"]


def test_update_profile_changes_applicability_and_is_audited(cli, initialized):
    cli("org", "add", "--name", "小店", "--ubn", "04595252", "--industry", "ecommerce",
        "--capital", "1000000", "--records", "1000")
    before = {f["id"]: f["items"] for f in cli("org", "show", "--json").json["frameworks"]}
    r = cli("org", "update", "--records", "80000", "--json")
    assert r.code == 0, r.err
    after = {f["id"]: f["items"] for f in r.json["frameworks"]}
    # MODA rule Art 18: ≥ 5,000 records brings the 12-month review items in
    assert after["moda-pd-security-plan"] > before["moda-pd-security-plan"]
    assert r.json["records"] == 80000 and r.json["capital"] == 1000000  # untouched field kept
    assert cli("org", "update", "--broker-tier", "2").code == 2  # not a broker
    assert cli("org", "update", "--name", "  ").code == 2
    log = cli("audit", "log", "--json").json["entries"]
    assert any(e["table"] == "organizations" and e["action"] == "update" for e in log)
