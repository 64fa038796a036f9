"""The TWSE broker and listed-company security catalogs match seed 003 and load through the CLI."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from gezi.catalog import loader
from gezi.catalog.applicability import applicable_items, framework_applies
from gezi.catalog.schema import Framework

SEED = "seed 003_1ebab6476a18df1e.txt"

# id prefix → (seed section, expected item count, domain the section maps to)
TWSE_SECTIONS = {
    "RA": ("風險評鑑管理", 2, "辨識資安風險"),
    "SP": ("資訊安全政策", 3, "訂定資安政策"),
    "SO": ("安全組織", 3, "配置組織資源"),
    "AM": ("資產分類與控制", 2, "清查資訊資產"),
    "HR": ("人員安全", 2, "強化人員管理"),
    "PE": ("實體與環境安全", 2, "監控環境設備"),
    "NS": ("網路安全管理", 16, "管理通訊作業"),
    "OS": ("電腦系統及作業安全管理", 2, "管理通訊作業"),
    "AC": ("存取控制", 11, "落實存取控制"),
    "SD": ("系統開發及維護", 11, "控管開發維運"),
    "BC": ("持續營運管理", 6, "提升營運韌性"),
    "CO": ("符合性", 2, "實作規範相符"),
    "ET": ("新興科技應用", 5, "納管新興科技"),
    "T3": ("前三級證券商適用", 7, None),
    "T12": ("一二級證券商適用", 3, None),
}
TWSE_DOMAINS = ["辨識資安風險", "訂定資安政策", "配置組織資源", "清查資訊資產", "強化人員管理",
                "監控環境設備", "管理通訊作業", "落實存取控制", "控管開發維運", "提升營運韌性",
                "實作規範相符", "納管新興科技"]
LISTED_ARTICLES = {11, 12, 13, 16, 18, 19, 21, 29, 30}


@pytest.fixture(autouse=True)
def _shipped_catalogs(monkeypatch):
    monkeypatch.delenv("GEZI_CATALOG_DIR", raising=False)
    loader.clear_cache()
    yield
    loader.clear_cache()


@pytest.fixture
def twse() -> Framework:
    return loader.load_catalogs().framework("twse-broker-infosec")


@pytest.fixture
def listed() -> Framework:
    return loader.load_catalogs().framework("listed-company-infosec")


def _prefix(item_id: str) -> str:
    return item_id.rsplit("-", 1)[0]


def test_twse_has_77_items_in_the_12_seed_domains(twse):
    assert len(twse.items) == 77
    assert [d.name.zh for d in twse.domains] == TWSE_DOMAINS
    counts = Counter(_prefix(i.id) for i in twse.items)
    assert counts == {p: n for p, (_, n, _) in TWSE_SECTIONS.items()}
    # ids are exactly PREFIX-1..n (other catalogs map against them)
    expected = {f"{p}-{k}" for p, (_, n, _) in TWSE_SECTIONS.items() for k in range(1, n + 1)}
    assert {i.id for i in twse.items} == expected
    # every domain holds at least one item
    assert {i.domain for i in twse.items} == {d.id for d in twse.domains}


def test_twse_items_cite_their_seed_section_and_sit_in_its_domain(twse):
    domain_name = {d.id: d.name.zh for d in twse.domains}
    for item in twse.items:
        section, _, domain = TWSE_SECTIONS[_prefix(item.id)]
        number = item.id.rsplit("-", 1)[1]
        assert item.source.citation == f"{SEED}, {section} {number}", item.id
        assert item.source.verified == "seed"
        if domain:
            assert domain_name[item.domain] == domain, item.id


def test_every_item_has_bilingual_name_and_requirement(twse, listed):
    for item in [*twse.items, *listed.items]:
        assert item.name.zh.strip() and item.name.en and item.name.en.strip(), item.id
        assert item.requirement.zh.strip() and item.requirement.en, item.id
        assert item.source.citation.startswith(SEED), item.id


@pytest.mark.parametrize(("item_id", "frequency"), [
    ("RA-2", "annual"), ("AM-2", "annual"), ("NS-14", "daily"), ("SD-4", "semiannual"),
    ("SD-6", "annual"), ("CO-1", "annual"), ("ET-5", "annual"),
])
def test_frequencies_the_seed_gives(twse, item_id, frequency):
    assert twse.item(item_id).frequency == frequency


def test_items_without_a_seed_frequency_have_none(twse):
    # 定期 without a period is not turned into an invented frequency
    for item_id in ("SP-1", "PE-2", "NS-9", "AC-2", "AC-9", "T12-3"):
        item = twse.item(item_id)
        assert item.frequency is None and "定期" in item.frequency_note, item_id


def test_t3_4_health_check_frequency_depends_on_tier(twse):
    item = twse.item("T3-4")
    assert item.frequency is None
    assert "一級" in item.frequency_note and "每兩年" in item.frequency_note
    by_tier = {t: rule["frequency"] for rule in item.params["frequency_by_tier"]
               for t in rule["broker_tier"]}
    assert by_tier == {1: "annual", 2: "biennial", 3: "biennial"}


def test_machine_checkable_params(twse):
    assert twse.item("NS-8").params["firewall_log_retention_years"] == 3
    assert twse.item("AC-4").params["min_length"] == 6
    assert twse.item("AC-4").params["max_age_days"] == 90
    assert twse.item("AC-11").params["retention_years"] == 5
    assert twse.item("SD-4").params["scan_interval_months"] == 6


def test_ciso_item_keeps_the_seed_count(twse):
    item = twse.item("SO-3")
    assert "13家" in item.requirement.zh
    assert "seed" in item.source.note


@pytest.mark.parametrize(("tier", "t3", "t12"), [
    (1, 7, 3), (2, 7, 3), (3, 7, 0), (4, 0, 0), (None, 0, 0),
])
def test_tier_items_apply_only_to_their_tiers(twse, tier, t3, t12):
    facts = {"industry": "broker", "broker_tier": tier}
    assert framework_applies(twse, facts)
    ids = [i.id for i in applicable_items(twse, facts)]
    assert sum(_prefix(i) == "T3" for i in ids) == t3
    assert sum(_prefix(i) == "T12" for i in ids) == t12
    assert len(ids) == 67 + t3 + t12


def test_frameworks_apply_by_industry(twse, listed):
    assert not framework_applies(twse, {"industry": "listed"})
    assert framework_applies(listed, {"industry": "listed"})
    assert framework_applies(listed, {"industry": "broker", "broker_tier": 2})
    assert not framework_applies(listed, {"industry": "ecommerce"})


def test_framework_sources_and_dates(twse, listed):
    assert "FL007290" in twse.source.citation
    assert twse.status == "in_force" and str(twse.effective_from) == "2024-11-12"
    assert "111.4.7" in listed.source.citation
    assert "§6.4" in listed.source.note


def test_scoring_defaults_are_marked_as_gezi_defaults(twse):
    scoring = twse.scoring
    assert scoring.deduction_points == {"noncompliant": 1, "partial": 0.5}
    matrix = scoring.risk_matrix
    assert matrix.e_trading_share_high_pct == 50 and matrix.deduction_high_points == 5
    assert matrix.blocks["high_high"].zh == "高電子交易比重／高扣分：優先關懷"
    for source in (scoring.source, matrix.source):
        assert source.verified == "editorial"
        assert "監理科技運用" in source.citation
        assert "gezi defaults" in source.note and "NOT TWSE" in source.note


def test_listed_company_covers_the_seed_articles(listed):
    articles = {int(re.fullmatch(r"A(\d+)-\d+", i.id).group(1)) for i in listed.items}
    assert articles == LISTED_ARTICLES
    assert {i.id for i in listed.items if i.id.startswith("A19-")} == {"A19-1", "A19-2"}
    for item in listed.items:
        article = item.id[1:].split("-")[0]
        assert f"上市上櫃公司資通安全管控指引 第{article}條 (table row" in item.source.citation
    assert "第五章" in listed.item("A13-1").source.note
    controls = [c["code"] for c in listed.item("A18-1").params["controls"]]
    assert len(controls) == 7 and "soc" in controls


def test_cli_shows_the_catalog_without_a_register(fresh_env, cli, tmp_path):
    res = cli("catalog", "show", "twse-broker-infosec", "--json")
    assert res.code == 0, res.err
    doc = res.json
    assert doc["id"] == "twse-broker-infosec" and len(doc["items"]) == 77
    assert len(doc["domains"]) == 12
    ns14 = next(i for i in doc["items"] if i["id"] == "NS-14")
    assert ns14["frequency"] == "daily" and ns14["source"]["verified"] == "seed"
    assert not (tmp_path / "gezi-data").exists()


def test_malformed_catalog_gives_one_line_naming_file_and_field(
        fresh_env, cli, tmp_path, monkeypatch):
    shipped = loader.DATA_DIR / "twse-broker-infosec.yaml"
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["items"][3]["frequency"] = "sometimes"
    broken_dir = tmp_path / "catalogs"
    broken_dir.mkdir()
    broken = broken_dir / "twse-broker-infosec.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(broken_dir))
    loader.clear_cache()

    res = cli("catalog", "show", "twse-broker-infosec", "--json")
    assert res.code == 2
    assert res.out == ""
    lines = res.err.strip().splitlines()
    assert len(lines) == 1
    assert str(broken) in lines[0] and "items.3.frequency" in lines[0]


def test_big5_catalog_file_is_a_one_line_error(fresh_env, cli, tmp_path, monkeypatch):
    """Regression: a catalog not saved as UTF-8 gave a UnicodeDecodeError traceback."""
    own = tmp_path / "own"
    own.mkdir()
    (own / "mine.yaml").write_bytes("id: 資安\n".encode("big5"))
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(own))
    loader.clear_cache()
    res = cli("catalog", "list", "--json")
    assert res.code == 2 and res.out == ""
    assert "mine.yaml" in res.err and "UTF-8" in res.err and len(res.err.strip().splitlines()) == 1
    loader.clear_cache()


def test_catalog_override_dir_replaces_shipped_values(fresh_env, cli, tmp_path, monkeypatch):
    """An organization changes the editorial scoring defaults as data, not code."""
    data = yaml.safe_load(
        (loader.DATA_DIR / "twse-broker-infosec.yaml").read_text(encoding="utf-8"))
    data["scoring"]["risk_matrix"]["deduction_high_points"] = 8
    override = Path(tmp_path / "own")
    override.mkdir()
    (override / "twse.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    monkeypatch.setenv("GEZI_CATALOG_DIR", str(override))
    loader.clear_cache()
    fw = loader.load_catalogs().framework("twse-broker-infosec")
    assert fw.scoring.risk_matrix.deduction_high_points == 8
    assert len(fw.items) == 77
