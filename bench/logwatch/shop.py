"""Model of a mid-size Taiwanese online shop's normal traffic, for the logwatch benchmark.

Everything here is synthetic and driven by one `random.Random`, so a seed reproduces the same
file byte for byte. Addresses come from real allocations: customers from Taiwanese ISP blocks
(HiNet, TWM, FET, TANet, Seednet …), visitors abroad from Japanese, US, Hong Kong, Malaysian and
Singaporean consumer blocks, crawlers from Google's/Microsoft's/Apple's published crawler ranges.
Every sampled address is checked with iptocc (the same offline RIR data gezi uses) so that a
"Taiwanese" customer really maps to TW.
"""

from __future__ import annotations

import ipaddress
import math
import random
from dataclasses import dataclass, field

import iptocc

SITE = "https://shop.example"

# Blocks that iptocc maps 100 % to the given country (checked 2026-11-23 with iptocc 3.3.170 on
# 500 random addresses each); mixed blocks such as 60.248.0.0/13 were left out on purpose.
HOME_BLOCKS = [
    "1.160.0.0/12", "36.224.0.0/12", "114.32.0.0/12", "118.160.0.0/13", "61.216.0.0/14",
    "111.240.0.0/12", "220.128.0.0/12", "49.216.0.0/14", "27.240.0.0/13", "101.8.0.0/14",
    "223.136.0.0/13", "39.8.0.0/13", "42.72.0.0/14", "180.217.0.0/16", "211.72.0.0/13",
    "59.120.0.0/14",
]
TANET_BLOCK = "140.112.0.0/16"
ABROAD_BLOCKS = {
    "JP": ["126.0.0.0/10", "153.128.0.0/11"],
    "US": ["73.0.0.0/10", "24.0.0.0/12"],
    "HK": ["112.118.0.0/16", "219.76.0.0/14"],
    "MY": ["175.136.0.0/13"],
    "SG": ["116.86.0.0/15"],
}
# (user agent, blocks, mean seconds between requests); rates stay far below the bot rule.
CRAWLERS = [
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     ["66.249.64.0/20"], 4.0),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Chrome/130.0.6723.116 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
     "+http://www.google.com/bot.html)", ["66.249.64.0/20"], 9.0),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
     ["157.55.39.0/24", "40.77.167.0/24"], 12.0),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
     ["17.241.219.0/24"], 40.0),
]

BROWSERS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 25),
    ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.6778.39 Mobile Safari/537.36", 18),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Mobile/15E148 Safari Line/14.17.0", 9),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15", 8),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 6),
    ("Mozilla/5.0 (Linux; Android 13; ASUS_AI2202) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.6723.107 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/489.0.0.49.109;]", 4),
]

# Relative traffic per Taipei hour: quiet at night, lunch bump, evening peak.
HOURLY = [3, 2, 1.2, 0.8, 0.6, 0.7, 1.2, 2.5, 4, 5, 5.5, 6, 7, 6.5, 6, 6, 6.2, 6.8,
          7.5, 8.5, 9.5, 10, 8.5, 5.5]

# Search terms as a Taiwanese shopper types them (URL-encoded UTF-8 in the log).
SEARCH_TERMS = ["保溫瓶", "行動電源", "藍牙耳機", "防曬乳", "衛生紙", "咖啡豆", "茶葉", "口罩",
                "手機殼", "電風扇", "除濕機", "運動鞋", "noise cancelling", "iphone 16 case"]
CATEGORIES = ["home-living", "3c", "beauty", "food-tea", "sports", "baby", "pets", "books"]
PRODUCT_IDS = range(10001, 19001)
SURNAMES = ["chen", "lin", "huang", "chang", "lee", "wang", "wu", "liu", "tsai", "yang", "hsu",
            "cheng", "hsieh", "kuo", "hung", "tseng", "chiu", "liao", "lai", "chou"]
GIVEN = ["yating", "weiting", "chiahui", "yuting", "shuhui", "chihao", "junjie", "yihsuan",
         "hsinyi", "tsungwei", "mingche", "peiyu", "kaiwen", "chunhung", "yuchen", "szuyu"]
MAIL = ["gmail.com", "yahoo.com.tw", "hotmail.com", "icloud.com", "outlook.com", "msa.hinet.net"]

STATIC_CORE = [("/static/css/app.3f9c2d.css", 48211), ("/static/js/vendor.8a1e44.js", 212887),
               ("/static/js/app.c07b19.js", 96440), ("/static/fonts/NotoSansTC-Regular.woff2",
                                                      418230), ("/favicon.ico", 5430)]
ADMIN_PAGES = ["/admin", "/admin/orders", "/admin/products", "/admin/customers",
               "/admin/reports/daily", "/admin/coupons", "/admin/inventory"]
ADMIN_STATIC = [("/admin/static/admin.9b1f.css", 31522), ("/admin/static/admin.77e0.js", 143020)]


@dataclass
class Event:
    """One request; `ts` is epoch seconds (float) and `line` is rendered later."""

    ts: float
    ip: str
    method: str
    path: str
    status: int
    size: int
    referer: str
    ua: str


@dataclass
class AuthEvent:
    """One application authentication event in gezi's documented import format."""

    ts: float
    ip: str
    user: str
    event: str
    result: str


@dataclass
class Account:
    """A customer account: its name and the addresses it normally uses."""

    user: str
    ips: list[str]


def pct(text: str) -> str:
    """URL-encode a search term the way browsers put it in the query string."""
    return "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "-._") else
        "+" if ch == " " else "".join(f"%{b:02X}" for b in ch.encode())
        for ch in text
    )


class AddressPool:
    """Random addresses from CIDR blocks, kept only when iptocc agrees on the country."""

    def __init__(self, rng: random.Random, blocks: list[str], country: str,
                 exclude: set[str]) -> None:
        self.rng = rng
        self.nets = [ipaddress.ip_network(b) for b in blocks]
        self.country = country
        self.exclude = exclude

    def sample(self, n: int) -> list[str]:
        """Return `n` distinct addresses that map to the pool's country."""
        out: list[str] = []
        seen: set[str] = set()
        while len(out) < n:
            batch = []
            for _ in range(max(64, n - len(out))):
                net = self.rng.choice(self.nets)
                # skip .0 and .255 so no address looks like a network or broadcast address
                ip = str(net[self.rng.randrange(1, net.num_addresses - 1)])
                if ip.endswith((".0", ".255")) or ip in seen or ip in self.exclude:
                    continue
                batch.append(ip)
            for ip, cc in zip(batch, iptocc.country_code(batch), strict=True):
                if cc == self.country and ip not in seen and len(out) < n:
                    seen.add(ip)
                    out.append(ip)
        return out


@dataclass
class Shop:
    """Everything normal traffic draws from; built once per seed."""

    rng: random.Random
    accounts: list[Account] = field(default_factory=list)
    abroad_accounts: list[tuple[Account, str]] = field(default_factory=list)
    anon_ips: list[str] = field(default_factory=list)
    office_nat: str = ""
    office_accounts: list[Account] = field(default_factory=list)
    staff: list[tuple[str, str]] = field(default_factory=list)  # (user, office ip)
    crawler_ips: list[list[str]] = field(default_factory=list)
    fail_times: dict[str, list[float]] = field(default_factory=dict)  # failed logins per user
    page_hits: dict[tuple[str, int], int] = field(default_factory=dict)

    @classmethod
    def build(cls, rng: random.Random, n_accounts: int, reserved: set[str]) -> Shop:
        """Create accounts, address pools, staff and crawlers; `reserved` are attacker IPs."""
        shop = cls(rng)
        home = AddressPool(rng, HOME_BLOCKS, "TW", reserved)
        ips = home.sample(n_accounts * 2 + 4000)
        names: set[str] = set()
        while len(names) < n_accounts + 400:
            names.add(f"{rng.choice(GIVEN)}.{rng.choice(SURNAMES)}{rng.randrange(1, 9999)}"
                      f"@{rng.choice(MAIL)}")
        ordered = sorted(names)
        rng.shuffle(ordered)
        it = iter(ips)
        for user in ordered[:n_accounts]:
            own = [next(it)] + ([next(it)] if rng.random() < 0.6 else [])
            shop.accounts.append(Account(user, own))
        shop.anon_ips = list(it)
        # Customers living abroad always shop from their own country (never "new location").
        for cc, blocks in ABROAD_BLOCKS.items():
            pool = AddressPool(rng, blocks, cc, reserved).sample(60)
            for i in range(0, 60, 2):
                name = ordered[n_accounts + len(shop.abroad_accounts)]
                shop.abroad_accounts.append((Account(name, pool[i:i + 2]), cc))
        # An office behind one NAT address: many staff shopping at lunch, some mistyping.
        shop.office_nat = AddressPool(rng, [TANET_BLOCK], "TW", reserved).sample(1)[0]
        shop.office_accounts = rng.sample(shop.accounts, 45)
        office = AddressPool(rng, ["211.72.0.0/13", "59.120.0.0/14"], "TW", reserved).sample(2)
        shop.staff = [("staff.mei", office[0]), ("staff.hao", office[0]),
                      ("staff.yu", office[1])]
        shop.crawler_ips = [
            [str(ipaddress.ip_network(b)[rng.randrange(2, 250)]) for b in blocks
             for _ in range(3)] for _, blocks, _ in CRAWLERS
        ]
        return shop

    # -- one browsing session ------------------------------------------------------------
    def session(self, t: float, day: int, out: list[Event], auth: list[AuthEvent]) -> None:
        """Append one customer session starting at `t` to `out` (and its logins to `auth`)."""
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            account, _ = rng.choice(self.abroad_accounts)
        elif r < 0.08 and 11 <= (t / 3600 + 8) % 24 < 14:
            account = rng.choice(self.office_accounts)
            account = Account(account.user, [self.office_nat])
        elif r < 0.45:
            account = rng.choice(self.accounts)
        else:
            account = None
        if account is not None:
            ip = rng.choice(account.ips)
        elif r < 0.47:
            ip = rng.choice(self.abroad_accounts)[0].ips[0]
        else:
            ip = rng.choice(self.anon_ips)
        ua = rng.choices([b[0] for b in BROWSERS], [b[1] for b in BROWSERS])[0]
        first = rng.random()
        if first < 0.35:
            page, ref = "/", "https://www.google.com/" if rng.random() < 0.5 else "-"
        elif first < 0.8:
            page, ref = self.product_path(), "https://www.google.com/"
        else:
            page, ref = f"/category/{rng.choice(CATEGORIES)}", "https://www.facebook.com/"
        n_pages = min(1 + int(rng.expovariate(1 / 5)), 40)
        logged_in = False
        cold = True
        for i in range(n_pages):
            if account is not None and not logged_in and (i == 1 or page == "/member/orders"):
                t = self.login(t, ip, ua, account, out, auth)
                logged_in = True
                ref = f"{SITE}/login"
            status = 404 if page.startswith("/products/") and rng.random() < 0.004 else 200
            out.append(Event(t, ip, "GET", page, status, rng.randrange(14000, 62000), ref, ua))
            self.count_page(page, day)
            self.assets(t, ip, ua, page, cold, out)
            cold = False
            ref = SITE + page
            t += min(rng.lognormvariate(3.0, 0.9), 900)
            page = self.next_page(logged_in)
        if logged_in and rng.random() < 0.004:
            t += rng.uniform(5, 40)
            out.append(Event(t, ip, "POST", "/member/password", 302, 0, f"{SITE}/member/password",
                             ua))
            auth.append(AuthEvent(t, ip, account.user, "password_change", "success"))
        if logged_in and rng.random() < 0.2:
            t += rng.uniform(5, 60)
            out.append(Event(t, ip, "GET", "/logout", 302, 0, ref, ua))
            auth.append(AuthEvent(t, ip, account.user, "logout", "success"))

    def login(self, t: float, ip: str, ua: str, account: Account, out: list[Event],
              auth: list[AuthEvent]) -> float:
        """A customer login, sometimes after a typo or two.

        A typo is only made if no 24-hour window around it would then hold 3 failures for the
        account (attack failures are registered beforehand), so customers alone never reach the
        seed's 3-failures-a-day rule, however the day is cut.
        """
        rng = self.rng
        out.append(Event(t, ip, "GET", "/login", 200, 9120, f"{SITE}/", ua))
        self.assets(t, ip, ua, "/login", False, out)
        typos = 0
        if rng.random() < 0.1:
            typos = 1 if rng.random() < 0.85 else 2
        past = self.fail_times.setdefault(account.user, [])
        near = sum(1 for f in past if abs(f - t) < 86400 + 120)  # typos land within ~40 s
        for _ in range(max(0, min(typos, 2 - near))):
            t += rng.uniform(4, 20)
            out.append(Event(t, ip, "POST", "/login", 401, 9304, f"{SITE}/login", ua))
            auth.append(AuthEvent(t, ip, account.user, "login", "failure"))
            past.append(t)
        t += rng.uniform(4, 20)
        out.append(Event(t, ip, "POST", "/login", 302, 0, f"{SITE}/login", ua))
        auth.append(AuthEvent(t, ip, account.user, "login", "success"))
        return t + rng.uniform(0.2, 1.0)

    def assets(self, t: float, ip: str, ua: str, page: str, cold: bool, out: list[Event]) -> None:
        """Static files a browser fetches right after a page: many when the cache is cold."""
        rng = self.rng
        ref = SITE + page
        files: list[tuple[str, int]] = list(STATIC_CORE) if cold else []
        if page == "/" or page.startswith("/category/"):
            files += [(f"/images/products/{rng.choice(PRODUCT_IDS)}_s.webp",
                       rng.randrange(6000, 30000)) for _ in range(rng.randrange(12, 22))]
            files += [(f"/images/banner/2026w{rng.randrange(40, 48)}-{k}.jpg", 182000)
                      for k in range(1, 4)]
        elif page.startswith("/products/"):
            pid = page.rsplit("/", 1)[1]
            files += [(f"/images/products/{pid}_{k}.webp", rng.randrange(30000, 160000))
                      for k in range(1, rng.randrange(3, 7))]
        for path, size in files:
            t += rng.uniform(0.01, 0.12)
            if not cold and rng.random() < 0.3:
                out.append(Event(t, ip, "GET", path, 304, 0, ref, ua))
            else:
                out.append(Event(t, ip, "GET", path, 200, size, ref, ua))

    def product_path(self) -> str:
        """A product page; popularity is skewed (the top 1 % of products get ~20 % of views)."""
        rank = int(len(PRODUCT_IDS) * self.rng.random() ** 3)
        return f"/products/{PRODUCT_IDS[(rank * 7919) % len(PRODUCT_IDS)]}"

    def next_page(self, logged_in: bool) -> str:
        """Where a shopper clicks next."""
        rng = self.rng
        r = rng.random()
        if r < 0.5:
            return self.product_path()
        if r < 0.62:
            return f"/category/{rng.choice(CATEGORIES)}?page={rng.randrange(1, 6)}"
        if r < 0.72:
            return f"/search?q={pct(rng.choice(SEARCH_TERMS))}"
        if r < 0.8:
            return "/cart"
        if r < 0.83:
            return "/checkout"
        if r < 0.86:
            return "/"
        if r < 0.9:
            return "/api/cart/count"
        if logged_in and r < 0.98:
            return f"/member/order/detail?id={rng.randrange(2400000, 2600000)}"
        if r < 0.985:
            return "/member/orders"
        return rng.choice(["/faq", "/about", "/shipping", "/returns"])

    def count_page(self, page: str, day: int) -> None:
        """Remember daily hits of the order-detail page (baseline for the traffic anomaly)."""
        if page.startswith(ANOMALY_PAGE):
            key = (ANOMALY_PAGE, day)
            self.page_hits[key] = self.page_hits.get(key, 0) + 1

    # -- staff and crawlers --------------------------------------------------------------
    def staff_session(self, t: float, out: list[Event], auth: list[AuthEvent]) -> None:
        """A staff member logs in to the back end from the office and works for a while."""
        rng = self.rng
        user, ip = rng.choice(self.staff)
        ua = BROWSERS[0][0]
        out.append(Event(t, ip, "GET", "/admin/login", 200, 4210, "-", ua))
        t += rng.uniform(3, 9)
        out.append(Event(t, ip, "POST", "/admin/login", 302, 0, f"{SITE}/admin/login", ua))
        auth.append(AuthEvent(t, ip, user, "login", "success"))
        for i in range(rng.randrange(5, 30)):
            t += rng.uniform(0.5, 2.0) if i == 0 else rng.lognormvariate(3.5, 0.8)
            page = rng.choice(ADMIN_PAGES)
            if page == "/admin/orders" and rng.random() < 0.5:
                page = f"/admin/orders/{rng.randrange(2400000, 2600000)}"
            out.append(Event(t, ip, "GET", page, 200, rng.randrange(20000, 90000),
                             f"{SITE}/admin", ua))
            if i == 0:
                for path, size in ADMIN_STATIC:
                    out.append(Event(t + 0.05, ip, "GET", path, 200, size, f"{SITE}{page}", ua))

    def crawl(self, start: float, end: float, out: list[Event], slow: float) -> None:
        """Search-engine crawlers fetching pages; `slow` stretches their gaps for small logs."""
        rng = self.rng
        for (ua, _, mean_gap), ips in zip(CRAWLERS, self.crawler_ips, strict=True):
            gap = mean_gap * slow
            t = start + rng.expovariate(1 / gap)
            while t < end:
                r = rng.random()
                # crawlers walk the whole catalogue, not the products shoppers like
                page = (f"/products/{rng.choice(PRODUCT_IDS)}" if r < 0.75 else
                        f"/category/{rng.choice(CATEGORIES)}?page={rng.randrange(1, 30)}"
                        if r < 0.97 else "/")
                status = 404 if r < 0.75 and rng.random() < 0.01 else 200
                out.append(Event(t, rng.choice(ips), "GET", page, status,
                                 rng.randrange(9000, 60000), "-", ua))
                t += rng.expovariate(1 / gap)
            # robots.txt and the sitemap are re-read every few hours, not per page
            if rng.random() < 0.3:
                t = start + rng.random() * (end - start)
                for path in ("/robots.txt", "/sitemap.xml"):
                    out.append(Event(t, rng.choice(ips), "GET", path, 200,
                                     912 if path == "/robots.txt" else 48210, "-", ua))
                    t += rng.uniform(0.5, 3.0)


ANOMALY_PAGE = "/member/order/detail"


def hour_weight(hour_local: int) -> float:
    """Share of a day's sessions that start in a given Taipei hour."""
    return HOURLY[hour_local] / math.fsum(HOURLY)
