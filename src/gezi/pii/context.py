"""One Aho-Corasick pass over a text finds every context word, negative word and name cue.

Presidio looks up context per hit by scanning tokens (O(hits × tokens)) and never fires on
single-character Chinese tokens; here all words of all recognizers are matched in one pass
(an Aho-Corasick DFA), then each hit asks "is there a word of mine within N characters?" by bisection.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from gezi.pii.patterns import common_fullwidth_in
from gezi.pii.registry import (
    CONTEXT,
    CONTEXT_AFTER,
    CUE_AFTER,
    CUE_BEFORE,
    DOUBLE_SURNAME,
    FULLWIDTH_KEY,
    NEGATIVE,
    WEAK_CUE_AFTER,
    WEAK_CUE_BEFORE,
    Registry,
)


def is_latin_letter(ch: str) -> bool:
    """A letter of the Latin alphabet, half- or full-width."""
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
            self._index()
        i = bisect_left(self._ends, start - before)
        if i < len(self._ends) and self._ends[i] <= start:
            return True
        return bool(after) and self.follows(end, after)

    def follows(self, end: int, after: int) -> bool:
        """A word starts within ``after`` chars after ``end``."""
        if self._starts is None:
            self._index()
        j = bisect_left(self._starts, end)
        return j < len(self._starts) and self._starts[j] <= end + after

    def _index(self) -> None:
        self._ends = [e for _, e in self.spans]
        self._starts = sorted(s for s, _ in self.spans)

    def starts(self) -> set[int]:
        """Start offsets as a set."""
        return {s for s, _ in self.spans}


class ContextIndex:
    """Word hits of one text, per recognizer and role."""

    def __init__(self, registry: Registry, text: str) -> None:
        self._text = text
        n = len(text)
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        automaton = registry.ascii_automaton if text.isascii() else registry.automaton
        for start, end, is_ascii, keys in automaton.find(text) if automaton else ():
            # ASCII words match whole words only ("IP" not inside "SHIP", "tel" not in "hotel").
            if is_ascii and ((start > 0 and is_latin_letter(text[start - 1]))
                             or (end < n and is_latin_letter(text[end]))):
                continue
            span = (start, end)
            for key in keys:
                found = spans.get(key)
                if found is None:
                    spans[key] = [span]
                else:
                    found.append(span)
        self._hits = {key: WordHits(found) for key, found in spans.items()}

    def clamp(self, start: int, end: int, before: int, after: int) -> tuple[int, int]:
        """Context windows cut at line breaks: a context word counts only on the value's own
        line (or table cell), so 生日 on one chat line does not make the next line's
        timestamp a birth date."""
        newline = self._text.rfind("\n", max(0, start - before), start)
        if newline >= 0:
            before = start - newline - 1
        if after:
            newline = self._text.find("\n", end, end + after)
            if newline >= 0:
                after = newline - end
        return before, after

    def fullwidth(self) -> frozenset[str]:
        """The full-width forms of ASCII characters in the text (as patterns.fullwidth_in)."""
        if self._text.isascii():
            return frozenset()
        rare = self._hits.get(FULLWIDTH_KEY)
        found = common_fullwidth_in(self._text)
        return found | {self._text[s] for s, _ in rare.spans} if rare else found

    def context(self, index: int) -> WordHits | None:
        return self._hits.get((index, CONTEXT))

    def context_after(self, index: int) -> WordHits | None:
        return self._hits.get((index, CONTEXT_AFTER))

    def negative(self, index: int) -> WordHits | None:
        return self._hits.get((index, NEGATIVE))

    def cues_before(self, index: int) -> WordHits | None:
        return self._hits.get((index, CUE_BEFORE))

    def weak_cues_before(self, index: int) -> WordHits | None:
        return self._hits.get((index, WEAK_CUE_BEFORE))

    def cues_after(self, index: int) -> WordHits | None:
        return self._hits.get((index, CUE_AFTER))

    def weak_cues_after(self, index: int) -> WordHits | None:
        return self._hits.get((index, WEAK_CUE_AFTER))

    def double_surnames(self, index: int) -> WordHits | None:
        return self._hits.get((index, DOUBLE_SURNAME))
