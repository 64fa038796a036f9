"""A real Apache log (elastic/examples, 2015) and the masking of personal data."""

from __future__ import annotations

from pathlib import Path

import pytest

from gezi.logwatch.mask import mask_text, mask_value
from gezi.logwatch.scan import scan

REAL = Path("/work/shared/realworld/apache_combined_2015.log")


@pytest.mark.skipif(not REAL.exists(), reason="real-world sample not present")
def test_real_apache_log_parses_and_flags_only_the_real_probes():
    doc = scan([REAL]).to_dict()
    s = doc["summary"]
    assert s["lines"] == 10000 and s["parsed"] == 10000
    by_cat: dict[str, set[str]] = {}
    for a in doc["alerts"]:
        by_cat.setdefault(a["category"], set()).add(a["src_ip"])
    # These IPs asked for /wp-login.php, /administrator/ and /admin.php (all 404) within a minute.
    assert by_cat.pop("scanning") == {"95.78.54.93", "198.245.61.43", "195.250.34.144",
                                      "188.165.243.45"}
    # Two probes only (144.76.194.187, 199.168.96.66) stay below the rule; crawlers such as
    # Googlebot (66.249.73.135, 482 requests) raise no bot alert; nothing else fires.
    assert by_cat == {}
    for a in doc["alerts"]:
        assert any("/wp-login.php" in line for line in a["evidence"])
        assert len(a["evidence"]) == 3


def test_mask_values():
    assert mask_value("alice@example.com") == "a***@example.com"
    assert mask_value("A123456789") == "A12****789"
    assert mask_value("0912345678") == "0912-***-678"
    assert mask_value("bob") == "b**"
    assert mask_value("wangxiaoming") == "w******g"


def test_mask_text_query_strings_json_and_known_accounts():
    line = ('1.2.3.4 - - [x] "GET /login?user=alice%40example.com&next=/cart&id=A123456789 '
            'HTTP/1.1" 200 1 "-" "-"')
    out = mask_text(line)
    assert "alice" not in out and "A123456789" not in out and "next=/cart" in out
    j = '{"ts": "2026-03-02T10:00:00+08:00", "ip": "1.2.3.4", "user": "king888"}'
    assert "king888" not in mask_text(j)
    assert mask_text("login failed for king888 from 1.2.3.4", ["king888"]) == \
        "login failed for k*****8 from 1.2.3.4"
    # a known account is masked once, the same way as in the alert's `user`
    j2 = '{"ip": "1.2.3.4", "user": "alice@example.com"}'
    assert mask_text(j2, ["alice@example.com"]) == '{"ip": "1.2.3.4", "user": "a***@example.com"}'
    # an invalid ID-like string is left alone outside sensitive parameters
    assert "A123456788" in mask_text("/product/A123456788")


def test_evidence_masks_what_the_pii_recognizers_find_but_keeps_the_source_ip():
    from urllib.parse import quote, unquote

    line = ('203.0.113.9 - - [23/Nov/2026:10:00:00 +0800] "GET /order?addr='
            + quote("台北市大安區忠孝東路四段100號") + "&card=4111111111111111&note="
            + quote("收件人王小明") + ' HTTP/1.1" 200 5')
    out = mask_text(line)
    assert out.startswith("203.0.113.9 - - ")  # the source IP is what the alert is about
    for value in ("100號", "4111111111111111", "王小明"):
        assert value not in unquote(out)
    assert "4111********1111" in out and "台北市大安區忠孝東路四段" in unquote(out)


def test_evidence_is_masked_exactly_once():
    from urllib.parse import quote, unquote

    from gezi.pii.masking import partial

    # a name found by the recognizers inside a sensitive parameter: one mask, the 王○明 convention
    # (it was masked again into 王**, a mask of a mask)
    once = partial("PERSON_NAME", "王小明")
    assert mask_text("GET /member?name=王小明&page=2 HTTP/1.1") == \
        f"GET /member?name={once}&page=2 HTTP/1.1"
    encoded = mask_text("GET /member?name=" + quote("王小明") + "&page=2")
    assert unquote(encoded) == f"GET /member?name={once}&page=2"
    assert mask_text('{"user": "王小明", "ip": "203.0.113.9"}') == \
        f'{{"user": "{once}", "ip": "203.0.113.9"}}'
    # a value holding '*' is not taken for a mask and left raw
    assert "se*cret" not in mask_text("GET /login?password=se*cret&user=bob")
    # an account known from the event, also an e-mail and a parameter value: masked once
    line = '{"ts": "2026-03-02T10:00:00+08:00", "user": "alice@example.com"} /login?email=alice@example.com'
    assert mask_text(line, ["alice@example.com"]) == \
        '{"ts": "2026-03-02T10:00:00+08:00", "user": "a***@example.com"} /login?email=a***@example.com'
    # a name, an ID and a phone number in one line: each masked once, in its own form
    raw = "GET /a?name=陳大文&id=A123456789&tel=0912345678 HTTP/1.1"
    assert mask_text(raw) == "GET /a?name=" + partial("PERSON_NAME", "陳大文") + \
        "&id=A12****789&tel=0912-***-678 HTTP/1.1"


def test_known_account_masks_whole_tokens_never_ip_addresses():
    # an account named `10` (a member number): its own field is masked, the digits of addresses,
    # times and ports are not
    line = ('10.0.0.1 - 10 [02/Mar/2026:10:00:00 +0800] "POST /login?user=10 HTTP/1.1" 401 0 "-" "-" '
            'via [2001:db8::10]:443 ::ffff:10.0.0.10 203.0.113.10:51234')
    assert mask_text(line, ["10"]) == (
        '10.0.0.1 - 1* [02/Mar/2026:10:00:00 +0800] "POST /login?user=1* HTTP/1.1" 401 0 "-" "-" '
        'via [2001:db8::10]:443 ::ffff:10.0.0.10 203.0.113.10:51234')
    # an account that is itself written like an address stays: the IP is what the alert is about
    assert mask_text("Failed password for 10.0.0.1 from 10.0.0.1 port 22", ["10.0.0.1"]) == \
        "Failed password for 10.0.0.1 from 10.0.0.1 port 22"
    # a name is masked where it stands alone (also before `@host`), not inside another token
    assert mask_text("Failed password for alice from 10.0.0.2 port 22 ssh alice@10.0.0.2 alice.smith",
                     ["alice"]) == \
        "Failed password for a***e from 10.0.0.2 port 22 ssh a***e@10.0.0.2 alice.smith"
