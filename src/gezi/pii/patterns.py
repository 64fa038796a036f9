"""Compile recognizer regexes so they also match full-width text, without normalizing the text.

NFKC maps full-width ASCII (U+FF01–FF5E) and the ideographic space (U+3000) one-to-one onto ASCII.
Rather than normalizing every scanned text (a full extra pass, and offsets to map back), each
ASCII character a pattern mentions is widened at compile time to also accept its full-width
form: ``[0-9]`` → ``[0-9０-９]``, ``-`` → ``[-－]``. Matches are then found directly in the
original text, so offsets are original code-point offsets by construction; validators
NFKC-normalize the (short) matched value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FW_OFFSET = 0xFEE0
_QUANT = re.compile(r"\{\d*(?:,\d*)?\}")
_CLASS_ESCAPES = set("dDwWsSbBAZ")
_GROUP_PREFIXES = ("(?:", "(?<!", "(?<=", "(?=", "(?!")
_LOOKAROUNDS = ("(?<!", "(?<=", "(?=", "(?!")
# Full-width forms that are everyday Chinese punctuation (電話：0912…, IP：2001:db8::1). Inside
# a lookaround they would wrongly act as part of a value, so there they stay unwidened.
_CJK_PUNCTUATION = frozenset("：，；！？（）")


def fullwidth(ch: str) -> str | None:
    """The full-width form of a printable ASCII character (space → U+3000), if any."""
    if ch == " ":
        return "\u3000"
    if "!" <= ch <= "~":
        return chr(ord(ch) + _FW_OFFSET)
    return None


def _class_body(body: str, in_lookaround: bool = False, added: set[str] | None = None) -> str:
    """Add full-width counterparts to the items of a character-class body (and to ``added``).

    Literal hyphens are escaped in the result, so appended items can never form a range.
    """
    items: list[str] = []
    extra: list[str] = []
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            ch = body[i + 1]
            items.append(body[i : i + 2])
            fw = fullwidth(ch)
            if ch not in _CLASS_ESCAPES and fw and not (in_lookaround and fw in _CJK_PUNCTUATION):
                extra.append(fw)
            i += 2
            continue
        ch = body[i]
        if i + 2 < len(body) and body[i + 1] == "-" and body[i + 2] != "\\":
            items.append(body[i : i + 3])
            lo, hi = fullwidth(ch), fullwidth(body[i + 2])
            if lo and hi:
                extra.append(f"{lo}-{hi}")
                if added is not None:
                    added.update(chr(c) for c in range(ord(lo), ord(hi) + 1))
            i += 3
            continue
        items.append("\\-" if ch == "-" else ch)
        fw = fullwidth(ch)
        if fw and not (in_lookaround and fw in _CJK_PUNCTUATION):
            extra.append(fw)
        i += 1
    if added is not None:
        # A form the class already names (）in [)）]) is no addition: the pattern as written
        # takes it too, and a text holding it (most Chinese text) can still use that version.
        added.update(c for c in extra if len(c) == 1 and c not in body)
    return "".join(items + extra)


def _end_of_class(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start``."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i


def widen(pattern: str, added: set[str] | None = None) -> str:
    """Rewrite a regex so every ASCII character it names also matches its full-width form;
    the full-width characters it adds go into ``added``."""
    out: list[str] = []
    groups: list[bool] = []  # per open group: is it a lookaround?
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1]
            fw = None if nxt in _CLASS_ESCAPES or nxt.isalnum() else fullwidth(nxt)
            out.append(f"[\\{nxt}{fw}]" if fw else pattern[i : i + 2])
            if fw and added is not None:
                added.add(fw)
            i += 2
        elif ch == "[":
            end = _end_of_class(pattern, i)
            neg = pattern[i + 1] == "^"
            body = pattern[i + 1 + neg : end]
            out.append("[" + ("^" if neg else "") + _class_body(body, any(groups), added) + "]")
            i = end + 1
        elif ch == "(":
            prefix = next((p for p in _GROUP_PREFIXES if pattern.startswith(p, i)), "(")
            groups.append(prefix in _LOOKAROUNDS)
            out.append(prefix)
            i += len(prefix)
        elif ch == "{" and (m := _QUANT.match(pattern, i)):
            out.append(m.group())
            i = m.end()
        elif ch in ".^$*+?|)":
            if ch == ")" and groups:
                groups.pop()
            out.append(ch)
            i += 1
        else:
            fw = fullwidth(ch)
            out.append(f"[{re.escape(ch)}{fw}]" if fw else ch)
            if fw and added is not None:
                added.add(fw)
            i += 1
    return "".join(out)


_LEADING_LOOKBEHIND = re.compile(
    r"^\(\?<!(\[[^\]]*\])\)(\[[^\]]*\])(?:\{(\d+)(?:,(\d*))?\}|(\+))?(?![*?{+])")
# ``(?<!X)`` then one literal character (``\+``, ``0``, ``(``) that no quantifier follows.
_LOOKBEHIND_LITERAL = re.compile(r"^\(\?<!(\[[^\]]*\])\)(\\[^0-9A-Za-z]|[^\\.^$*+?{}\[\]()|])(?![*?{+])")


def fast_start(pattern: str) -> str:
    r"""Move a leading one-character negative lookbehind behind the first character.

    ``(?<!X)[Y]{8}`` and ``[Y](?<!X.)[Y]{7}`` match the same strings, but the second starts
    with a character class, which lets the regex engine skip quickly to candidate positions;
    ``(?<!X)\+886`` becomes ``\+(?<!X.)886``, which starts with a literal the engine searches
    for even faster.
    """
    m = _LOOKBEHIND_LITERAL.match(pattern)
    if m:
        behind, literal = m.groups()
        return f"{literal}(?<!{behind}.){pattern[m.end():]}"
    m = _LEADING_LOOKBEHIND.match(pattern)
    if not m:
        return pattern
    behind, cls, low, high, plus = m.groups()
    if plus:
        rest = f"{cls}*"
    elif low is None:
        rest = ""
    elif int(low) == 0:
        return pattern
    elif high is None:
        rest = f"{cls}{{{int(low) - 1}}}"
    else:
        rest = f"{cls}{{{int(low) - 1},{'' if high == '' else int(high) - 1}}}"
    return f"{cls}(?<!{behind}.){rest}{pattern[m.end():]}"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Widen to full-width, optimize the start, compile."""
    return re.compile(fast_start(widen(pattern)))


# Full-width forms everyday Chinese text is full of: looked up one by one (each search stops
# at the first occurrence); the others are rare, so one pass over the text collects them.
_COMMON_FULLWIDTH = "，：；（）！？\u3000"
RARE_FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F) if chr(c) not in _COMMON_FULLWIDTH)
_RARE_FULLWIDTH = re.compile("[" + "".join(map(re.escape, RARE_FULLWIDTH)) + "]")


def fullwidth_in(text: str) -> frozenset[str]:
    """The full-width forms of ASCII characters (U+FF01–FF5E, U+3000) that occur in ``text``."""
    if text.isascii():
        return frozenset()
    return common_fullwidth_in(text) | frozenset(_RARE_FULLWIDTH.findall(text))


def common_fullwidth_in(text: str) -> frozenset[str]:
    """The common full-width punctuation (，：（）…) that occurs in ``text``; the analyzer learns
    the rare full-width forms from its context-word pass (ContextIndex.fullwidth)."""
    return frozenset(c for c in _COMMON_FULLWIDTH if c in text)


@dataclass(frozen=True)
class Compiled:
    """A pattern compiled twice: widened to full-width, and as written.

    The pattern as written finds the same matches in a text that holds none of the full-width
    characters widening added, and is often several times faster: its literal first
    characters (``0``, ``+``, ``@``) are searched for directly, where the widened one tests a
    class (``[0０]``) at every character. Chinese text is full of full-width punctuation
    (，：（）) but rarely holds full-width digits, so most patterns run as written on it too.
    """

    wide: re.Pattern[str] | SplitPattern
    plain: re.Pattern[str]
    added: frozenset[str]  # the full-width characters only ``wide`` accepts

    def for_text(self, fullwidth_present: frozenset[str]) -> re.Pattern[str] | SplitPattern:
        """The version to run on a text holding these full-width characters (fullwidth_in)."""
        return self.wide if self.added & fullwidth_present else self.plain


class SplitPattern:
    """A widened pattern that starts with a character and its full-width form (``[0０]…``),
    run as two patterns that each start with one plain character (``0…`` and ``０…``).

    The regex engine searches for a plain first character several times faster than it tests
    a class at every position. ``finditer`` gives exactly the matches of the one pattern: the
    leftmost match from a position is the leftmost of the two parts' (their first characters
    differ), and a part's match that starts inside the previous match is searched again
    from that match's end.
    """

    def __init__(self, whole: re.Pattern[str], parts: tuple[re.Pattern[str], re.Pattern[str]]) -> None:
        self.whole = whole
        self.pattern = whole.pattern
        self._parts = parts

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        """The first match in ``text[pos:endpos]``, as re's search."""
        return next(self.finditer(text, pos, endpos), None)

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        """The matches of the pattern in ``text[pos:endpos]``, in order, as re's finditer."""
        end = len(text) if endpos is None else endpos
        first, second = self._parts
        it_a, it_b = first.finditer(text, pos, end), second.finditer(text, pos, end)
        a, b = next(it_a, None), next(it_b, None)
        while a is not None or b is not None:
            if b is None or (a is not None and a.start() < b.start()):
                m, a = a, next(it_a, None)
            else:
                m, b = b, next(it_b, None)
            yield m
            resume = m.end() if m.end() > m.start() else m.end() + 1
            # The other part's next match may start inside this one: search again from its end.
            if a is not None and a.start() < resume:
                it_a = first.finditer(text, resume, end)
                a = next(it_a, None)
            if b is not None and b.start() < resume:
                it_b = second.finditer(text, resume, end)
                b = next(it_b, None)


_LEADING_PAIR = re.compile(r"\[(\\?[^\]\\])(.)\]")


def _split(wide: str) -> tuple[str, str] | None:
    """The two patterns a widened pattern starting with ``[xX]`` (X the full-width form of x)
    splits into, if it does."""
    m = _LEADING_PAIR.match(wide)
    if not m:
        return None
    plain, full = m.group(1), m.group(2)
    if fullwidth(plain[-1]) != full:
        return None
    rest = wide[m.end():]
    return plain + rest, re.escape(full) + rest


def compile_both(pattern: str) -> Compiled:
    """The pattern widened and as written, each start-optimized (see Compiled)."""
    added: set[str] = set()
    source = fast_start(widen(pattern, added))
    wide: re.Pattern[str] | SplitPattern = re.compile(source)
    if (parts := _split(source)) is not None:
        wide = SplitPattern(re.compile(source), (re.compile(parts[0]), re.compile(parts[1])))
    return Compiled(wide=wide, plain=re.compile(fast_start(pattern)), added=frozenset(added))
