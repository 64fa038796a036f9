"""Privacy catalogs (MODA, PDPA, FSC, government leak prevention), MOJ code lists and mappings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gezi.catalog import loader
from gezi.catalog.applicability import applicable_items, framework_applies, matches

SEED_001 = Path("/work/shared/seeds/001_e7a36f9dc28b5e9f.txt")
EXPECTED_ITEMS = {
    "moda-pd-security-plan": 49,
    "tw-pdpa-2023": 18,
    "fsc-pd-security": 29,
    "gov-leak-prevention": 37,
}
A18_CYCLE = {"A18-A06", "A18-A07", "A18-A09-8", "A18-A11", "A18-A12-3", "A18-A13", "A18-A15",
             "A18-A17-2"}


@pytest.fixture(scope="module")
def cats():
    loader.clear_cache()
    return loader.load_catalogs()


@pytest.mark.parametrize(("fw_id", "count"), sorted(EXPECTED_ITEMS.items()))
def test_item_counts(cats, fw_id, count):
    assert len(cats.framework(fw_id).items) == count


@pytest.mark.parametrize("fw_id", sorted(EXPECTED_ITEMS))
def test_every_item_has_source_and_status(cats, fw_id):
    fw = cats.framework(fw_id)
    assert fw.status == "in_force"
    for item in fw.items:
        assert len(item.source.citation) >= 3, item.id
        assert (item.status or fw.status) in {"in_force", "promulgated_not_effective", "draft",
                                              "repealed"}
        assert item.source.verified in {"V1", "seed"}, item.id


def test_law_items_cite_the_article_in_their_id(cats):
    """An item id A09-6 / PDPA-A13 / ER-A22 names the article its citation gives."""
    for fw_id in ("moda-pd-security-plan", "fsc-pd-security", "tw-pdpa-2023"):
        for item in cats.framework(fw_id).items:
            article = int(re.search(r"A(\d+)", item.id).group(1))
            assert f"第{article}條" in item.source.citation, (fw_id, item.id)
    er = cats.framework("tw-pdpa-2023").item("ER-A22")
    assert er.source.citation.startswith("個人資料保護法施行細則")


def test_moda_applies_to_ecommerce_only(cats):
    fw = cats.framework("moda-pd-security-plan")
    assert framework_applies(fw, {"industry": "ecommerce"})
    assert not framework_applies(fw, {"industry": "broker"})
    assert fw.effective_from.isoformat() == "2023-10-12"


@pytest.mark.parametrize(("facts", "cycle_applies"), [
    ({"capital": 15_000_000, "records": 100}, True),
    ({"capital": 10_000_000, "records": 0}, True),
    ({"capital": 5_000_000, "records": 5000}, True),
    ({"capital": 5_000_000, "records": 3000}, False),
    ({"capital": 9_999_999, "records": 4999}, False),
    ({}, False),
])
def test_moda_a18_twelve_month_cycle(cats, facts, cycle_applies):
    fw = cats.framework("moda-pd-security-plan")
    ids = {i.id for i in applicable_items(fw, {"industry": "ecommerce", **facts})}
    assert (A18_CYCLE & ids) == (A18_CYCLE if cycle_applies else set())
    # the base measures bind every digital-economy business, whatever its size
    assert {"A06", "A07", "A11-2-5", "A15", "A16-1"} <= ids


def test_moda_a18_items_carry_the_article_18_parameters(cats):
    fw = cats.framework("moda-pd-security-plan")
    covered = set()
    for item_id in A18_CYCLE:
        item = fw.item(item_id)
        assert item.frequency == "annual"
        assert item.params["cycle_months"] == 12
        assert item.params["capital_gte"] == 10_000_000 and item.params["records_gte"] == 5000
        assert item.params["grace_months_after_qualifying"] == 6
        assert item.params["resume_within_days"] == 30
        covered |= set(item.params["measures"])
    # the measures Art 18(1) lists, each an existing item of the plan
    assert covered == {"A06", "A07", "A09-8", "A11-2-1", "A11-2-2", "A11-2-3", "A11-2-4",
                       "A11-2-8", "A12-3", "A13-1", "A13-2", "A15", "A17-2"}
    assert all(fw.item(m) is not None for m in covered)


def test_moda_incident_report_and_retention(cats):
    fw = cats.framework("moda-pd-security-plan")
    assert fw.item("A08-2").params["report_within_hours"] == 72
    assert fw.item("A08-2").params["clock_start"] == "knowledge"
    assert fw.item("A16-1").params["retention_years"] == 5


def test_pdpa_deadlines_and_scope(cats):
    fw = cats.framework("tw-pdpa-2023")
    a13 = fw.item("PDPA-A13").params
    assert (a13["access"]["days"], a13["access"]["extend_max_days"]) == (15, 15)
    assert (a13["rectify_erase_stop"]["days"],
            a13["rectify_erase_stop"]["extend_max_days"]) == (30, 30)
    expected = {"PDPA-A05", "PDPA-A06", "PDPA-A08", "PDPA-A09", "PDPA-A11", "PDPA-A12",
                "PDPA-A13", "PDPA-A19", "PDPA-A21", "ER-A08", "ER-A12", "ER-A22"}
    ids = {i.id for i in fw.items}
    assert expected <= ids
    assert {"PDPA-A20-1", "PDPA-A20-2", "PDPA-A20-3", "PDPA-A27-1", "PDPA-A27-2"} <= ids
    for industry in ("ecommerce", "broker", "listed", "other"):
        assert framework_applies(fw, {"industry": industry})
    assert not framework_applies(fw, {"industry": "government"})


def test_fsc_rule_for_brokers(cats):
    fw = cats.framework("fsc-pd-security")
    assert framework_applies(fw, {"industry": "broker"})
    assert not framework_applies(fw, {"industry": "ecommerce"})
    assert fw.item("A06-2").params["report_within_hours"] == 72
    assert fw.item("A14-1").params["retention_years"] == 5
    assert {f"A10-{n}" for n in range(1, 8)} <= {i.id for i in fw.items}


def test_gov_items_match_seed_001_reminders(cats):
    """Every non-empty 叮嚀事項 of seed 001 is an item whose text is the seed's."""
    fw = cats.framework("gov-leak-prevention")
    assert framework_applies(fw, {"industry": "government"})
    assert not framework_applies(fw, {"industry": "ecommerce"})
    if not SEED_001.exists():
        pytest.skip("seed 001 not available on this machine")
    seed = re.sub(r"\s+", "", SEED_001.read_text(encoding="utf-8"))
    for item in fw.items:
        assert re.fullmatch(r"C20170\d{3}-\d+", item.id)
        assert re.sub(r"\s+", "", item.requirement.zh) in seed, item.id
    per_case = {d.id: sum(i.domain == d.id for i in fw.items) for d in fw.domains}
    assert per_case == {"c20170101": 9, "c20170102": 5, "c20170103": 6, "c20170104": 7,
                        "c20170105": 5, "c20170106": 5}


VERIFIED_CATEGORIES = {"C001": "辨識個人者", "C002": "辨識財務者", "C003": "政府資料中之辨識者",
                       "C011": "個人描述"}
VERIFIED_PURPOSES = {"040", "069", "090", "148", "157", "181"}


def test_codelists_hold_the_verified_codes(cats):
    categories = {c.code: c.name.zh for c in cats.codelist("moj-pd-categories").codes}
    assert {k: categories.get(k) for k in VERIFIED_CATEGORIES} == VERIFIED_CATEGORIES
    purposes = {c.code: c.name.zh for c in cats.codelist("moj-pd-purposes").codes}
    assert VERIFIED_PURPOSES <= set(purposes)
    assert purposes["148"] == "網路購物及其他電子商務服務"
    assert purposes["069"] == "契約、類似契約或其他法律關係事務"


@pytest.mark.parametrize(("list_id", "expected", "pattern"), [
    ("moj-pd-purposes", 182, r"\d{3}"),
    ("moj-pd-categories", 85, r"C\d{3}"),
])
def test_codelist_completeness_is_honest(cats, list_id, expected, pattern):
    cl = cats.codelist(list_id)
    codes = [c.code for c in cl.codes]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(pattern, c) for c in codes)
    assert codes == sorted(codes)
    assert cl.expected_count == expected
    assert cl.complete is (len(codes) == expected)
    assert cl.allow_free_text
    if not cl.complete:
        assert str(len(codes)) in cl.completeness_note
    assert all(c.source and c.source.citation for c in cl.codes)


def test_codelist_rejects_duplicates(tmp_path):
    data = yaml.safe_load((loader.DATA_DIR / "moj-pd-categories.yaml").read_text(encoding="utf-8"))
    data["codes"].append(data["codes"][0])
    bad = tmp_path / "dup.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(loader.CatalogError, match="duplicate code"):
        loader.load_file(bad)


def test_every_mapping_ref_resolves(cats):
    mapping = cats.mappings["cross-framework"]
    seen_frameworks = set()
    for group in mapping.groups:
        frameworks = {ref.split(":", 1)[0] for ref in group.items}
        assert len(frameworks) >= 2, group.id  # a mapping links different frameworks
        for ref in group.items:
            fw_id, item_id = ref.split(":", 1)
            assert cats.framework(fw_id).item(item_id) is not None, ref
        seen_frameworks |= frameworks
    assert {"twse-broker-infosec", "listed-company-infosec", "moda-pd-security-plan",
            "fsc-pd-security", "tw-pdpa-2023", "gov-leak-prevention"} <= seen_frameworks
    groups = {g.id: set(g.items) for g in mapping.groups}
    assert {"twse-broker-infosec:AC-4", "listed-company-infosec:A21-1",
            "moda-pd-security-plan:A11-2-5", "fsc-pd-security:A10-1"} <= groups[
        "password-authentication"]
    assert {"twse-broker-infosec:NS-14", "twse-broker-infosec:NS-15"} <= groups[
        "failed-login-monitoring"]


def test_mapping_to_an_unknown_item_fails_loading(tmp_path, monkeypatch):
    extra = tmp_path / "cats"
    extra.mkdir()
    (extra / "bad-map.yaml").write_text(yaml.safe_dump({
        "schema": "gezi.mapping/1", "id": "bad-map", "version": "1",
        "name": {"zh-TW": "壞對應"}, "source": {"citation": "test only"},
        "groups": [{"id": "g", "name": {"zh-TW": "g"}, "rationale": "r",
                    "items": ["moda-pd-security-plan:A06", "fsc-pd-security:A99"]}],
    }, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(extra))
    loader.clear_cache()
    try:
        with pytest.raises(loader.CatalogError, match="fsc-pd-security:A99"):
            loader.load_catalogs()
    finally:
        monkeypatch.delenv("GEZI_CATALOG_DIR")
        loader.clear_cache()


def test_condition_any_semantics():
    cond = {"any": [{"capital": {"gte": 10_000_000}}, {"records": {"gte": 5000}}]}
    assert matches(cond, {"capital": 10_000_000})
    assert not matches(cond, {"capital": None, "records": None})


def test_cli_catalog_list_json(cli, fresh_env):
    res = cli("catalog", "list", "--json")
    assert res.code == 0, res.err
    docs = {d["id"]: d for d in res.json["catalogs"]}
    for fw_id, count in EXPECTED_ITEMS.items():
        assert docs[fw_id]["kind"] == "framework" and docs[fw_id]["entries"] == count
    assert docs["moj-pd-categories"]["complete"] is False
    assert docs["cross-framework"]["kind"] == "mapping"


def test_cli_catalog_show_codelist_json(cli, fresh_env):
    res = cli("catalog", "show", "moj-pd-categories", "--json")
    assert res.code == 0, res.err
    doc = res.json
    assert doc["kind"] == "codelist" and doc["complete"] is False
    assert doc["expected_count"] == 85 and doc["allow_free_text"] is True
    codes = {c["code"]: c["name"] for c in doc["codes"]}
    assert codes["C003"] == "政府資料中之辨識者"
    assert len(codes) == doc["entries"]


def test_cli_catalog_show_moda_json(cli, fresh_env):
    res = cli("catalog", "show", "moda-pd-security-plan", "--json")
    assert res.code == 0, res.err
    items = {i["id"]: i for i in res.json["items"]}
    assert items["A18-A11"]["applies_if"] == {
        "any": [{"capital": {"gte": 10000000}}, {"records": {"gte": 5000}}]}
    assert items["A03"]["params"]["plan_due"] == "2024-01-12"


def test_module_data_files_can_be_replaced_via_catalog_dir(tmp_path, monkeypatch):
    """A user edits a rule as data: GEZI_CATALOG_DIR/<relpath> replaces the shipped file."""
    import yaml

    from gezi.catalog import loader
    from gezi.privacy import vendors

    shipped = loader.data_file("privacy/vendor-items.yaml")
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    target = tmp_path / "privacy" / "vendor-items.yaml"
    target.parent.mkdir()
    data["supervision_items"][0]["name"]["zh-TW"] = "自訂監督項目"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(tmp_path))
    loader.clear_cache()
    try:
        assert loader.data_file("privacy/vendor-items.yaml") == target
        assert vendors.catalog().supervision_items[0].name.zh == "自訂監督項目"
    finally:
        monkeypatch.delenv("GEZI_CATALOG_DIR")
        loader.clear_cache()
    assert vendors.catalog().supervision_items[0].name.zh != "自訂監督項目"
