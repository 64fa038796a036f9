"""Every rule: a positive case, a near-miss negative, and the same alerts on shuffled replay."""

from __future__ import annotations

from lwdata import TW_IP, TW_IP2, US_IP, alerts_of, at, auth, signature, web

ATTACKER = "203.0.113.7"  # TEST-NET: no country, so no foreign-IP alerts get mixed in
OTHER = "203.0.113.8"
OFFICE = "198.51.100.20"


def check(logs, category: str, web_lines=(), auth_lines=(), expect_ips=(), expect_users=()):
    """Scan, assert exactly the expected keys alert, then replay shuffled and compare."""
    doc = logs.scan(list(web_lines), list(auth_lines))
    found = alerts_of(doc, category)
    assert sorted(a["src_ip"] for a in found if a["src_ip"] and not expect_users) == \
        sorted(expect_ips)
    if expect_users:
        assert sorted(a["user"] for a in found) == sorted(expect_users)
    replay = logs.scan(list(web_lines), list(auth_lines), shuffle=True)
    assert signature(replay) == signature(doc)
    return found


def test_brute_force_three_failures_within_a_day(logs):
    lines = [auth(OFFICE, at(0), "alice@example.com"), auth(OFFICE, at(3600), "alice@example.com"),
             auth(OFFICE, at(23 * 3600), "alice@example.com"),
             # near miss: two failures only
             auth(OFFICE, at(10), "bob"), auth(OFFICE, at(20), "bob"),
             # near miss: three failures, but never three inside 24 hours
             auth(OFFICE, at(0), "carol99"), auth(OFFICE, at(13 * 3600), "carol99"),
             auth(OFFICE, at(26 * 3600), "carol99"),
             # successes and unknown accounts are not failures
             auth(OFFICE, at(5), "dave", result="success"),
             auth(OFFICE, at(6), "dave", result="success"),
             auth(OFFICE, at(7), "dave", result="success")]
    found = check(logs, "brute_force", auth_lines=lines, expect_users=["a***@example.com"])
    assert found[0]["count"] == 3 and found[0]["severity"] == "high"
    assert "alice@example.com" not in str(found[0])


def test_brute_force_names_the_ip_with_most_failures_and_lists_every_source(logs):
    # alice is guessed from three addresses: 203.0.113.9 twice, the others once each
    alice = [auth("203.0.113.9", at(0), "alice"), auth("198.51.100.3", at(10), "alice"),
             auth("203.0.113.9", at(20), "alice"), auth("192.0.2.1", at(30), "alice")]
    # bob: a tie of one failure each; the earliest (not the lowest) address is named
    bob = [auth("203.0.113.50", at(0), "bob"), auth("198.51.100.60", at(5), "bob"),
           auth("192.0.2.70", at(9), "bob")]
    # carol: a botnet of 25 addresses, one guess each; 20 are listed, all 25 are counted
    carol = [auth(f"198.51.100.{100 + i}", at(100 + i), "carol") for i in range(25)]
    found = check(logs, "brute_force", auth_lines=alice + bob + carol,
                  expect_users=["a***e", "b**", "c***l"])
    by_user = {a["user"]: a for a in found}
    a, b, c = by_user["a***e"], by_user["b**"], by_user["c***l"]
    assert (a["src_ip"], a["src_ips"], a["src_ip_count"]) == (
        "203.0.113.9", ["203.0.113.9", "198.51.100.3", "192.0.2.1"], 3)
    assert (b["src_ip"], b["src_ips"]) == ("203.0.113.50", ["203.0.113.50", "198.51.100.60",
                                                            "192.0.2.70"])
    assert c["src_ip"] == "198.51.100.100" and c["src_ip_count"] == 25 and c["count"] == 25
    assert c["src_ips"] == [f"198.51.100.{100 + i}" for i in range(20)]


def test_ip_keyed_alerts_list_their_one_ip(logs):
    lines = [auth(ATTACKER, at(i * 30), f"user{i:02d}") for i in range(12)]
    doc = logs.scan([], lines)
    for alert in doc["alerts"]:
        if alert["category"] != "brute_force":
            assert (alert["src_ips"], alert["src_ip_count"]) == ([ATTACKER], 1)
    assert alerts_of(doc, "credential_stuffing")


def test_credential_stuffing_many_accounts_from_one_ip(logs):
    stuffing = [auth(ATTACKER, at(i * 30), f"user{i:02d}@mail.example",
                     result="unknown_user" if i % 3 == 0 else "failure") for i in range(12)]
    # an office NAT: four people mistyping their passwords twice each within the hour
    office = [auth(OFFICE, at(i * 200 + k), f"staff{i}") for i in range(4) for k in (0, 40)]
    # near miss: ten accounts, but spread over five hours
    slow = [auth(OTHER, at(i * 1800), f"slow{i}") for i in range(10)]
    found = check(logs, "credential_stuffing", auth_lines=stuffing + office + slow,
                  expect_ips=[ATTACKER])
    assert found[0]["count"] == 12 and found[0]["peak"] == 12


def test_credential_stuffing_threshold_is_exactly_ten_distinct_accounts(logs):
    nine = [auth(ATTACKER, at(i), f"u{i % 9}") for i in range(30)]  # 30 tries, 9 accounts
    ten = [auth(OTHER, at(i), f"v{i}") for i in range(10)]
    check(logs, "credential_stuffing", auth_lines=nine + ten, expect_ips=[OTHER])


def test_unknown_account_attempts_per_ip(logs):
    lines = [auth(ATTACKER, at(i * 600), f"nosuch{i}", result="unknown_user") for i in range(3)]
    lines += [auth(OFFICE, at(i * 60), f"typo{i}", result="unknown_user") for i in range(2)]
    check(logs, "unknown_account", auth_lines=lines, expect_ips=[ATTACKER])


def test_login_rate_more_than_seven_per_second(logs):
    eight = [web(ATTACKER, at(0), "/login", method="POST") for _ in range(8)]
    seven = [web(OTHER, at(0), "/member/login.php", method="POST") for _ in range(7)]
    spread = [web(OFFICE, at(i // 7), "/login", method="POST") for i in range(14)]  # 7/s twice
    found = check(logs, "login_rate", web_lines=eight + seven + spread, expect_ips=[ATTACKER])
    assert found[0]["peak"] == 8


def test_bot_more_than_thirty_pages_in_three_seconds(logs):
    bot = [web(ATTACKER, at(i % 3), f"/product/{i}") for i in range(31)]
    near = [web(OTHER, at(i % 3), f"/product/{i}") for i in range(30)]
    # a shopper's browser: three pages, each pulling 20 static assets, within 3 seconds
    shopper = []
    for p in range(3):
        shopper.append(web(OFFICE, at(p), f"/category/{p}"))
        shopper += [web(OFFICE, at(p), f"/static/img{i}.png") for i in range(15)]
        shopper += [web(OFFICE, at(p), f"/static/app{i}.js") for i in range(3)]
        shopper += [web(OFFICE, at(p), "/static/site.css"), web(OFFICE, at(p), "/favicon.ico")]
    found = check(logs, "bot", web_lines=bot + near + shopper, expect_ips=[ATTACKER])
    assert found[0]["peak"] == 31


def test_scanning_admin_and_sensitive_paths_that_do_not_exist(logs):
    scan = [web(ATTACKER, at(0), "/.git/config", 404), web(ATTACKER, at(5), "/.env", 404),
            web(ATTACKER, at(9), "/phpmyadmin/index.php", 404),
            web(ATTACKER, at(12), "/admin/", 404)]
    near = [web(OTHER, at(0), "/wp-login.php", 404), web(OTHER, at(3), "/administrator/", 404)]
    existing = [web(OFFICE, at(0), "/admin/login", 200), web(OFFICE, at(1), "/admin/", 200),
                web(OFFICE, at(2), "/admin/orders", 200)]
    found = check(logs, "scanning", web_lines=scan + near + existing, expect_ips=[ATTACKER])
    assert found[0]["count"] == 4


def test_sqli_probe(logs):
    probe = [web(ATTACKER, at(0), "/product?id=1%27%20OR%20%271%27=%271"),
             web(ATTACKER, at(2), "/product?id=1+UNION+SELECT+username,password+FROM+users--"),
             web(ATTACKER, at(4), "/product?id=1;waitfor%20delay%20%270:0:5%27")]
    once = [web(OTHER, at(0), "/product?id=1%20and%201=1")]
    shopper = [web(OFFICE, at(0), "/search?q=select+a+chair+from+our+catalog"),
               web(OFFICE, at(9), "/search?q=union+jack+select"),
               web(OFFICE, at(19), "/search?q=o%27reilly+books")]
    check(logs, "sqli_probe", web_lines=probe + once + shopper, expect_ips=[ATTACKER])


def test_foreign_admin_access(logs):
    lines = [web(US_IP, at(0), "/admin/login", 200, method="POST"),
             web(US_IP, at(5), "/admin/orders/export", 200),
             web(TW_IP, at(0), "/admin/login", 200, method="POST"),
             web(TW_IP, at(5), "/admin/orders", 200),
             web("10.1.2.3", at(5), "/admin/orders", 200),  # private: not foreign
             web("8.8.4.4", at(7), "/admin/orders", 403),  # foreign but refused
             web("8.8.4.4", at(8), "/product/1", 200)]  # foreign, not admin
    found = check(logs, "foreign_admin_access", web_lines=lines, expect_ips=[US_IP])
    assert found[0]["country"] == "US" and found[0]["severity"] == "critical"


def test_auth_bypass_admin_page_without_login(logs):
    lines = [web(TW_IP, at(0), "/admin/member/export?page=1", 200),
             web(TW_IP, at(1), "/admin/member/export?page=2", 200),
             web(TW_IP2, at(0), "/admin/login", 200),
             web(TW_IP2, at(3), "/admin/login", 302, method="POST"),
             web(TW_IP2, at(5), "/admin/orders", 200),
             web(OFFICE, at(0), "/admin/orders", 302),  # redirected to the login page
             web(OFFICE, at(1), "/admin/login", 200),
             web(OTHER, at(0), "/admin/static/admin.css", 200)]
    found = check(logs, "auth_bypass", web_lines=lines, expect_ips=[TW_IP])
    assert {a["src_ip"]: a["count"] for a in found}[TW_IP] == 2


def test_mass_password_change_auth_events(logs):
    mass = [auth(ATTACKER, at(i * 60), f"member{i}", "password_change", "success")
            for i in range(5)]
    near = [auth(OTHER, at(i * 60), f"m{i}", "password_change", "success") for i in range(4)]
    slow = [auth(OFFICE, at(i * 900), f"s{i}", "password_change", "success") for i in range(6)]
    check(logs, "mass_password_change", auth_lines=mass + near + slow, expect_ips=[ATTACKER])


def test_mass_password_change_from_access_log(logs):
    mass = [web(ATTACKER, at(i * 30), "/member/password", 200, method="POST") for i in range(5)]
    views = [web(OTHER, at(i * 30), "/member/password", 200) for i in range(8)]  # GET only
    check(logs, "mass_password_change", web_lines=mass + views, expect_ips=[ATTACKER])


def test_traffic_anomaly_page_above_normal_from_one_ip(logs):
    lines = []
    for day in range(7):
        lines += [web(f"198.51.100.{i % 50 + 1}", at(i * 60, day), "/product/1") for i in range(100)]
    lines += [web(f"198.51.100.{i % 50 + 1}", at(i * 60, 7), "/product/1") for i in range(100)]
    lines += [web(ATTACKER, at(7200 + i, 7), "/product/1?id=" + str(i)) for i in range(40)]
    # near misses on other pages: +5 % only, and +40 % spread over many IPs
    for day in range(8):
        lines += [web(f"198.51.100.{i % 50 + 1}", at(i * 60, day), "/about") for i in range(100)]
        extra = 5 if day == 7 else 0
        lines += [web(f"198.51.100.{i + 100}", at(9000 + i, day), "/about") for i in range(extra)]
        lines += [web(f"198.51.100.{i % 50 + 1}", at(i * 60, day), "/faq") for i in range(100)]
        spread = 40 if day == 7 else 0
        lines += [web(f"192.0.2.{i + 1}", at(9000 + i, day), "/faq") for i in range(spread)]
    found = check(logs, "traffic_anomaly", web_lines=lines, expect_ips=[ATTACKER])
    assert found[0]["count"] == 40 and found[0]["peak"] == 140


def test_new_location_login(logs):
    lines = [auth(TW_IP, at(0), "alice", result="success"),
             auth(US_IP, at(0, 1), "alice", result="success"),
             auth(US_IP, at(60, 1), "alice", result="success"),  # same new country: one alert
             auth(TW_IP, at(0), "bob", result="success"),
             auth(TW_IP2, at(0, 2), "bob", result="success"),
             auth(US_IP, at(0), "carol", result="success"),  # first ever login: no history
             auth("10.0.0.8", at(0), "dave", result="success"),  # private = home
             auth(TW_IP, at(0, 1), "dave", result="success"),
             auth(US_IP, at(0, 3), "erin", result="failure"),  # failed: not a login
             auth(TW_IP, at(0), "erin", result="success"),
             auth(US_IP, at(0), "frank", result="success"),  # first seen abroad, then home:
             auth(TW_IP, at(0, 1), "frank", result="success")]  # home is never "new location"
    found = check(logs, "new_location_login", auth_lines=lines, expect_users=["a***e"])
    assert found[0]["country"] == "US" and found[0]["src_ip"] == US_IP


def test_allow_list_and_rule_override_from_profile(logs, tmp_path):
    bot = [web(ATTACKER, at(i % 3), f"/product/{i}") for i in range(31)]
    bot += [web(OTHER, at(i % 3), f"/p/{i}", ua="UptimeRobot/2.0") for i in range(40)]
    profile = tmp_path / "site.yaml"
    profile.write_text("allow:\n  user_agents: [uptimerobot]\n"
                       "rules:\n  LW-BOT: {condition: {gt: 35}}\n", encoding="utf-8")
    assert alerts_of(logs.scan(bot), "bot") and len(alerts_of(logs.scan(bot), "bot")) == 2
    assert alerts_of(logs.scan(bot, profile_path=profile), "bot") == []
