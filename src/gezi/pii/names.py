"""Chinese person names without a neural model (pii-anchors.md §5.7).

Signals, strongest first: a table cell under a name column that is exactly a name; a cue word
right before (姓名：, 收件人, 我是) or right after (先生, 小姐, 的電話) a surname + given name;
weaker cues (送貨員, 請, 和 before; 表示, 負責, 回覆 after) with common given-name characters;
a chat speaker label (陳采潔：…); a distinctive double surname (歐陽, 張簡); an item of a list
(、, 和, 與) next to a name; a surname outside the list (邰, 亓官) only as a whole form field
right after a label that names a person and a colon or space (姓名：邰文華，…), scored lower;
without any cue, a listed surname followed by common given-name characters that jieba's
segmentation (dictionary + HMM for unknown words) cuts as a word of its own. jieba is one signal
only: it cuts 林淑芬 down to 淑芬, misses 張志豪 and its dictionary is Simplified, so it is
consulted on the text mapped character by character to Simplified (same length, offsets
unchanged).

Weak signals never take a surname right after a digit (400萬元, 1,000萬以上) nor a candidate that
is a common word (高達, 曾發生 = 曾 + 發生): real prose (regulations, news) has many of those.
"""

from __future__ import annotations

import logging
import os
import re
from functools import cache, lru_cache

from gezi.catalog.loader import load_yaml_model
from gezi.pii.context import ContextIndex
from gezi.pii.registry import NameData, PlacesFile, Recognizer, pii_data_file

SCORE_CUE_BEFORE = 0.85
SCORE_CUE_AFTER = 0.8
SCORE_WEAK_CUE = 0.7
SCORE_CELL = 0.9
SCORE_JIEBA = 0.6
SCORE_WEAK_AFTER = 0.7
SCORE_DOUBLE_SURNAME = 0.7
SCORE_LIST = 0.75
# A surname outside names.yaml right after a person label and a separator (姓名：邰文華): weaker
# evidence than a listed surname with the same cue (SCORE_CUE_BEFORE), above min_score (0.5).
SCORE_UNLISTED = 0.7
# Between a label and its value: spaces, a colon, or an opening bracket (姓名(王大明), 姓名「王大明」).
_SEPARATORS = " \u3000:：\t(（「『【["
_MAX_SEPARATORS = 3  # between a label and its value: 姓名 : 王小明
_PADDING = " \u3000"  # between the two characters of a name aligned with three-character ones
_JIEBA_WINDOW = 6
# A two-character given part this frequent in jieba's dictionary is a word, not a given name:
# 發生 24052, 以上 24969, 美元 5382 — while 建國 (3083) and 文華 (1074) are common names.
_COMMON_WORD_FREQ = 5000
# A short run of Chinese characters opening a line (after an optional [time] stamp) and ending
# in a colon: a speaker label in a chat log.
# It starts with the line break (a pattern starting with ``^`` is tried at every position), so
# it runs on the text with a line break put in front.
_SPEAKER = re.compile(r"\n(?:\[[^\]\n]{1,30}\][ \t]*)?([\u4e00-\u9fff]{2,4})[ \t]*[：:]")


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
        if length == 2 and sl == 1 and text[start + 1] in data.surnames:
            continue  # a surname and its title (請向周小姐洽詢: 周小姐, not 向周)
        if all(_given_ok(ch, data) for ch in text[start + sl : end]):
            return start, end
    return None


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@cache
def _to_simplified() -> dict[int, str]:
    """Traditional → Simplified, one character for one (hanziconv's character map), so offsets
    in the mapped text are offsets in the original."""
    from hanziconv.charmap import simplified_charmap, traditional_charmap

    return str.maketrans(traditional_charmap, simplified_charmap)


def _simplified(text: str) -> str:
    return text.translate(_to_simplified())


def _word_freq(word: str) -> int:
    """jieba's dictionary frequency of ``word`` (0 if it is no word; prefixes have 0 too)."""
    return _jieba().dt.FREQ.get(_simplified(word), 0)


@cache
def _place_names(pii_dir: str | None) -> frozenset[str]:
    """The 22 counties and cities of places.yaml without 縣/市, with 臺 and 台: 高雄, 台北, 新竹
    start with a surname character and are never a person (高雄：晴時多雲)."""
    del pii_dir  # the cache key: GEZI_PII_DIR may replace the file (see registry.pii_data_file)
    counties = load_yaml_model(pii_data_file("places.yaml"), PlacesFile).counties
    stems = {c[:-1] if c[-1] in "縣市" else c for c in counties}
    return frozenset(stems | {c.replace("臺", "台") for c in stems})


def _implausible(text: str, start: int, end: int, sl: int, short_words: bool = True) -> bool:
    """Evidence against a weakly signalled candidate: a surname right after a digit is a unit
    (400萬元, 1,000萬以上), a two-character candidate that is a dictionary word is that word
    (高達, 方法; with ``short_words`` off only before a number: 黃偉、林立 lists two people, 高達2000
    is an amount), a county or city is a place (高雄), and a given part that is a common word is
    that word (曾 + 發生)."""
    if start > 0 and (text[start - 1].isdigit() or text[start - 1] in ",，"):
        return True
    if text[start:end] in _place_names(os.environ.get("GEZI_PII_DIR")):
        return True
    if end - start == 2 and _word_freq(text[start:end]) and (short_words or text[end : end + 1].isdigit()):
        return True
    return end - start - sl == 2 and _word_freq(text[start + sl : end]) >= _COMMON_WORD_FREQ


@lru_cache(maxsize=4096)
def _token_bounds(window: str) -> frozenset[int]:
    """Offsets where jieba (dictionary + HMM for unknown words such as names) starts a token."""
    bounds, offset = set(), 0
    for word in _jieba().lcut(_simplified(window)):
        bounds.add(offset)
        offset += len(word)
    bounds.add(offset)
    return frozenset(bounds)


def forget_name_cuts() -> None:
    """Forget the remembered jieba cuts of text windows."""
    _token_bounds.cache_clear()


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
    if pos > 0 and _word_freq(text[pos - 1 : pos + 1]):
        return None  # the surname character belongs to the word before it (森林, 行李)
    if _word_freq(text[pos : g + 1]) and text[g + 1 : g + 2] not in data.given_name_chars:
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
    """A character that starts a surname, single or double, with a given-name character one or
    two characters on (uncued_name_at needs one right after the surname). A character class
    first lets the regex engine skip through prose; the lookahead drops ~90 % of the surname
    characters of prose (高, 方, 金…) before any Python code sees them."""
    starts = "".join(map(re.escape, sorted(data.surnames | {d[0] for d in data.double_surnames})))
    return re.compile(f"[{starts}](?=[\u4e00-\u9fff]?[{''.join(map(re.escape, sorted(data.given_name_chars)))}])")


def _surname_starts(text: str, pattern: re.Pattern[str], data: NameData):
    """(position, surname length) of the surnames ``pattern`` finds followed by a Chinese
    character, double surnames first, no two overlapping (a double surname's second character
    is not a start)."""
    n = len(text)
    last = 0
    for m in pattern.finditer(text):
        pos = m.start()
        if pos < last:
            continue
        for sl in (2, 1):
            if (text[pos : pos + sl] in data.double_surnames if sl == 2 else text[pos] in data.surnames) \
                    and pos + sl < n and "\u4e00" <= text[pos + sl] <= "\u9fff":
                last = pos + sl
                yield pos, sl
                break


_PATTERNS: dict[int, re.Pattern[str]] = {}


def _common_given(text: str, span: tuple[int, int], data: NameData) -> bool:
    """The given part of ``span`` looks like a given name: common given-name characters, or two
    characters of which one is common (書豪, 妍希: a list of common characters can never be
    complete) and the other does not make a word with its neighbour (歐盟均 is 歐盟 + 均,
    曹傑兩位 is 曹傑 + 兩位)."""
    start, end = span
    sl = _surname_len(text, start, data)
    given = text[start + sl : end]
    first, last = given[0] in data.given_name_chars, given[-1] in data.given_name_chars
    if first and last:
        return True
    if len(given) < 2:
        return False
    if first:
        return not _word_freq(text[end - 1 : end + 1])
    return last and not _word_freq(text[start : start + sl + 1])


def _weak(text: str, span: tuple[int, int] | None, data: NameData) -> tuple[int, int] | None:
    """``span`` if it passes as a weakly signalled name: a plausible given name and no evidence
    against it. A two-character given name that fails is tried with one (江傑強調 → 江傑)."""
    if span is None:
        return None
    start, end = span
    sl = _surname_len(text, start, data)
    if not _common_given(text, span, data):
        if end - start - sl < 2:
            return None
        return _weak(text, (start, end - 1), data)
    return None if _implausible(text, start, end, sl) else span


def _cued(text: str, span: tuple[int, int] | None, data: NameData) -> tuple[int, int] | None:
    """``span`` after a cue (客戶, 會員…) unless its surname and next character make a word and
    the given name is not made of common given-name characters (客戶簡報, 會員方案, 客戶溫度 are
    things; 客戶林立 and 客戶王子豪 are people)."""
    if span is None:
        return None
    start = span[0]
    sl = _surname_len(text, start, data)
    if _common_given(text, span, data) or not _word_freq(text[start : start + sl + 1]):
        return span
    return None


def _label_at(text: str, pos: int) -> bool:
    """Another form label glued on at ``pos`` (電話：, 聯絡電話 0912…, 身分證字號：): up to six
    Chinese characters up to a character that is not Chinese, which jieba cuts into dictionary
    words of two or more characters only."""
    n = len(text)
    end = pos
    while end < n and end - pos < 6 and _is_cjk(text[end]):
        end += 1
    if end - pos < 2 or (end < n and _is_cjk(text[end])):
        return False
    return all(len(word) >= 2 and _word_freq(word) for word in _jieba().lcut(_simplified(text[pos:end])))


def _field_end(text: str, pos: int, ends: set[int]) -> bool:
    """A form field may end at ``pos``: the end of the text, a character that is not Chinese
    (punctuation, space, digit, Latin), a cue or label word (``ends``: 先生, 聯絡人) or another
    label glued on (電話：)."""
    return pos >= len(text) or not _is_cjk(text[pos]) or pos in ends or _label_at(text, pos)


def _unlisted_after_label(text: str, pos: int, data: NameData, ends: set[int]) -> tuple[int, int] | None:
    """A name whose surname is not listed (邰文華, 亓官明) filling a form field at ``pos``, right
    after a label that names a person and a separator (姓名：, 收件人 ): 2–4 Chinese characters
    that may be in a name (no not_name_chars), then the end of the field. Without the surname
    list every other not-a-name signal must agree: only common given-name characters (as for a
    name with no cue), no dictionary word (本人, 未填寫, 不詳, 匿名, 管理員: placeholders and roles
    are words; 客服中心, 本公司: a common word inside), no place (台北). Only the longest candidate
    that ends the field counts."""
    n = len(text)
    end = pos
    while end < n and end - pos < 4 and _given_ok(text[end], data) and (end == pos or end not in ends):
        end += 1
    end = next((e for e in range(end, pos + 1, -1) if _field_end(text, e, ends)), pos)
    if end - pos < 2:
        return None
    if _word_freq(text[pos:end]) or _implausible(text, pos, end, 1):
        return None
    # A single surname (邰 + 文華) or, with three or four characters, a double one (亓官 + 明):
    # the surname is no word (這家, 親子) and every given character is a common one.
    for sl in (1, 2) if end - pos == 3 else (2,) if end - pos == 4 else (1,):
        given = text[pos + sl : end]
        if not _word_freq(text[pos : pos + 2]) and all(ch in data.given_name_chars for ch in given) \
                and (len(given) < 2 or _word_freq(given) < _COMMON_WORD_FREQ):
            return pos, end
    return None


def _list_item(text: str, span: tuple[int, int] | None, data: NameData,
               strong: bool) -> tuple[int, int] | None:
    """A list item next to a name: after 、 any given-name characters will do, after 和, 與, 及
    they must be common ones; a unit after a digit or a common word is never one."""
    if span is None or not strong:
        return _weak(text, span, data)
    return None if _implausible(text, *span, _surname_len(text, span[0], data), short_words=False) else span


def _list_neighbours(text: str, found: dict[tuple[int, int], float], data: NameData,
                     stops: set[int]) -> None:
    """Items of an enumeration next to a name are names too (王小明、李大華、張三豐都到了;
    易以晴和蔣冠霖), followed along the list in both directions."""
    queue = list(found)
    while queue:
        start, end = queue.pop()
        for link, strong in data.list_links:
            candidates = []
            if text.startswith(link, end):
                candidates.append(name_at(text, end + len(link), data, stops))
            if start >= len(link) and text.startswith(link, start - len(link)):
                candidates.append(name_before(text, start - len(link), data, stops))
            for span in candidates:
                span = _list_item(text, span, data, strong)
                if span and span not in found:
                    found[span] = SCORE_LIST if strong else SCORE_WEAK_CUE
                    queue.append(span)


def _padded_name_at(text: str, pos: int, data: NameData, listed_only: bool = True) -> tuple[int, int] | None:
    """A two-character name padded to the width of three with a space between surname and
    given name, as forms and staff lists align names (李　四, 王 明): a surname (``listed_only``
    off: any character a name may hold), one space, one given-name character, then the end of
    the field (no further Chinese character)."""
    n = len(text)
    if pos + 2 >= n or text[pos + 1] not in _PADDING or not _given_ok(text[pos + 2], data):
        return None
    if pos + 3 < n and _is_cjk(text[pos + 3]):
        return None
    if text[pos + 3 : pos + 4] == " " and pos + 4 < n and _is_cjk(text[pos + 4]) \
            and (pos + 5 >= n or not _is_cjk(text[pos + 5])):
        return None  # every character spread apart (王 小 明, as PDF text often is): no padding
    if text[pos] in data.surnames if listed_only else _given_ok(text[pos], data):
        return pos, pos + 3
    return None


def _value_start(text: str, end: int) -> int:
    """Where the value after a label ending at ``end`` starts: past up to _MAX_SEPARATORS."""
    pos = end
    while pos < len(text) and pos - end < _MAX_SEPARATORS and text[pos] in _SEPARATORS:
        pos += 1
    return pos


def detect_names(text: str, rec: Recognizer, ctx: ContextIndex, hinted: bool, data: NameData,
                 use_jieba: bool = True, labelled: bool = False) -> list[tuple[int, int, float]]:
    """(start, end, score) of Chinese names in ``text``; ``hinted``: the text is a column whose
    name suggests names, ``labelled``: one named by a label that names a person only (姓名, 收件人:
    the recognizer's context), whose cells may hold a surname outside the list."""
    found: dict[tuple[int, int], float] = {}
    n = len(text)
    first = data.first_chars
    after = ctx.cues_after(rec.index)
    weak_after_hits = ctx.weak_cues_after(rec.index)
    weak_after = sorted(weak_after_hits.starts()) if weak_after_hits else []
    # A name stops before a cue after it: 王小明先生, 江傑強調 (not 江傑強).
    stops = (after.starts() if after else set()) | set(weak_after)

    def add(span: tuple[int, int] | None, score: float) -> None:
        if span and found.get(span, 0) < score and text[span[0]:span[1]] not in data.not_names \
                and not text.startswith(data.not_name_starts, span[0]):
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
                elif len(stripped) == 3 and _padded_name_at(text, start, data):
                    add((start, start + 3), SCORE_CELL)
                elif labelled and not _surname_len(text, start, data):
                    # A cell under 姓名 fills its field as a value after 姓名： does.
                    span = _unlisted_after_label(text, start, data, set())
                    if span == (start, start + len(stripped)):
                        add(span, SCORE_UNLISTED)
            offset += len(line) + 1
    before = ctx.cues_before(rec.index)
    # Cue words are many (會員, 與, 請…); most are not followed by a surname's first character,
    # which is checked here before any further call.
    for _, end in before.spans if before else ():
        pos = _value_start(text, end)
        # A title right after the label (負責人：董事長, 聯絡人 經理) is no name: the words that
        # follow a name (cues_after) are stops, and one starting here is such a word.
        if pos < n and text[pos] in first and pos not in stops:
            add(_cued(text, name_at(text, pos, data, stops), data) or _padded_name_at(text, pos, data),
                SCORE_CUE_BEFORE)
    labels = ctx.context(rec.index)
    if labels:
        # The recognizer's context words are form labels that name a person (姓名, 收件人):
        # after one and a colon or space, a surname outside the list may fill the field.
        ends = stops | labels.starts() | (before.starts() if before else set())
        for _, end in labels.spans:
            pos = _value_start(text, end)
            if not end < pos < n or not _is_cjk(text[pos]):
                continue
            listed = _surname_len(text, pos, data)
            span = name_at(text, pos, data, stops) if listed else _unlisted_after_label(text, pos, data, ends)
            if span and not listed:
                add(span, SCORE_UNLISTED)
            elif not span and not listed:
                add(_padded_name_at(text, pos, data, listed_only=False), SCORE_UNLISTED)
            # Further names of the field, after a list separator (姓名：王小明、邰文华): a listed
            # surname is followed by _list_neighbours, one outside the list here.
            while span:
                link = next((w for w, strong in data.list_links
                             if strong and text.startswith(w, span[1])), None)
                nxt = span[1] + len(link) if link else n
                if nxt >= n or not _is_cjk(text[nxt]) or _surname_len(text, nxt, data):
                    break
                span = _unlisted_after_label(text, nxt, data, ends)
                add(span, SCORE_UNLISTED)
    weak = ctx.weak_cues_before(rec.index)
    for _, end in weak.spans if weak else ():
        # 跟, 和, 找, 送貨員…: words that often precede a person, and often something else.
        # Judgments and letters set a role and its name apart by one space (告訴人 林美玉).
        if end < n and text[end] in _PADDING and end + 1 < n:
            end += 1
        if end < n and text[end] in first:
            add(_weak(text, name_at(text, end, data, stops), data), SCORE_WEAK_CUE)
    for start, _ in after.spans if after else ():
        # set apart by one space as a signature is (王小明 敬上), or glued (王小明先生)
        gap = 1 if start > 1 and text[start - 1] in _PADDING else 0
        add(name_before(text, start - gap, data, stops), SCORE_CUE_AFTER)
    for start in weak_after:
        add(_weak(text, name_before(text, start, data, stops), data), SCORE_WEAK_AFTER)
    for m in _SPEAKER.finditer("\n" + text):  # offsets in the match are one more than in text
        # A speaker label opening a chat line: 陳采潔：我明天到, [10:01] 王小明: 好, 胡佳：…
        # (_weak keeps out places and words: 高雄：晴, 林口：, 方法：).
        span = name_before(text, m.end(1) - 1, data, stops)
        if span and span[0] == m.start(1) - 1:
            add(_weak(text, span, data), SCORE_WEAK_AFTER)
    doubles = ctx.double_surnames(rec.index)
    for start, end in doubles.spans if doubles else ():
        span = name_at(text, start, data, stops)
        if span and span[1] > end:
            add(span, SCORE_DOUBLE_SURNAME)
    if use_jieba:
        covered = {s for s, _ in found}
        pattern = _PATTERNS.get(id(data))
        if pattern is None:
            pattern = _PATTERNS[id(data)] = _surname_pattern(data)
        for pos, sl in _surname_starts(text, pattern, data):
            if pos in covered:
                continue
            span = uncued_name_at(text, pos, sl, data, stops)
            if span and not _implausible(text, span[0], span[1], sl):
                add(span, SCORE_JIEBA)
    if found:
        _list_neighbours(text, found, data, stops)
    return [(s, e, score) for (s, e), score in found.items()]
