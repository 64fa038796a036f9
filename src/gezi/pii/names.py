"""Chinese person names without a neural model (pii-anchors.md §5.7).

Signals, strongest first: a table cell under a name column that is exactly a name; a cue word
right before (姓名：, 收件人, 我是) or right after (先生, 小姐, 的電話) a surname + given name;
without a cue, a listed surname followed by common given-name characters that jieba's
segmentation (dictionary + HMM for unknown words) cuts as a word of its own. jieba is one signal
only: it cuts 林淑芬 down to 淑芬, misses 張志豪 and its dictionary is mostly Simplified.
"""

from __future__ import annotations

import logging
import re
from functools import cache, lru_cache

from gezi.pii.context import ContextIndex
from gezi.pii.registry import NameData, Recognizer

SCORE_CUE_BEFORE = 0.85
SCORE_CUE_AFTER = 0.8
SCORE_WEAK_CUE = 0.7
SCORE_CELL = 0.9
SCORE_JIEBA = 0.6
_SEPARATORS = " \u3000:：\t"
_JIEBA_WINDOW = 6


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _given_ok(ch: str, data: NameData) -> bool:
    return _is_cjk(ch) and ch not in data.not_name_chars


def _surname_len(text: str, pos: int, data: NameData) -> int:
    if text[pos : pos + 2] in data.double_surnames:
        return 2
    return 1 if pos < len(text) and text[pos] in data.surnames else 0


def name_at(text: str, pos: int, data: NameData, stops: set[int]) -> tuple[int, int] | None:
    """A surname + 1–2 given characters starting at ``pos``, stopping before a cue word."""
    sl = _surname_len(text, pos, data)
    if not sl:
        return None
    end = pos + sl
    while end - pos - sl < 2 and end < len(text) and end not in stops and _given_ok(text[end], data):
        end += 1
    return (pos, end) if end > pos + sl else None


def name_before(text: str, end: int, data: NameData, stops: set[int]) -> tuple[int, int] | None:
    """A name ending at ``end`` (right before a cue such as 先生): 4, 3 then 2 characters.
    A cue inside the candidate (王小姐您好) means it is a title, not a given name."""
    for length in (4, 3, 2):
        start = end - length
        if start < 0:
            continue
        sl = _surname_len(text, start, data)
        if not sl or not 1 <= length - sl <= 2 or any(i in stops for i in range(start + sl, end)):
            continue
        if all(_given_ok(ch, data) for ch in text[start + sl : end]):
            return start, end
    return None


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=4096)
def _token_bounds(window: str) -> frozenset[int]:
    """Offsets where jieba (dictionary + HMM for unknown words such as names) starts a token."""
    bounds, offset = set(), 0
    for word in _jieba().lcut(window):
        bounds.add(offset)
        offset += len(word)
    bounds.add(offset)
    return frozenset(bounds)


def uncued_name_at(text: str, pos: int, sl: int, data: NameData,
                   stops: set[int]) -> tuple[int, int] | None:
    """A name with no cue around it: surname + one or two common given-name characters, not
    part of a dictionary word (森林, 如何, 方法), and cut exactly there by jieba. A two-character
    name must also be followed by a non-Chinese character, so a brand or word that starts with
    a surname (王品餐券) is not taken for a name."""
    g = pos + sl
    n = len(text)
    if g >= n or text[g] not in data.given_name_chars:
        return None
    jb = _jieba()
    if pos > 0 and text[pos - 1 : pos + 1] in jb.dt.FREQ:
        return None  # the surname character belongs to the word before it (森林, 行李)
    if jb.dt.FREQ.get(text[pos : g + 1]) and text[g + 1 : g + 2] not in data.given_name_chars:
        return None  # a dictionary word such as 方法, 高手
    lo = max(0, pos - _JIEBA_WINDOW)
    bounds = _token_bounds(text[lo : g + 2 + _JIEBA_WINDOW])
    if pos - lo not in bounds:
        return None
    if g + 1 < n and g + 1 not in stops and text[g + 1] in data.given_name_chars \
            and g + 2 - lo in bounds:
        return pos, g + 2
    if g + 1 - lo in bounds and (g + 1 >= n or not _is_cjk(text[g + 1])):
        return pos, g + 1
    return None


def _surname_pattern(data: NameData) -> re.Pattern[str]:
    doubles = "|".join(sorted(data.double_surnames, key=len, reverse=True))
    singles = "".join(sorted(data.surnames))
    return re.compile(f"(?:{doubles}|[{singles}])(?=[\u4e00-\u9fff])")


_PATTERNS: dict[int, re.Pattern[str]] = {}


def detect_names(text: str, rec: Recognizer, ctx: ContextIndex, hinted: bool, data: NameData,
                 use_jieba: bool = True) -> list[tuple[int, int, float]]:
    """(start, end, score) of Chinese names in ``text``."""
    found: dict[tuple[int, int], float] = {}
    after = ctx.cues_after(rec.index)
    stops = after.starts() if after else set()

    def add(span: tuple[int, int] | None, score: float) -> None:
        if span and found.get(span, 0) < score:
            found[span] = score

    if hinted:
        # Under a name column, a cell (one line) that is exactly a name is one.
        offset = 0
        for line in text.split("\n"):
            stripped = line.strip()
            if 2 <= len(stripped) <= 4:
                start = offset + line.index(stripped)
                span = name_at(text, start, data, set())
                if span == (start, start + len(stripped)):
                    add(span, SCORE_CELL)
            offset += len(line) + 1
    before = ctx.cues_before(rec.index)
    for _, end in before.spans if before else ():
        pos = end
        while pos < len(text) and pos - end < 2 and text[pos] in _SEPARATORS:
            pos += 1
        if pos < len(text):
            add(name_at(text, pos, data, stops), SCORE_CUE_BEFORE)
    weak = ctx.weak_cues_before(rec.index)
    for _, end in weak.spans if weak else ():
        # 跟, 和, 找…: words that often precede a person, and often something else, so the given
        # name must be made of common given-name characters.
        span = name_at(text, end, data, stops)
        if span and all(ch in data.given_name_chars for ch in
                        text[span[0] + _surname_len(text, span[0], data) : span[1]]):
            add(span, SCORE_WEAK_CUE)
    for start, _ in after.spans if after else ():
        add(name_before(text, start, data, stops), SCORE_CUE_AFTER)
    if use_jieba:
        covered = {s for s, _ in found}
        pattern = _PATTERNS.get(id(data))
        if pattern is None:
            pattern = _PATTERNS[id(data)] = _surname_pattern(data)
        for m in pattern.finditer(text):
            pos = m.start()
            if pos in covered:
                continue
            add(uncued_name_at(text, pos, m.end() - pos, data, stops), SCORE_JIEBA)
    return [(s, e, score) for (s, e), score in found.items()]
