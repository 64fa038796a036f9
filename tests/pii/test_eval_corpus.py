"""The committed PII evaluation corpus is consistent: labels point at their text, decoys fail
their checksums, labelled identifiers pass theirs, and the generator reproduces the files."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import unicodedata
from pathlib import Path

import pytest

from gezi.core.twid import national_id_is_valid, old_resident_cert_is_valid, ubn_is_valid

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pii"
ENTITIES = {"TW_NATIONAL_ID", "TW_RESIDENT_CERT", "TW_UBN", "PHONE_NUMBER", "EMAIL_ADDRESS",
            "CREDIT_CARD", "TW_NHI_CARD", "TW_PASSPORT", "BANK_ACCOUNT", "TW_LICENSE_PLATE",
            "TW_ADDRESS", "PERSON_NAME", "DATE_OF_BIRTH", "IP_ADDRESS"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


evalset = _load("evalset")
make_corpus = _load("make_corpus")


@pytest.fixture(scope="module")
def texts() -> dict:
    return {u.where: u.text for u in evalset.units()}


def _plain(value: str) -> str:
    """Full-width forms folded to ASCII, separators dropped, letters upper-cased."""
    return "".join(c for c in unicodedata.normalize("NFKC", value) if c.isalnum()).upper()


def test_every_label_points_at_its_value(texts):
    gold = evalset.labels()
    assert len(gold) > 10_000
    assert {g["entity"] for g in gold} == ENTITIES
    for g in gold:
        text = texts[evalset.where(g)]
        assert 0 <= g["start"] < g["end"] <= len(text), g
        assert text[g["start"]:g["end"]] == g["value"], g


def test_spans_in_one_unit_do_not_overlap():
    spans: dict = {}
    for s in evalset.labels() + evalset.decoys():
        spans.setdefault(evalset.where(s), []).append((s["start"], s["end"]))
    for where, items in spans.items():
        items.sort()
        for (_, end), (start, _) in itertools.pairwise(items):
            assert end <= start, where


def test_decoys_point_at_their_value_and_fail_their_checksum(texts):
    bad = {"bad_national_id": lambda v: not national_id_is_valid(v),
           "bad_resident_cert": lambda v: not (national_id_is_valid(v)
                                               or old_resident_cert_is_valid(v)),
           "bad_ubn": lambda v: not ubn_is_valid(v),
           "bad_credit_card": lambda v: not make_corpus.luhn_is_valid(v)}
    kinds = set()
    for d in evalset.decoys():
        assert texts[evalset.where(d)][d["start"]:d["end"]] == d["value"], d
        kinds.add(d["kind"])
        if d["kind"] in bad:
            assert bad[d["kind"]](_plain(d["value"])), d
    assert set(bad) <= kinds
    assert {"order_number", "timestamp"} <= kinds


def test_labelled_identifiers_pass_their_checksum():
    check = {"TW_NATIONAL_ID": national_id_is_valid,
             "TW_RESIDENT_CERT": lambda v: national_id_is_valid(v) or old_resident_cert_is_valid(v),
             "TW_UBN": ubn_is_valid,
             "CREDIT_CARD": make_corpus.luhn_is_valid}
    for g in evalset.labels():
        if g["entity"] in check:
            assert check[g["entity"]](_plain(g["value"])), g
        if g["entity"] == "TW_NATIONAL_ID":
            assert _plain(g["value"])[1] in "12", g


def test_corpus_has_the_promised_variants():
    files = {f["file"]: f for f in evalset.manifest()}
    assert files["customers_big5.csv"]["encoding"] == "cp950"
    raw = (evalset.CORPUS_DIR / "customers_big5.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    values = [g["value"] for g in evalset.labels()]
    addresses = [g["value"] for g in evalset.labels() if g["entity"] == "TW_ADDRESS"]
    assert any(v.startswith("台") for v in addresses) and any(v.startswith("臺") for v in addresses)
    assert any("１" in v or "２" in v for v in addresses)
    assert any("百" in v or "十" in v for v in addresses)
    assert any(v[0] == "Ａ" or "０" in v for v in values)  # full-width identifiers


def test_generator_reproduces_the_committed_corpus(tmp_path):
    make_corpus.build(tmp_path)
    for entry in [*evalset.manifest(), {"file": "labels.jsonl"}, {"file": "decoys.jsonl"},
                  {"file": "manifest.json"}]:
        name = entry["file"]
        if entry.get("kind") == "xlsx":  # a workbook's zip carries save times: compare cells
            assert list(evalset.units(tmp_path)) == list(evalset.units())
            continue
        assert (tmp_path / name).read_bytes() == (evalset.CORPUS_DIR / name).read_bytes(), name


def test_tables_and_json_are_labelled_as_the_scanner_locates_them():
    gold = evalset.labels()
    xlsx = [g for g in gold if g["file"] == "orders.xlsx"]
    jsonl = [g for g in gold if g["file"] == "events.jsonl"]
    assert xlsx and all(g["row"] >= 2 and "!" in g["column"] for g in xlsx)
    assert jsonl and all(g["line"] >= 1 and g["column"].startswith("$.") for g in jsonl)
