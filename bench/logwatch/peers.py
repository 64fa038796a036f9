"""Run each tool on the benchmark input and turn its output into comparable detections.

Every runner returns a `Run`: wall time and peak RSS of the whole process (GNU time), lines
processed, and a list of `Detection`s (who, what, when) that `score.py` maps to the injected
scenarios. Nothing here talks to the network: CrowdSec runs with the Central API disabled and a
private copy of its local database.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

GNU_TIME = "/usr/bin/time"
CROWDSEC_ETC = Path("/etc/crowdsec")
CROWDSEC_DATA = Path("/var/lib/crowdsec/data")
F2B_ETC = Path("/etc/fail2ban")
# fail2ban filters that read an nginx *access* log, plus nginx-http-auth which the brief names:
# it reads nginx's error log, so on an access log it can only show what it costs and that it
# matches nothing. nginx-limit-req (error log) and apache-fakegooglebot (needs reverse DNS) are
# left out.
F2B_FILTERS = ["nginx-botsearch", "nginx-bad-request", "apache-badbots", "php-url-fopen",
               "nginx-http-auth"]


@dataclass
class Detection:
    """One alert/ban/overflow from a tool, in the tool's own vocabulary."""

    tool_rule: str
    src_ip: str | None
    first: float  # epoch seconds
    last: float
    category: str | None = None
    user: str | None = None
    count: int = 0


@dataclass
class Run:
    """What one tool did on one input."""

    tool: str
    lines: int
    wall_s: float
    max_rss_mb: float
    returncode: int
    detections: list[Detection] = field(default_factory=list)
    cpu_s: float = 0.0
    note: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> Run:
        """Inverse of `dataclasses.asdict` (for the peer-result cache)."""
        dets = [Detection(**x) for x in d.pop("detections")]
        return cls(**d, detections=dets)

    @property
    def lines_per_s(self) -> float:
        """Throughput over the whole process lifetime (start-up included)."""
        return self.lines / self.wall_s if self.wall_s > 0 else 0.0


@dataclass
class Timing:
    """Wall time, CPU time (user + sys, robust to a busy shared machine) and peak RSS."""

    wall_s: float
    cpu_s: float
    max_rss_mb: float
    rc: int


def timed(cmd: list[str], stdout: Path, stderr: Path, env: dict | None = None,
          timeout: float | None = None) -> Timing:
    """Run `cmd` under GNU time."""
    stats = stdout.with_suffix(".rss")
    t0 = time.perf_counter()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        try:
            rc = subprocess.run([GNU_TIME, "-f", "%M %U %S", "-o", str(stats), *cmd],
                                stdout=out, stderr=err, env=env, timeout=timeout,
                                check=False).returncode
        except subprocess.TimeoutExpired:
            rc = -9
    wall = time.perf_counter() - t0
    try:
        rss_kb, user, sys_ = (float(x) for x in stats.read_text().strip().splitlines()[-1].split())
    except (OSError, ValueError, IndexError):
        rss_kb = user = sys_ = 0.0
    return Timing(wall, user + sys_, rss_kb / 1024, rc)


def parse_ts(text: str | None) -> float | None:
    """ISO 8601 (any offset, or 'Z') → epoch seconds."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# -- wc -l --------------------------------------------------------------------------------
def run_wc(log: Path, work: Path) -> Run:
    """`wc -l`: the cost of just reading the file (the I/O floor)."""
    tm = timed(["wc", "-l", str(log)], work / "wc.out", work / "wc.err")
    lines = int((work / "wc.out").read_text().split()[0])
    return Run("wc -l", lines, tm.wall_s, tm.max_rss_mb, tm.rc, cpu_s=tm.cpu_s)


# -- gezi ---------------------------------------------------------------------------------
def gezi_available(repo: Path) -> bool:
    """True once the logwatch engineer's `gezi logs` command group exists."""
    return (repo / "src/gezi/cli/logs.py").exists()


def gezi_revision(repo: Path) -> str:
    """Last commit touching gezi's logwatch code, '+dirty' if the working tree differs."""
    paths = ["src/gezi/logwatch", "src/gezi/cli/logs.py", "src/gezi/catalog/data/logwatch"]
    try:
        rev = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h %cI", "--",
                              *paths], capture_output=True, text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", *paths],
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unknown"
    return f"git {rev or 'uncommitted'}{' +dirty' if dirty else ''}"


def run_gezi(repo: Path, log: Path, auth: Path, lines: int, work: Path) -> Run:
    """`gezi logs scan … --json` on a fresh data directory (no register → prints only)."""
    gezi = repo / ".venv/bin/gezi"
    data = work / "gezi-data"
    shutil.rmtree(data, ignore_errors=True)
    env = {**os.environ, "GEZI_DATA_DIR": str(data)}
    cmd = [str(gezi), "logs", "scan", str(log), "--auth", str(auth), "--json"]
    tm = timed(cmd, work / "gezi.json", work / "gezi.err", env=env)
    run = Run("gezi", lines, tm.wall_s, tm.max_rss_mb, tm.rc, note=" ".join(cmd[1:]),
              cpu_s=tm.cpu_s)
    try:
        doc = json.loads((work / "gezi.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        err = (work / "gezi.err").read_text(encoding="utf-8", errors="replace").strip()
        run.note = f"no JSON output ({exc}); stderr: {err[-300:]}"
        return run
    run.extra["summary"] = doc.get("summary", {})
    for a in doc.get("alerts", []):
        first = parse_ts(a.get("first_seen")) or 0.0
        run.detections.append(Detection(
            tool_rule=a.get("rule") or "", category=a.get("category"), src_ip=a.get("src_ip"),
            user=a.get("user"), first=first, last=parse_ts(a.get("last_seen")) or first,
            count=int(a.get("count") or 0)))
    return run


# -- fail2ban -----------------------------------------------------------------------------
def jail_limits(name: str) -> tuple[int, float]:
    """(maxretry, findtime seconds) of a jail as Debian's jail.conf sets them."""
    cp = configparser.RawConfigParser(strict=False)
    cp.read(F2B_ETC / "jail.conf")
    section = cp[name] if cp.has_section(name) else cp["DEFAULT"]
    maxretry = int(section.get("maxretry", cp["DEFAULT"].get("maxretry", "5")).split()[0])
    findtime = section.get("findtime", cp["DEFAULT"].get("findtime", "10m")).split()[0]
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    seconds = float(findtime[:-1]) * units[findtime[-1]] if findtime[-1] in units else float(
        findtime)
    return maxretry, seconds


ROW = re.compile(r"\['([^']+)',\s*([\d.]+)")


def bans(name: str, matches: list[tuple[str, float]]) -> list[Detection]:
    """Apply the jail's maxretry-within-findtime to fail2ban-regex matches (what the server
    would have banned had it read the file live)."""
    maxretry, findtime = jail_limits(name)
    by_ip: dict[str, list[float]] = {}
    for ip, ts in matches:
        by_ip.setdefault(ip, []).append(ts)
    out = []
    for ip, ts in by_ip.items():
        ts.sort()
        lo = 0
        for hi in range(len(ts)):
            while ts[hi] - ts[lo] > findtime:
                lo += 1
            if hi - lo + 1 >= maxretry:
                out.append(Detection(f"fail2ban/{name}", ip, ts[lo], ts[hi], count=hi - lo + 1))
                lo = hi + 1  # banned: the window starts again after the ban
    return out


def run_fail2ban(log: Path, lines: int, work: Path) -> list[Run]:
    """`fail2ban-regex -o row LOG FILTER` for each filter; one Run per filter."""
    runs = []
    for name in F2B_FILTERS:
        out, err = work / f"f2b-{name}.out", work / f"f2b-{name}.err"
        cmd = ["fail2ban-regex", "-o", "row", str(log), str(F2B_ETC / "filter.d" / f"{name}.conf")]
        tm = timed(cmd, out, err)
        matches = [(m.group(1), float(m.group(2)))
                   for m in map(ROW.match, out.read_text(errors="replace").splitlines()) if m]
        maxretry, findtime = jail_limits(name)
        run = Run(f"fail2ban-regex {name}", lines, tm.wall_s, tm.max_rss_mb, tm.rc,
                  bans(name, matches), cpu_s=tm.cpu_s,
                  note=f"{len(matches)} matching lines; jail maxretry {maxretry} / findtime "
                       f"{findtime:.0f} s applied to them")
        run.extra["matched_lines"] = len(matches)
        runs.append(run)
    return runs


# -- CrowdSec -----------------------------------------------------------------------------
OVERFLOW = re.compile(r"Ip (\S+) performed '([^']+)' \((\d+) events over ([^)]+)\) at "
                      r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d{4})")
DURATION = re.compile(r"([\d.]+)(h|ms|m|s|µs|us)")


def go_duration(text: str) -> float:
    """'4m27.5s' → 267.5 (Go's time.Duration.String())."""
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6}
    return sum(float(v) * scale[u] for v, u in DURATION.findall(text))


def crowdsec_version() -> str:
    """The version `crowdsec -version` prints (its lines carry a timestamp prefix)."""
    try:
        res = subprocess.run(["crowdsec", "-version"], capture_output=True, text=True,
                             check=False)
        text = res.stdout + res.stderr
    except OSError:
        return "unknown"
    m = re.search(r"version: (\S+)", text)
    return m.group(1) if m else "unknown"


def crowdsec_config(work: Path) -> Path:
    """A private CrowdSec config: Debian's offline hub as installed, own DB, free port, no
    Central API, no daemon. Scenarios whose data file Debian does not ship are removed so they do
    not log one error per line."""
    home = work / "crowdsec"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copytree(CROWDSEC_ETC, home / "etc", symlinks=True)
    removed = []
    for scen in sorted((home / "etc/scenarios").glob("*.yaml")):
        for doc in yaml.safe_load_all(scen.read_text()):
            files = [d.get("dest_file") for d in (doc or {}).get("data") or []]
            if any(f and not (CROWDSEC_DATA / f).exists() for f in files):
                removed.append(scen.name)
                scen.unlink()
                break
    shutil.copy(CROWDSEC_DATA / "crowdsec.db", home / "crowdsec.db")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    creds = yaml.safe_load((CROWDSEC_ETC / "local_api_credentials.yaml").read_text())
    creds["url"] = f"http://127.0.0.1:{port}"
    (home / "lapi.yaml").write_text(yaml.safe_dump(creds))
    (home / "acquis.yaml").write_text("")
    cfg = yaml.safe_load((CROWDSEC_ETC / "config.yaml").read_text())
    cfg["common"].update(daemonize=False, log_media="stdout", log_dir=str(home))
    cfg["config_paths"]["config_dir"] = str(home / "etc") + "/"
    cfg["crowdsec_service"]["acquisition_path"] = str(home / "acquis.yaml")
    cfg["crowdsec_service"].pop("acquisition_dir", None)
    cfg["db_config"]["db_path"] = str(home / "crowdsec.db")
    cfg["api"]["client"]["credentials_path"] = str(home / "lapi.yaml")
    cfg["api"]["server"]["listen_uri"] = f"127.0.0.1:{port}"
    cfg["api"]["server"].pop("online_client", None)
    cfg["prometheus"]["enabled"] = False
    (home / "config.yaml").write_text(yaml.safe_dump(cfg))
    (home / "removed-scenarios.txt").write_text("\n".join(removed) + "\n")
    return home / "config.yaml"


def run_crowdsec(log: Path, lines: int, work: Path, label: str,
                 timeout: float | None = None) -> Run:
    """`crowdsec -dsn file://LOG -type nginx -no-capi` (replay/"time-machine" mode); `label` is
    a short slug naming this replay in file names and the report."""
    config = crowdsec_config(work)
    cmd = ["crowdsec", "-c", str(config), "-dsn", f"file://{log.resolve()}", "-type", "nginx",
           "-no-capi"]
    tm = timed(cmd, work / f"crowdsec-{label}.out", work / f"crowdsec-{label}.err",
               timeout=timeout)
    run = Run(f"crowdsec ({label})", lines, tm.wall_s, tm.max_rss_mb, tm.rc, note=" ".join(cmd),
              cpu_s=tm.cpu_s)
    removed = (config.parent / "removed-scenarios.txt").read_text().split()
    run.extra["removed_scenarios"] = removed
    text = (work / f"crowdsec-{label}.err").read_text(errors="replace")
    text += (work / f"crowdsec-{label}.out").read_text(errors="replace")
    for m in OVERFLOW.finditer(text):
        ip, scen, n, span, stamp, off = m.groups()
        last = datetime.strptime(f"{stamp.split('.')[0]} {off}", "%Y-%m-%d %H:%M:%S %z")
        end = last.timestamp()
        run.detections.append(Detection(scen, ip, end - go_duration(span), end, count=int(n)))
    if tm.rc == -9:
        run.note += f" — stopped after {timeout:.0f} s timeout"
    return run


# -- helpers for slicing the same file ----------------------------------------------------
NGINX_TS = re.compile(r"\[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]")
MONTH = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                     "Sep", "Oct", "Nov", "Dec"], 1)}


def line_epoch(line: str) -> float | None:
    """Epoch seconds of an nginx combined line (None if it has no timestamp)."""
    m = NGINX_TS.search(line)
    if not m:
        return None
    d, mon, y, hh, mm, ss, off = m.groups()
    sign = 1 if off[0] == "+" else -1
    offset = sign * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)
    base = datetime(int(y), MONTH[mon], int(d), int(hh), int(mm), int(ss), tzinfo=UTC)
    return base.timestamp() - offset


def head(log: Path, n: int, dest: Path) -> int:
    """Copy the first `n` lines of `log` to `dest`; return how many were copied."""
    count = 0
    with log.open("rb") as src, dest.open("wb") as out:
        for line in src:
            if count >= n:
                break
            out.write(line)
            count += 1
    return count


def windows_slice(log: Path, windows: list[tuple[float, float]], dest: Path) -> int:
    """Copy every line (all clients, in file order) whose time falls in any window."""
    windows = sorted(windows)
    count = 0
    with log.open(encoding="utf-8", errors="replace") as src, dest.open("w") as out:
        for line in src:
            ts = line_epoch(line)
            if ts is not None and any(a <= ts <= b for a, b in windows):
                out.write(line)
                count += 1
    return count


def tool_version(cmd: list[str]) -> str:
    """First line of a tool's version output."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return (res.stdout or res.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "not installed"
