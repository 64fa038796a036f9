"""Builders for synthetic access logs and auth events with known attacks (imported by tests)."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

TW = dt.timezone(dt.timedelta(hours=8))
BASE = dt.datetime(2026, 3, 2, 10, 0, 0, tzinfo=TW)
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
TW_IP = "168.95.1.1"  # HiNet, registered in Taiwan
TW_IP2 = "168.95.192.1"
US_IP = "8.8.8.8"  # registered in the US


def at(seconds: float = 0, days: int = 0) -> dt.datetime:
    """BASE shifted by seconds and days."""
    return BASE + dt.timedelta(days=days, seconds=seconds)


def web(ip: str, when: dt.datetime, path: str, status: int = 200, method: str = "GET",
        ua: str = UA) -> str:
    """One nginx/Apache combined-format line."""
    return (f'{ip} - - [{when.strftime("%d/%b/%Y:%H:%M:%S %z")}] "{method} {path} HTTP/1.1" '
            f'{status} 512 "-" "{ua}"')


def auth(ip: str, when: dt.datetime, user: str, event: str = "login",
         result: str = "failure") -> str:
    """One auth event in gezi's JSON-lines import format."""
    return json.dumps({"ts": when.isoformat(), "ip": ip, "user": user, "event": event,
                       "result": result})


@dataclass
class Logs:
    """Writes lines to files and scans them."""

    tmp: Path
    counter: int = 0
    written: list[Path] = field(default_factory=list)

    def write(self, lines: list[str], name: str | None = None, shuffle: bool = False) -> Path:
        self.counter += 1
        path = self.tmp / (name or f"log{self.counter}.log")
        lines = list(lines)
        if shuffle:
            random.Random(self.counter).shuffle(lines)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def scan(self, web_lines: list[str] = (), auth_lines: list[str] = (), shuffle: bool = False,
             **kw) -> dict:
        from gezi.logwatch.scan import scan

        paths = [self.write(web_lines, shuffle=shuffle)] if web_lines else []
        auths = [self.write(auth_lines, name=f"auth{self.counter}.jsonl", shuffle=shuffle)] \
            if auth_lines else []
        return scan(paths, auths, **kw).to_dict()


def alerts_of(doc: dict, category: str) -> list[dict]:
    """Alerts of one category."""
    return [a for a in doc["alerts"] if a["category"] == category]


def signature(doc: dict) -> list[tuple]:
    """Order-independent identity of a scan's alerts."""
    return sorted((a["rule"], a["src_ip"] or "", a["user"] or "", a["first_seen"], a["last_seen"],
                   a["count"], a["peak"], a["country"] or "", tuple(a["src_ips"]), a["src_ip_count"])
                  for a in doc["alerts"])
