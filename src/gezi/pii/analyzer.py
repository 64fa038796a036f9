"""Find personal data in one text: every recognizer of the registry, scored by evidence.

Evidence: the pattern, the validator (checksum), context words within a window before or after
(one Aho-Corasick pass, see gezi.pii.context), negative context words, the column name. Values
glued to Chinese text are found (boundaries are lookarounds on ASCII letters and digits, never
``\\b``), full-width forms match (patterns are widened at compile time, see gezi.pii.patterns)
and offsets are code-point offsets into the text as given.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from itertools import accumulate

from gezi.pii.context import ContextIndex, is_latin_letter
from gezi.pii.names import detect_names, forget_name_cuts
from gezi.pii.patterns import fullwidth_in
from gezi.pii.percent import encoded_hits, holds_encoded_text
from gezi.pii.registry import Recognizer, Registry, get_registry, unspread
from gezi.pii.spread import spread_hits
from gezi.pii.validators import forget_phone_verdicts

Hit = tuple[str, int, int, float, str]  # (entity, start, end, score, value)

# Longest value a context-required pattern can match: windows around context words are this
# much wider, then stretched to the end of the current token so no value is cut short.
_MAX_VALUE = 48
_TOKEN_CHARS = frozenset("0123456789-() ０１２３４５６７８９－（）\u3000")
# A run of _TOKEN_CHARS and letters or digits (str.isalnum is [^\W_] in a str pattern).
_TOKEN_RUN = re.compile("(?:[" + re.escape("".join(sorted(_TOKEN_CHARS))) + r"]|[^\W_])*")


def _windows(ctx: ContextIndex, rec: Recognizer, text: str) -> list[tuple[int, int]]:
    """Windows around the context words of a context-required recognizer, and before its
    context_after words (a value ends right where such a word starts)."""
    hits, after = ctx.context(rec.index), ctx.context_after(rec.index)
    if hits is None and after is None:
        return []
    n = len(text)
    windows: list[tuple[int, int]] = []
    for start, end in hits.spans if hits else ():
        lo = max(0, start - rec.window_after - _MAX_VALUE)
        hi = min(n, end + rec.window_before + _MAX_VALUE)
        windows.append((lo, _token_end(text, hi, min(n, hi + _MAX_VALUE))))
    ends = rec.ends_with
    for start, _ in after.spans if after else ():
        if start and (ends is None or ends.match(text, start - 1)):
            lo = max(0, start - _MAX_VALUE)
            floor = max(0, lo - _MAX_VALUE)
            while lo > floor and (text[lo - 1] in _TOKEN_CHARS or text[lo - 1].isalnum()):
                lo -= 1  # not into the middle of a value
            windows.append((lo, start))
    if after:
        windows.sort()
    spans: list[tuple[int, int]] = []
    for lo, hi in windows:
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


def _token_end(text: str, hi: int, stop: int) -> int:
    """``hi`` moved on to the end of the token it falls in (no value is cut short)."""
    return _TOKEN_RUN.match(text, hi, stop).end()  # type: ignore[union-attr]  # * always matches


_BOUNDARY = frozenset(" \t\n\r\u3000,.;:!?()[]{}<>\"'，。；：！？（）「」『』【】、")
_STRETCH = 32


def _anchor_windows(rec: Recognizer, text: str, fw: frozenset[str]) -> list[tuple[int, int]]:
    """Windows around the anchor's matches, stretched to a boundary on both sides, so the
    patterns see each value whole (the same matches as a scan of the full text)."""
    assert rec.anchor is not None
    before, after = rec.spec.anchor_window
    n = len(text)
    spans: list[tuple[int, int]] = []
    for m in rec.anchor.for_text(fw).finditer(text):
        lo, hi = max(0, m.start() - before), min(n, m.end() + after)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
            continue
        floor = max(0, lo - _STRETCH) if rec.spec.anchor_stretch else lo
        while lo > floor and text[lo - 1] not in _BOUNDARY:
            lo -= 1
        spans.append((lo, hi))
    if not rec.spec.anchor_stretch:
        return spans
    out = []
    for lo, hi in spans:
        ceiling = min(n, hi + _STRETCH)
        while hi < ceiling and text[hi] not in _BOUNDARY:
            hi += 1
        out.append((lo, hi))
    return out


_RUN_BEFORE = 3  # characters a digit_run value may have before its digits (AB-12345678)
# Between an ID's letter and its digits (A 123456789). Not a hyphen: host names such as
# ip-10-77-20-248 fill server logs, and each would open a window.
_LETTER_GAP = frozenset(" \u3000")


class _DigitRuns:
    """The long digit runs of one text (registry.digit_runs), found on first use."""

    def __init__(self, registry: Registry, text: str, fw: frozenset[str]) -> None:
        self._registry = registry
        self._text = text
        self._fw = fw
        self._runs: list[tuple[int, int]] | None = None
        self._after_letter: list[tuple[int, int]] | None = None

    def windows(self, shortest: int, after_letter: bool = False) -> list[tuple[int, int]]:
        """Windows around the runs of at least ``shortest`` digits (``after_letter``: only
        runs right after a Latin letter), with the characters a value may have before them
        and one after (for the patterns' lookahead)."""
        text = self._text
        if self._runs is None:
            assert self._registry.digit_runs is not None
            finder = self._registry.digit_runs.for_text(self._fw)
            self._runs = [m.span() for m in finder.finditer(text)]
        runs = self._runs
        if after_letter:  # few runs follow a letter (A123456789), even in a log full of digits
            if self._after_letter is None:
                # The letter may stand one space away (A 123456789).
                self._after_letter = [(start, end) for start, end in runs if start and (
                    is_latin_letter(text[start - 1]) or (start > 1 and text[start - 1] in _LETTER_GAP
                                                         and is_latin_letter(text[start - 2])))]
            runs = self._after_letter
        spans: list[tuple[int, int]] = []
        for start, end in runs:
            if end - start < shortest:  # fewer characters, so fewer digits
                continue
            lo, hi = max(0, start - _RUN_BEFORE), min(len(text), end + 1)
            if spans and lo <= spans[-1][1]:
                spans[-1] = (spans[-1][0], hi)
            else:
                spans.append((lo, hi))
        return spans


# Characters of real text a piece keeps before its window: the patterns' lookbehinds (at most
# two characters) see the real neighbours, as they do when searching the text from a position.
_MARGIN = 2
# Windows covering more than this share of the text: scan the text itself rather than a copy
# (a copy costs ~1 ns a character, a pattern pass 3–30 ns).
_WHOLE = 0.9


class _Pieces:
    """The windows of one text, scanned by each pattern in one call instead of one call
    (~1 µs) per window: joined by line breaks into one string when they are a small part of
    the text, else the text itself with the matches outside the windows dropped.

    The matches are those of a search of each window alone (``finditer(text, lo, hi)``). No
    pattern matches across a line break, so a match in the joined string lies within one
    piece and the break after a piece ends it as the window's end would; a joined piece keeps
    a margin of real text before its window, so lookbehinds see the real neighbours. A match
    that starts before a window (in the margin, or between windows) and reaches into it, or
    runs past a window's end, is found again by a search of that window alone.
    """

    def __init__(self, text: str, windows: list[tuple[int, int]], direct: bool = False) -> None:
        self.windows = windows
        self.whole = windows == [(0, len(text))]  # one window, all of the text
        # ``direct``: each window searched on its own (~0.4 µs a window), cheaper than the
        # joined string's bookkeeping (~1.5 µs a match) when most windows hold a match, as
        # the windows around an anchor do (an IP's dots).
        self.direct = direct and not self.whole
        if self.direct:
            self.text = text
            return
        if sum(hi - lo for lo, hi in windows) > len(text) * _WHOLE:
            self.text = text
            self.starts = [lo for lo, _ in windows]
            self.shifts = [0] * len(windows)
            return
        parts: list[str] = []
        self.starts, self.shifts = [], []
        pos = 0
        for lo, hi in windows:
            begin = max(0, lo - _MARGIN)
            parts.append(text[begin:hi])
            self.starts.append(pos)
            self.shifts.append(begin - pos)
            pos += hi - begin + 1
        self.text = "\n".join(parts)

    def windows_with(self, pattern: re.Pattern[str]) -> list[int]:
        """The windows in which ``pattern`` matches somewhere (a cheap test such as one
        character, run once over all windows instead of once per window)."""
        if self.direct:
            search = pattern.search
            return [i for i, (lo, hi) in enumerate(self.windows) if search(self.text, lo, hi)]
        found: set[int] = set()
        for m in pattern.finditer(self.text):
            i = bisect_right(self.starts, m.start()) - 1
            if i >= 0 and self.windows[i][0] <= m.start() + self.shifts[i] < self.windows[i][1]:
                found.add(i)
        return sorted(found)

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str], int]]:
        """(window, match, shift) of the pattern's matches in the windows, the same as
        ``pattern.finditer(text, lo, hi)`` for each window; the match's offsets plus ``shift``
        are offsets in the text."""
        if self.whole:
            yield from ((0, m, 0) for m in pattern.finditer(self.text))
            return
        if self.direct:
            search, text = pattern.search, self.text
            for i, (lo, hi) in enumerate(self.windows):
                m = search(text, lo, hi)
                while m is not None:  # as finditer(text, lo, hi): no pattern matches empty
                    yield i, m, 0
                    m = search(text, m.end(), hi)
            return
        windows, starts, shifts = self.windows, self.starts, self.shifts
        redo: dict[int, int] = {}  # window → where a search of that window alone resumes
        ends: dict[int, int] = {}
        for m in pattern.finditer(self.text):
            start = m.start()
            i = bisect_right(starts, start) - 1
            if i >= 0:
                lo, hi = windows[i]
                shift = shifts[i]
                if lo <= start + shift < hi:
                    if i not in redo:
                        if m.end() + shift <= hi:
                            ends[i] = m.end()
                            yield i, m, shift
                            continue
                        # Past the window's end (only when scanning the text itself).
                        redo[i] = ends.get(i, lo - shift)
                    j = i + 1
                else:
                    j = i if start + shift < lo else i + 1
            else:
                j = 0
            # Windows this match ran into are searched on their own.
            while j < len(windows) and m.end() + shifts[j] > windows[j][0]:
                redo.setdefault(j, windows[j][0] - shifts[j])
                j += 1
        for j, pos in sorted(redo.items()):
            end = windows[j][1] - shifts[j]
            yield from ((j, m, shifts[j]) for m in pattern.finditer(self.text, pos, end))


def _scorer(rec: Recognizer, ctx: ContextIndex, hinted: bool,
            negated: bool) -> Callable[[str, int, int, float], Hit | None]:
    """Score function for the matches of one recognizer in one text (None: not reported).

    Context and negative word hits are looked up once per text, not per match, and a
    recognizer with no such word in the text skips the window arithmetic altogether.
    """
    spec = rec.spec
    entity, index = rec.entity, rec.index
    validates = rec.validates if spec.validator else None
    validated = spec.validated_score
    ctx_hits, neg, after_hits = ctx.context(index), ctx.negative(index), ctx.context_after(index)
    words = ctx_hits is not None or neg is not None or after_hits is not None
    required = spec.context_required and not hinted
    boost, column_boost, penalty = spec.context_boost, spec.column_boost, spec.negative_penalty
    min_score, window_before, window_after = spec.min_score, rec.window_before, rec.window_after
    clamp = _unclamped if spec.context_across_lines else ctx.clamp

    def score(value: str, start: int, end: int, base: float) -> Hit | None:
        if validates is not None:
            if not validates(value):
                return None
            if validated is not None and validated > base:
                base = validated
        has_context = near_negative = False
        if words:
            # Most values have no word near even before the windows are cut at line breaks.
            has_context = ctx_hits is not None and ctx_hits.near(start, end, window_before, window_after)
            if not has_context and after_hits is not None:
                has_context = after_hits.follows(end, 0)
            near_negative = neg is not None and neg.near(start, end, window_before, window_after)
            if has_context or near_negative:
                before, after = clamp(start, end, window_before, window_after)
                has_context = has_context and (
                    (ctx_hits is not None and ctx_hits.near(start, end, before, after))
                    or (after_hits is not None and after_hits.follows(end, 0)))
                near_negative = near_negative and neg.near(start, end, before, after)
        if required and not has_context:
            return None
        key = (base, has_context, near_negative)
        value_score = final.get(key)
        if value_score is None:
            value_score = final[key] = _final_score(base, has_context, near_negative)
        return (entity, start, end, value_score, value) if value_score >= min_score else None

    def _final_score(base: float, has_context: bool, near_negative: bool) -> float:
        value_score = base
        if has_context:
            value_score += boost
        if hinted:
            value_score += column_boost
        if negated or near_negative:
            value_score -= penalty
        return round(min(1.0, max(0.0, value_score)), 2)

    final: dict[tuple[float, bool, bool], float] = {}  # a handful of combinations per text
    return score


def _unclamped(start: int, end: int, before: int, after: int) -> tuple[int, int]:
    return before, after


def _pattern_hits(rec: Recognizer, ctx: ContextIndex, text: str, hinted: bool,
                  negated: bool = False, runs: _DigitRuns | None = None,
                  fw: frozenset[str] | None = None) -> list[Hit]:
    """The scored matches of a pattern recognizer's patterns; ``fw``: the full-width
    characters the text holds (patterns.fullwidth_in), which decide the patterns' version."""
    fw = fullwidth_in(text) if fw is None else fw
    if rec.spec.context_required and not hinted:
        spans = _windows(ctx, rec, text)
    elif rec.anchor is not None:
        spans = _anchor_windows(rec, text, fw)
    elif rec.spec.digit_run and runs is not None:
        spans = runs.windows(rec.spec.digit_run, rec.spec.digit_run_after_letter)
    else:
        spans = [(0, len(text))]
    if not spans:
        return []
    hits: list[Hit] = []
    score = None  # made on the first match: most short texts (a table cell) have none
    first_wins = rec.spec.first_pattern_wins
    direct = rec.anchor is not None and not (rec.spec.context_required and not hinted)
    pieces = None if spans == [(0, len(text))] and not first_wins else _Pieces(text, spans, direct)
    for compiled, base, needs in rec.patterns:
        if not spans:
            break
        pattern = compiled.for_text(fw)
        if pieces is None and needs is None:  # the common case, kept lean
            for m in pattern.finditer(text):
                score = score or _scorer(rec, ctx, hinted, negated)
                if (hit := score(m.group(), m.start(), m.end(), base)) is not None:
                    hits.append(hit)
            continue
        scan = pieces = pieces or _Pieces(text, spans, direct)
        index = None
        if needs is not None:  # a pattern's own requires: scan only the windows that have it
            index = pieces.windows_with(needs)
            if not index:
                continue
            scan = _Pieces(text, [spans[i] for i in index], direct)
        matched: dict[int, list[tuple[int, int]]] = {}  # only first_pattern_wins needs it
        for i, m, shift in scan.finditer(pattern):
            start, end = m.start() + shift, m.end() + shift
            if first_wins:
                matched.setdefault(i if index is None else index[i], []).append((start, end))
            score = score or _scorer(rec, ctx, hinted, negated)
            if (hit := score(m.group(), start, end, base)) is not None:
                hits.append(hit)
        if first_wins and matched:
            # A later (less specific) pattern sees only what earlier ones left of a window,
            # and only the parts that still hold an anchor (a second address on the line).
            spans = _leftovers(text, rec, spans, matched, fw)
            pieces = _Pieces(text, spans, direct)
    return hits


def _leftovers(text: str, rec: Recognizer, spans: list[tuple[int, int]],
               matched: dict[int, list[tuple[int, int]]], fw: frozenset[str]) -> list[tuple[int, int]]:
    """The windows with the matched parts taken out; parts without an anchor are dropped."""
    anchor = rec.anchor.for_text(fw) if rec.anchor else None
    out: list[tuple[int, int]] = []
    for i, (lo, hi) in enumerate(spans):
        taken = matched.get(i)
        if taken is None:
            out.append((lo, hi))
            continue
        for start, end in [*sorted(taken), (hi, hi)]:
            if start > lo and (anchor is None or anchor.search(text, lo, start)):
                out.append((lo, start))
            lo = max(lo, end)
    return out


def _priority(hit: Hit) -> tuple[float, int, int]:
    return -hit[3], hit[1] - hit[2], hit[1]


def _best_of(group: list[Hit]) -> list[Hit]:
    """Greedy by priority: a hit is kept unless it overlaps one already kept."""
    starts: list[int] = []
    kept: list[Hit] = []
    for hit in sorted(group, key=_priority):
        i = bisect_left(starts, hit[1])
        if i > 0 and kept[i - 1][2] > hit[1]:
            continue
        if i < len(kept) and kept[i][1] < hit[2]:
            continue
        starts.insert(i, hit[1])
        kept.insert(i, hit)
    return kept


def _settle(hits: list[Hit], group: list[int]) -> list[Hit]:
    """The kept hits of one group of chained overlaps (indexes into ``hits``)."""
    if len(group) == 1:
        return [hits[group[0]]]
    return _best_of([hits[i] for i in sorted(group)])  # input order, as a stable sort needs


def resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Keep the best of overlapping hits (higher score, then longer), sorted by start.

    Hits are cut into groups that overlap in a chain; a kept hit can only shut out hits of
    its own group, so each group is settled on its own (most are a single hit), which keeps
    a batch of a million characters with tens of thousands of hits linear, not quadratic.
    """
    kept: list[Hit] = []
    group: list[int] = []
    reach = -1
    for i in sorted(range(len(hits)), key=lambda i: hits[i][1]):
        if group and hits[i][1] >= reach:
            kept.extend(_settle(hits, group))
            group = []
        group.append(i)
        reach = max(reach, hits[i][2])
    if group:
        kept.extend(_settle(hits, group))
    return kept


def analyze_text(text: str, entities: set[str] | None = None, column: str | None = None,
                 registry: Registry | None = None) -> list[Hit]:
    """All personal data in ``text`` as (entity, start, end, score, value), sorted by start.

    ``entities`` limits the entity types; ``column`` is the column name or key the text came
    from (a telling name raises scores and lets context-dependent entities fire).
    Context words count only on the value's own line. Percent-encoded text in URLs
    (``?name=%E7%8E%8B…``) is decoded and searched too; such hits keep the encoded offsets.
    Text spread apart one character at a time (王 小 明, PDF text) is closed up and searched
    too; such hits keep the spread offsets and values.
    """
    hits = _analyze(text, entities, column, registry)
    spread = spread_hits(text, lambda closed: _analyze(closed, entities, column, registry))
    if spread:
        hits = resolve_overlaps(hits + spread)
    if holds_encoded_text(text):
        taken = [(s, e) for _, s, e, _, _ in hits]
        hits = resolve_overlaps(hits + [
            hit for hit in encoded_hits(text, lambda decoded, key: _analyze(
                decoded, entities, key or column, registry))
            if not any(s < hit[2] and hit[1] < e for s, e in taken)])
    return hits


def _analyze(text: str, entities: set[str] | None, column: str | None,
             registry: Registry | None) -> list[Hit]:
    if not text:
        return []
    reg = registry or get_registry()
    recs = reg.recognizers if entities is None else [r for r in reg.recognizers
                                                      if r.entity in entities]
    if not recs:
        return []
    hinted = reg.column_matches(column)
    negated = reg.column_matches(column, negative=True)
    ctx = ContextIndex(reg, text)
    fw = ctx.fullwidth()
    runs = _DigitRuns(reg, text, fw) if reg.digit_runs is not None else None
    hits: list[Hit] = []
    present: dict[int, bool] = {}
    for rec in recs:
        requires = rec.requires
        if requires is not None:
            ok = present.get(id(requires))
            if ok is None:
                ok = present[id(requires)] = requires.for_text(fw).search(text) is not None
            if not ok:
                continue
        spec = rec.spec
        if (spec.context_required and rec.index not in hinted and ctx.context(rec.index) is None
                and ctx.context_after(rec.index) is None):
            continue  # nothing to say it is this entity: skip all its patterns
        if spec.kind == "chinese_name":
            if text.isascii():
                continue  # a Chinese name needs Chinese characters (logs are often all ASCII)
            label_text = unspread(column) if column is not None else None
            labelled = label_text is not None and any(label in label_text for label in spec.context)
            hits.extend((rec.entity, s, e, score, text[s:e]) for s, e, score in
                        detect_names(text, rec, ctx, rec.index in hinted, reg.names,
                                     labelled=labelled)
                        if score >= rec.spec.min_score)
        else:
            hits.extend(_pattern_hits(rec, ctx, text, rec.index in hinted,
                                      rec.index in negated, runs, fw))
    return resolve_overlaps(hits)


def analyze_segments(segments: list[str], entities: set[str] | None = None,
                     column: str | None = None, isolate: bool = True) -> list[tuple[int, Hit]]:
    """Analyze many short texts (lines of a file, cells of one column) in one pass.

    Returns (segment index, hit) with offsets inside the segment. Joining the segments with
    line breaks amortizes the per-call work; no pattern matches across a line break.
    Context words never reach across segments (context stops at line breaks; only a
    recognizer with ``context_across_lines``, a letter's sign-off above the writer's name,
    looks at the segments before), so ``isolate`` is always in effect; the parameter is
    accepted for callers that pass it.
    """
    if not segments:
        return []
    if len(segments) == 1:  # a block of a text file: nothing to map back
        return [(0, hit) for hit in analyze_text(segments[0], entities, column)]
    joined = "\n".join(segments)
    starts = [0, *accumulate(len(seg) + 1 for seg in segments[:-1])]
    out: list[tuple[int, Hit]] = []
    for entity, start, end, score, value in analyze_text(joined, entities, column):
        i = bisect_right(starts, start) - 1
        base = starts[i]
        if end - base > len(segments[i]):
            continue
        out.append((i, (entity, start - base, end - base, score, value)))
    return out


def hits_per_segment(segments: list[str], entities: set[str] | None = None,
                     column: str | None = None) -> list[list[Hit]]:
    """The hits of each segment, as analyze_segments finds them: one list per segment."""
    out: list[list[Hit]] = [[] for _ in segments]
    for i, hit in analyze_segments(segments, entities, column):
        out[i].append(hit)
    return out


def forget_remembered() -> None:
    """Forget the validator verdicts and jieba cuts remembered across texts (a benchmark that
    times the same text twice would otherwise time the second run with every lookup cached)."""
    for rec in get_registry().recognizers:
        rec.forget_verdicts()
    forget_name_cuts()
    forget_phone_verdicts()
