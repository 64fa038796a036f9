"""One Aho-Corasick pass over a text finds every context word, negative word and name cue.

Presidio looks up context per hit by scanning tokens (O(hits × tokens)) and never fires on
single-character Chinese tokens; here all words of all recognizers are matched in one pass
(C speed), then each hit asks "is there a word of mine within N characters?" by bisection.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from gezi.pii.registry import CONTEXT, CUE_AFTER, CUE_BEFORE, NEGATIVE, Registry


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and (ch.isascii() or "\uff21" <= ch <= "\uff5a")


@dataclass
class WordHits:
    """Start and end offsets of the words of one role for one recognizer."""

    spans: list[tuple[int, int]] = field(default_factory=list)
    _ends: list[int] | None = None
    _starts: list[int] | None = None

    def near(self, start: int, end: int, before: int, after: int) -> bool:
        """A word ends within ``before`` chars before ``start`` or starts within ``after``
        chars after ``end``."""
        if self._ends is None:
            self._ends = [e for _, e in self.spans]
            self._starts = sorted(s for s, _ in self.spans)
        i = bisect_left(self._ends, start - before)
        if i < len(self._ends) and self._ends[i] <= start:
            return True
        if after:
            j = bisect_left(self._starts, end)
            if j < len(self._starts) and self._starts[j] <= end + after:
                return True
        return False

    def starts(self) -> set[int]:
        """Start offsets as a set."""
        return {s for s, _ in self.spans}


class ContextIndex:
    """Word hits of one text, per recognizer and role."""

    def __init__(self, registry: Registry, text: str,
                 segment_starts: list[int] | None = None) -> None:
        self._segments = segment_starts
        n = self._length = len(text)
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for last, (length, is_ascii, keys) in registry.automaton.iter(text):
            start = last - length + 1
            # ASCII words match whole words only ("IP" not inside "SHIP", "tel" not in "hotel").
            if is_ascii and ((start > 0 and _is_latin_letter(text[start - 1]))
                             or (last + 1 < n and _is_latin_letter(text[last + 1]))):
                continue
            span = (start, last + 1)
            for key in keys:
                found = spans.get(key)
                if found is None:
                    spans[key] = [span]
                else:
                    found.append(span)
        self._hits = {key: WordHits(found) for key, found in spans.items()}

    def clamp(self, start: int, end: int, before: int, after: int) -> tuple[int, int]:
        """Context windows cut at the edges of the segment holding [start, end)."""
        if self._segments is None:
            return before, after
        i = bisect_right(self._segments, start) - 1
        seg_start = self._segments[i]
        seg_end = self._segments[i + 1] - 1 if i + 1 < len(self._segments) else self._length
        return min(before, start - seg_start), max(0, min(after, seg_end - end))

    def context(self, index: int) -> WordHits | None:
        return self._hits.get((index, CONTEXT))

    def negative(self, index: int) -> WordHits | None:
        return self._hits.get((index, NEGATIVE))

    def cues_before(self, index: int) -> WordHits | None:
        return self._hits.get((index, CUE_BEFORE))

    def cues_after(self, index: int) -> WordHits | None:
        return self._hits.get((index, CUE_AFTER))
