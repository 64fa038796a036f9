"""Text spread apart one character at a time (``姓 名 ： 王 小 明``, ``1 0 0 號``), as the text
layer of many Chinese PDFs comes out of extraction and as people type it to align a form.

No recognizer sees a name or an address in such text: each character stands alone. The runs of
single characters separated by single spaces are closed up, the closed-up text is analyzed, and
the hits that cross a removed space are mapped back onto the spread text (offsets and values in
the text as given, spaces included). Masking a spread value keeps its spaces (王 ○ 明).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

Hit = tuple[str, int, int, float, str]

# A run of characters separated by single spaces, all but the first standing alone (the first
# may end a word: 姓名：王 小 明); the match starts at the first space. Words of spread text are
# set apart by two spaces or more (聯 絡 人  陳 美 玲  電 話  0 2 - 2 3 4 5 - 6 7 8 9), which stay.
_RUN = re.compile(r" (?<=\S )\S(?: \S)*(?!\S)")
# Two Chinese characters spread apart, both standing alone, found from the space between them:
# only a line that holds such a pair is spread text (spaces around numbers or a conjunction in
# prose, 113 年 5 月, A 及 B, are not), and only there runs are looked for.
_PAIR_HINT = re.compile(r" (?<=[\u3400-\u4dbf\u4e00-\u9fff] )(?<!\S[\u3400-\u4dbf\u4e00-\u9fff] )"
                        r"[\u3400-\u4dbf\u4e00-\u9fff](?!\S)")
# Characters of a run's line analyzed with it on either side: a label before a spread value,
# context words around it (recognizers look at most ~50 characters away).
_MARGIN = 64


def spread_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of the runs of ``text``'s spread lines (those with two Chinese characters
    spread apart)."""
    if text.isascii() or " " not in text:
        return []
    runs: list[tuple[int, int]] = []
    line_end = -1
    for hint in _PAIR_HINT.finditer(text):
        if hint.start() < line_end:
            continue
        line_start = text.rfind("\n", 0, hint.start()) + 1
        line_end = text.find("\n", hint.end())
        line_end = len(text) if line_end < 0 else line_end
        runs.extend((m.start() - 1, m.end()) for m in _RUN.finditer(text, line_start, line_end))
    return runs


class _Closed:
    """``text`` with the spaces inside its spread runs removed, and the way back: offsets in
    the closed text map to the text's own by pieces (step 1 outside runs, 2 inside)."""

    def __init__(self, text: str, runs: list[tuple[int, int]]) -> None:
        parts: list[str] = []
        self.starts: list[int] = []  # piece start in the closed text
        self.origins: list[int] = []  # piece start in the text
        self.steps: list[int] = []
        pos = closed = 0
        for start, end in runs:
            for lo, hi, step in ((pos, start, 1), (start, end, 2)):
                if hi > lo:
                    piece = text[lo:hi:step]
                    parts.append(piece)
                    self.starts.append(closed)
                    self.origins.append(lo)
                    self.steps.append(step)
                    closed += len(piece)
            pos = end
        parts.append(text[pos:])
        self.starts.append(closed)
        self.origins.append(pos)
        self.steps.append(1)
        self.text = "".join(parts)

    def origin(self, offset: int) -> int:
        """Where the character at ``offset`` of the closed text stands in the text."""
        i = bisect_right(self.starts, offset) - 1
        return self.origins[i] + (offset - self.starts[i]) * self.steps[i]


def _windows(text: str, runs: list[tuple[int, int]]) -> list[tuple[int, list[tuple[int, int]], int]]:
    """(start, runs, end) of the parts of ``text`` to close up and analyze: each run with the
    rest of its line, at most _MARGIN characters either side (its label, its context words),
    overlapping parts merged."""
    out: list[tuple[int, list[tuple[int, int]], int]] = []
    for start, end in runs:
        lo = max(text.rfind("\n", max(0, start - _MARGIN), start) + 1, start - _MARGIN, 0)
        line_end = text.find("\n", end, end + _MARGIN)
        hi = min(len(text), end + _MARGIN) if line_end < 0 else line_end
        if out and lo <= out[-1][2]:
            out[-1][1].append((start, end))
            out[-1] = (out[-1][0], out[-1][1], max(hi, out[-1][2]))
        else:
            out.append((lo, [(start, end)], hi))
    return out


def spread_hits(text: str, analyze: Callable[[str], list[Hit]]) -> list[Hit]:
    """Hits that only the closed-up form of ``text``'s spread runs shows, in ``text``'s own
    offsets and characters (``analyze`` finds the hits of a text). Only the lines around the
    runs are analyzed again, not the whole text."""
    windows = _windows(text, spread_runs(text))
    if not windows:
        return []
    closed = [_Closed(text[lo:hi], [(start - lo, end - lo) for start, end in runs])
              for lo, runs, hi in windows]
    # One call for all windows, joined by line breaks (no value or context crosses one).
    bases = list(accumulate((len(c.text) + 1 for c in closed[:-1]), initial=0))
    out: list[Hit] = []
    for entity, start, end, score, _ in analyze("\n".join(c.text for c in closed)):
        i = bisect_right(bases, start) - 1
        lo, piece = windows[i][0], closed[i]
        s = lo + piece.origin(start - bases[i])
        e = lo + piece.origin(end - 1 - bases[i]) + 1
        if e - s != end - start:  # crosses a removed space: not found in the text as it is
            out.append((entity, s, e, score, text[s:e]))
    return out
