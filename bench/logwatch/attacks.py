"""Injected attack scenarios, each with its ground truth (category, attacker IP, time window).

The scenarios follow the incidents the seeds describe (000 撞庫 / 目錄搜尋 / 後台由國外登入 /
未經登入頁面, 001 就業通大量改密碼, 003 非客戶帳號嘗試登入 / 異常 IP 登入). Their sizes are fixed
so the same attack is present in a 200k-line quick run and in a 5M-line run; only the traffic
anomaly scales, because it is defined relative to the page's normal daily count.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from shop import ANOMALY_PAGE, BROWSERS, SITE, AuthEvent, Event, Shop

CHROME = BROWSERS[0][0]
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"

# Attacker addresses: fixed, real allocations (country per iptocc 3.3.170, checked in the test).
ATTACKERS = {
    "credential_stuffing": ("45.155.205.233", "RU"),
    "brute_force": ("36.231.77.140", "TW"),
    "unknown_account": ("1.171.20.66", "TW"),
    "login_rate": ("5.188.62.140", "RU"),
    "bot": ("34.81.20.11", "US"),
    "scanning": ("193.142.146.35", "DE"),
    "sqli_probe": ("185.191.171.3", "GB"),
    "foreign_admin_access": ("223.104.3.77", "CN"),
    "auth_bypass": ("114.37.152.9", "TW"),
    "mass_password_change": ("113.161.5.8", "VN"),
    "traffic_anomaly": ("59.124.88.201", "TW"),
    "new_location_login": ("102.89.32.10", "NG"),
}

SCAN_PATHS = [
    "/.env", "/.env.bak", "/.git/config", "/.git/HEAD", "/.svn/entries", "/.DS_Store",
    "/.aws/credentials", "/phpmyadmin/", "/phpMyAdmin/index.php", "/pma/", "/myadmin/",
    "/mysqladmin/", "/admin.php", "/administrator/", "/admin/config.php", "/admin/.env",
    "/wp-login.php", "/wp-admin/", "/xmlrpc.php", "/backup.zip", "/backup.sql", "/db.sql",
    "/dump.sql", "/config.php.bak", "/web.config", "/server-status", "/actuator/env",
    "/cgi-bin/test.cgi", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/storage/logs/laravel.log", "/.well-known/security.txt.bak", "/console", "/solr/admin/",
    "/manager/html", "/api/.env", "/shop/.env", "/old/", "/test.php", "/info.php",
    "/phpinfo.php",
]
SQLI_PATHS = [
    "/products/10234'", "/products/10234%27%20OR%20%271%27%3D%271",
    "/search?q=%27%20OR%201%3D1--", "/search?q=1%27%20UNION%20SELECT%20NULL%2CNULL%2CNULL--",
    "/search?q=test'+UNION+SELECT+username,password+FROM+members--",
    "/category/3c?page=1%20AND%201%3D1", "/category/3c?page=1%20AND%201%3D2",
    "/products?id=10234%20AND%20SLEEP(5)", "/products?id=10234'%20AND%20'a'='a",
    "/search?q=%22%3B%20DROP%20TABLE%20orders%3B--", "/member/order/detail?id=1%20OR%201=1",
    "/search?q=1%29%20OR%20%281%3D1", "/products?id=-1+union+select+1,2,3,4,5--+",
    "/search?q=admin%27--", "/category/beauty?sort=price%20ASC%2C%28SELECT%201%29",
    "/search?q=%27%20AND%20extractvalue(1%2Cconcat(0x7e%2Cversion()))--",
]


@dataclass
class Scenario:
    """Ground truth for one injected attack."""

    name: str
    category: str
    src_ip: str
    country: str
    start: float
    end: float
    description: str
    user: str | None = None
    access_lines: int = 0
    auth_events: int = 0

    def as_dict(self) -> dict:
        """The JSON form written to scenarios.json."""
        return {k: v for k, v in self.__dict__.items()}


class Injector:
    """Writes attack events into the same event lists as the normal traffic."""

    def __init__(self, rng: random.Random, shop: Shop, day0: float, days: int) -> None:
        self.rng = rng
        self.shop = shop
        self.day0 = day0
        self.days = days
        self.events: list[Event] = []
        self.auth: list[AuthEvent] = []
        self.scenarios: list[Scenario] = []

    def at(self, day: int, hh: int, mm: int, ss: float = 0.0) -> float:
        """Epoch seconds of a Taipei wall-clock time on day `day` (0-based) of the log."""
        return self.day0 + min(day, self.days - 1) * 86400 + hh * 3600 + mm * 60 + ss

    def record(self, category: str, description: str, start: float,
               run: Callable[[str, float], float], user: str | None = None) -> None:
        """Run an injector and store its ground truth, counting the lines it added."""
        ip, cc = ATTACKERS[category]
        n_ev, n_auth = len(self.events), len(self.auth)
        end = run(ip, start)
        self.scenarios.append(Scenario(
            name=category, category=category, src_ip=ip, country=cc, start=start, end=end,
            description=description, user=user, access_lines=len(self.events) - n_ev,
            auth_events=len(self.auth) - n_auth))

    def req(self, t: float, ip: str, method: str, path: str, status: int, ua: str,
            size: int = 0, ref: str = "-") -> None:
        """Append one attacker request."""
        self.events.append(Event(t, ip, method, path, status, size, ref, ua))

    def login(self, t: float, ip: str, user: str, result: str, ua: str,
              path: str = "/login") -> None:
        """A login POST plus the matching application auth event."""
        status = 302 if result == "success" else 401
        self.req(t, ip, "POST", path, status, ua, 0 if status == 302 else 9304, SITE + path)
        self.auth.append(AuthEvent(t, ip, user, "login", result))
        if result == "failure":
            # registered so the customer's own typos never add up to 3 with it (Shop.login)
            self.shop.fail_times.setdefault(user, []).append(t)

    # -- the scenarios ------------------------------------------------------------------
    def inject_all(self) -> list[Scenario]:
        """Inject every scenario at a fixed place in the log (needs ≥ 3 days)."""
        rng, shop = self.rng, self.shop
        d = self.days
        ghosts = [f"{g}{rng.randrange(100, 999)}@{m}" for g, m in
                  zip(["service", "test", "admin", "info", "sales", "support"],
                      ["gmail.com", "yahoo.com.tw", "hotmail.com"] * 2, strict=True)]

        def stuffing(ip: str, t: float) -> float:
            victims = rng.sample(shop.accounts, 300)
            leaked = [f"{u.user.split('@')[0]}x@{u.user.split('@')[1]}" for u in victims[:120]]
            tried = [(a.user, "failure") for a in victims] + [(u, "unknown_user") for u in leaked]
            rng.shuffle(tried)
            for user, result in tried:
                t += rng.uniform(4.0, 12.0)
                self.login(t, ip, user, result, CHROME)
            return t
        self.record("credential_stuffing",
                    "420 login POSTs, 420 distinct accounts (300 existing, 120 not), all failing, "
                    "one every 4-12 s", self.at(2, 2, 10), stuffing)

        target = shop.accounts[7]

        def brute(ip: str, t: float) -> float:
            for _ in range(12):
                t += rng.uniform(60, 150)
                self.login(t, ip, target.user, "failure", BROWSERS[2][0])
            return t
        self.record("brute_force", "12 failed logins for one account in about 20 min",
                    self.at(1, 22, 40), brute, user=target.user)

        def unknown(ip: str, t: float) -> float:
            for i in range(12):
                t += rng.uniform(10, 30)
                self.login(t, ip, ghosts[i % len(ghosts)], "unknown_user", BROWSERS[1][0])
            return t
        self.record("unknown_account", "12 logins for 6 accounts that do not exist in ~4 min",
                    self.at(1, 20, 5), unknown)

        def burst(ip: str, t: float) -> float:
            users = rng.sample(shop.accounts, 5)
            for i in range(24):
                t += rng.uniform(0.08, 0.11)  # ~10 login requests per second for 2.4 s
                self.login(t, ip, users[i % 5].user, "failure", "python-requests/2.32.3")
            return t
        self.record("login_rate", "24 login POSTs in about 2.4 s (~10 per second)",
                    self.at(3, 15, 30, 12.0), burst)

        def scrape(ip: str, t: float) -> float:
            first = rng.randrange(10001, 18000)
            for pid in range(first, first + 450):
                t += rng.uniform(0.05, 0.09)  # ~14 pages per second, no static assets
                self.req(t, ip, "GET", f"/products/{pid}", 200, CHROME, rng.randrange(20000,
                                                                                     60000))
            return t
        self.record("bot", "450 consecutive product pages in ~30 s (a catalogue scrape), no "
                    "static assets",
                    self.at(1, 11, 2, 30.0), scrape)

        def scan(ip: str, t: float) -> float:
            for path in SCAN_PATHS:
                t += rng.uniform(0.3, 2.5)
                self.req(t, ip, "GET", path, 404, FIREFOX_LINUX, 162)
            return t
        self.record("scanning", f"{len(SCAN_PATHS)} requests for sensitive files and admin tools "
                    "that do not exist (404)", self.at(2, 4, 17), scan)

        def sqli(ip: str, t: float) -> float:
            for path in SQLI_PATHS:
                t += rng.uniform(2, 9)
                self.req(t, ip, "GET", path, rng.choice([200, 200, 500, 400]), CHROME, 7311)
            return t
        self.record("sqli_probe", f"{len(SQLI_PATHS)} requests with SQL-injection patterns",
                    self.at(2, 14, 3), sqli)

        staff_user = shop.staff[0][0]

        def foreign_admin(ip: str, t: float) -> float:
            self.req(t, ip, "GET", "/admin/login", 200, CHROME, 4210)
            t += 6.3
            self.login(t, ip, staff_user, "success", CHROME, path="/admin/login")
            for page in ["/admin", "/admin/customers", "/admin/customers?page=2",
                         "/admin/customers/export?format=csv", "/admin/orders",
                         "/admin/orders/export?from=2026-01-01&format=xlsx"]:
                t += rng.uniform(4, 40)
                self.req(t, ip, "GET", page, 200, CHROME, rng.randrange(30000, 4_000_000),
                         f"{SITE}/admin")
            return t
        self.record("foreign_admin_access", "staff credentials used from abroad: admin login "
                    "then customer/order exports (200)", self.at(3, 1, 37), foreign_admin,
                    user=staff_user)

        def bypass(ip: str, t: float) -> float:
            for page in (["/admin/reports/daily?export=1"]
                         + [f"/admin/customers?page={p}" for p in range(1, 21)]
                         + ["/admin/customers/export?format=csv"]):
                t += rng.uniform(2, 8)
                self.req(t, ip, "GET", page, 200, FIREFOX_LINUX, rng.randrange(30000, 90000))
            return t
        self.record("auth_bypass", "22 admin pages answered 200 to an IP that never logged in "
                    "to the back end", self.at(min(4, d - 1), 10, 20), bypass)

        def mass_change(ip: str, t: float) -> float:
            for account in rng.sample(shop.accounts[100:], 40):
                t += rng.uniform(3, 8)
                self.login(t, ip, account.user, "success", "python-requests/2.32.3")
                t += rng.uniform(1, 3)
                self.req(t, ip, "POST", "/member/password", 302, "python-requests/2.32.3",
                         0, f"{SITE}/member/password")
                self.auth.append(AuthEvent(t, ip, account.user, "password_change", "success"))
            return t
        self.record("mass_password_change", "40 accounts log in and change their password from "
                    "one IP within ~7 min", self.at(min(4, d - 1), 13, 2), mass_change)

        victim = shop.accounts[11]

        def new_location(ip: str, t: float) -> float:
            self.req(t, ip, "GET", "/login", 200, BROWSERS[0][0], 9120)
            t += 11.0
            self.login(t, ip, victim.user, "success", BROWSERS[0][0])
            for page in ["/member", "/member/orders", "/member/profile", "/member/addresses"]:
                t += rng.uniform(3, 15)
                self.req(t, ip, "GET", page, 200, BROWSERS[0][0], 21000, f"{SITE}/member")
            return t
        self.record("new_location_login", "an account that always logged in from Taiwan logs in "
                    "from Nigeria", self.at(d - 2, 3, 12), new_location, user=victim.user)
        return self.scenarios

    def seed_victim_history(self) -> None:
        """Give the new-location victim a Taiwanese login on each earlier day (its baseline)."""
        victim = self.shop.accounts[11]
        for day in range(self.days - 2):
            t = self.at(day, 21, 15, 7.0)
            ip = victim.ips[0]
            self.req(t - 9, ip, "GET", "/login", 200, BROWSERS[1][0], 9120)
            self.login(t, ip, victim.user, "success", BROWSERS[1][0])
            self.req(t + 1.2, ip, "GET", "/member/orders", 200, BROWSERS[1][0], 18000)

    def inject_anomaly(self, day: int, baseline: float) -> None:
        """One IP walks order-detail pages all day: +60 % over the page's normal daily count."""
        ip, cc = ATTACKERS["traffic_anomaly"]
        extra = max(100, int(baseline * 0.6))
        start, end = self.at(day, 8, 0), self.at(day, 20, 0)
        gap = (end - start) / extra
        n_ev = len(self.events)
        t = start
        order = 2_512_000
        for _ in range(extra):
            t += gap * self.rng.uniform(0.6, 1.4)
            order += 1
            self.req(t, ip, "GET", f"{ANOMALY_PAGE}?id={order}", 200, CHROME, 17000,
                     f"{SITE}/member/orders")
        self.scenarios.append(Scenario(
            name="traffic_anomaly", category="traffic_anomaly", src_ip=ip, country=cc,
            start=start, end=t, user=None, access_lines=len(self.events) - n_ev,
            description=f"{extra} extra {ANOMALY_PAGE} requests from one IP over 12 h "
                        f"(page's normal daily count ≈ {baseline:.0f})"))
