"""Progress over input bytes: inside each file, on stderr, only on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from lwdata import at, web
from rich.console import Console

from gezi.cli.logs import PROGRESS_MIN_BYTES, _progress
from gezi.logwatch.parse import Workspace
from gezi.logwatch.scan import load_files


def _big_log(path: Path, size: int) -> Path:
    line = web("203.0.113.1", at(0), "/product/" + "x" * 100) + "\n"
    path.write_text(line * (size // len(line) + 1))
    return path


def test_workspace_reports_share_of_each_file_read(tmp_path):
    a = _big_log(tmp_path / "a.log", 4 * 1024 * 1024)
    b = tmp_path / "b.log"
    b.write_text(web("203.0.113.2", at(1), "/") + "\n")
    calls: list[tuple[str, float]] = []
    with Workspace() as ws:
        load_files(ws, [a, b], [], "auto", lambda p, share: calls.append((p.name, share)))
        assert ws.progress is None  # not kept after loading
    assert calls[-1] == ("b.log", 1.0) and ("a.log", 1.0) in calls
    shares_a = [s for name, s in calls if name == "a.log"]
    assert shares_a == sorted(shares_a) and all(0 < s <= 1 for s in shares_a)
    assert calls.index(("a.log", 1.0)) < calls.index(("b.log", 1.0))


def test_bar_counts_bytes_inside_a_file_and_only_on_a_terminal(tmp_path):
    big = _big_log(tmp_path / "big.log", PROGRESS_MIN_BYTES + 1)
    small = tmp_path / "small.log"
    small.write_text(web("203.0.113.2", at(1), "/") + "\n")
    size = big.stat().st_size + small.stat().st_size
    term = Console(file=io.StringIO(), force_terminal=True)
    bar, tick = _progress([big, small], term)
    assert bar is not None
    task = bar.tasks[0]
    assert task.total == size
    tick(big, 0.5)
    assert task.completed == big.stat().st_size // 2  # moved inside the one large file
    tick(big, 1.0)
    tick(small, 0.5)
    assert task.completed == big.stat().st_size + small.stat().st_size // 2
    tick(small, 1.0)
    assert task.completed == size
    # not a terminal (a pipe, cron) or a small input: no bar at all
    assert _progress([big], Console(file=io.StringIO(), force_terminal=False)) == (None, None)
    assert _progress([small], term) == (None, None)


def test_cli_prints_no_progress_when_stderr_is_not_a_terminal(tmp_path, cli, fresh_env):
    big = _big_log(tmp_path / "big.log", PROGRESS_MIN_BYTES + 1)
    r = cli("logs", "scan", big)
    assert r.code == 0 and r.err == ""
    j = cli("logs", "scan", big, "--json")
    assert j.code == 0 and j.err == "" and j.json["summary"]["parsed"] > 50_000
