"""Recognizer settings as data: schemas of the YAML files and the compiled registry.

``src/gezi/catalog/data/pii/recognizers.yaml`` lists the recognizers; ``names.yaml`` and
``places.yaml`` hold the word lists they use. A directory in ``GEZI_PII_DIR`` may hold
replacements for any of the three files. Adding a recognizer is a YAML edit: the analyzer runs
whatever the registry holds.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import ahocorasick_rs
from pydantic import ConfigDict, Field, model_validator

from gezi.catalog.loader import DATA_DIR, load_yaml_model
from gezi.catalog.schema import Dated, LText, Source, Strict
from gezi.core.fsnames import LONE_SURROGATE
from gezi.pii.patterns import RARE_FULLWIDTH, Compiled, compile_both, compile_pattern, fullwidth
from gezi.pii.validators import VALIDATORS

PII_DATA_DIR = DATA_DIR / "pii"

# Roles of a word in the one-pass context automaton.
(CONTEXT, NEGATIVE, CUE_BEFORE, CUE_AFTER, WEAK_CUE_BEFORE, WEAK_CUE_AFTER, DOUBLE_SURNAME,
 CONTEXT_AFTER, FULLWIDTH) = range(9)
# The key under which the context pass reports the rare full-width characters it met (Ａ, ０,
# ＠…): the analyzer then needs no pass of its own to know which patterns to widen.
FULLWIDTH_KEY = (-1, FULLWIDTH)


class PatternSpec(Strict):
    """One regex of a recognizer with the score a bare match gets."""

    name: str
    regex: str
    score: float = Field(ge=0, le=1)
    requires: str | None = None


class RecognizerSpec(Dated):
    """One recognizer: patterns or a built-in kind, validator, context words, scores."""

    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    name: LText
    source: Source
    kind: Literal["pattern", "chinese_name"] = "pattern"
    patterns: list[PatternSpec] = Field(default_factory=list)
    validator: str | None = None
    validator_params: dict[str, Any] = Field(default_factory=dict)
    validated_score: float | None = Field(default=None, ge=0, le=1)
    context: list[str] = Field(default_factory=list)
    # Words that are context only directly after a value (民國70年5月3日生: 生 right behind a
    # date); anywhere else they mean nothing (學生, 發生).
    context_after: list[str] = Field(default_factory=list)
    # The characters a value can end with (a regex class such as '[0-9日]'): a context_after
    # word behind any other character is skipped before any pattern runs (生 of 學生 is common).
    value_ends_with: str | None = None
    negative_context: list[str] = Field(default_factory=list)
    context_required: bool = False
    context_window_before: int | None = Field(default=None, ge=0)
    context_window_after: int | None = Field(default=None, ge=0)
    # Context words count on the lines before the value too (a letter's sign-off, Best regards,
    # on the line above the name); for every other recognizer context stops at a line break.
    context_across_lines: bool = False
    context_boost: float = Field(default=0.25, ge=0, le=1)
    negative_penalty: float = Field(default=0.3, ge=0, le=1)
    column_hints: list[str] = Field(default_factory=list)
    column_boost: float = Field(default=0.3, ge=0, le=1)
    min_score: float = Field(default=0.5, ge=0, le=1)
    anchor: str | None = None
    anchor_window: tuple[int, int] = (48, 48)
    anchor_stretch: bool = True
    digit_run: int | None = Field(default=None, ge=2)
    digit_run_after_letter: bool = False
    first_pattern_wins: bool = False
    requires: str | None = None
    mask_keep: tuple[int, int] = (1, 1)

    @model_validator(mode="after")
    def _consistent(self) -> RecognizerSpec:
        if self.validator and self.validator not in VALIDATORS:
            raise ValueError(f"unknown validator {self.validator!r}; known: {sorted(VALIDATORS)}")
        if self.kind == "pattern" and not self.patterns:
            raise ValueError("a pattern recognizer needs at least one pattern")
        return self


class RecognizerFile(Strict):
    """recognizers.yaml (schema gezi.pii-recognizers/1)."""

    schema_: Literal["gezi.pii-recognizers/1"] = Field(alias="schema")
    id: str
    version: str
    source: Source
    context_window_before: int = Field(ge=0)
    context_window_after: int = Field(ge=0)
    recognizers: list[RecognizerSpec] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NamesFile(Dated):
    """names.yaml (schema gezi.pii-names/1): surnames and name cues."""

    schema_: Literal["gezi.pii-names/1"] = Field(alias="schema")
    id: str
    version: str
    source: Source
    surnames: str
    double_surnames: list[str]
    cues_before: list[str]
    weak_cues_before: list[str] = Field(default_factory=list)
    cues_after: list[str]
    not_name_chars: str
    # Words that begin with a surname character but name a thing (會員：金卡).
    not_names: list[str] = Field(default_factory=list)
    # Words that begin with a surname character and never begin a name (何以, 許多).
    not_name_starts: list[str] = Field(default_factory=list)
    pseudonym_given_chars: str = Field(min_length=10)
    given_name_chars: str = Field(min_length=10)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NameSignalsFile(Dated):
    """name-signals.yaml (schema gezi.pii-name-signals/1): weak cues after a name, list
    separators and distinctive double surnames."""

    schema_: Literal["gezi.pii-name-signals/1"] = Field(alias="schema")
    id: str
    version: str
    source: Source
    weak_cues_after: list[str]
    list_separators: list[str] = Field(min_length=1)
    list_conjunctions: list[str]
    distinctive_double_surnames: list[str]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PlacesFile(Dated):
    """places.yaml (schema gezi.pii-places/1): counties and address character sets."""

    schema_: Literal["gezi.pii-places/1"] = Field(alias="schema")
    id: str
    version: str
    source: Source
    counties: list[str] = Field(min_length=1)
    number_chars: str
    not_place_chars: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


_VERDICT_CACHE = 1 << 16


@dataclass
class Recognizer:
    """A recognizer ready to run."""

    index: int
    spec: RecognizerSpec
    # (pattern, score, the pattern's own requires)
    patterns: list[tuple[Compiled, float, re.Pattern[str] | None]]
    window_before: int
    window_after: int
    anchor: Compiled | None = None
    requires: Compiled | None = None
    ends_with: re.Pattern[str] | None = None
    _verdicts: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def entity(self) -> str:
        return self.spec.entity

    def forget_verdicts(self) -> None:
        """Forget the remembered validator verdicts."""
        self._verdicts.clear()

    def validates(self, value: str) -> bool:
        """The validator's verdict on ``value`` (True without a validator), remembered: logs
        repeat the same IPs, phones and IDs on line after line."""
        verdict = self._verdicts.get(value)
        if verdict is None:
            spec = self.spec
            verdict = spec.validator is None or VALIDATORS[spec.validator](value, spec.validator_params)
            if len(self._verdicts) >= _VERDICT_CACHE:
                self._verdicts.clear()
            self._verdicts[value] = verdict
        return verdict


@dataclass
class NameData:
    """Word lists of the Chinese-name recognizer."""

    surnames: frozenset[str]
    double_surnames: frozenset[str]
    not_name_chars: frozenset[str]
    not_names: frozenset[str] = frozenset()
    not_name_starts: tuple[str, ...] = ()
    given_name_chars: frozenset[str] = frozenset()
    pseudonym_surnames: tuple[str, ...] = ()
    pseudonym_given_chars: str = ""
    # Characters a surname starts with (single surnames, first characters of double ones).
    first_chars: frozenset[str] = frozenset()
    # (separator, ties strongly) of name-signals.yaml: 、 strongly; 和, 與… weakly.
    list_links: tuple[tuple[str, bool], ...] = ()


@dataclass
class Registry:
    """Every recognizer, plus one Aho-Corasick automaton over all their context words.

    ``ascii_automaton`` holds the ASCII words only: on an ASCII text (a log) no other word can
    match, and the automaton without the ~400 CJK and full-width words runs about 4× faster.
    """

    recognizers: list[Recognizer]
    automaton: WordMatcher | None
    names: NameData
    entities: frozenset[str] = field(default_factory=frozenset)
    ascii_automaton: WordMatcher | None = None
    # Runs of digits (single spaces or hyphens between them) as long as the shortest
    # ``digit_run`` of any recognizer: found once per text, shared by those recognizers.
    digit_runs: Compiled | None = None

    _column_cache: dict[tuple[str, bool], frozenset[int]] = field(default_factory=dict)

    def spec_for(self, entity: str) -> RecognizerSpec | None:
        """The first recognizer of an entity (its masking settings), if any."""
        return next((r.spec for r in self.recognizers if r.entity == entity), None)

    def column_matches(self, column: str | None, negative: bool = False) -> frozenset[int]:
        """Indexes of the recognizers whose column hints (``negative``: negative context
        words, e.g. a column named sku or 訂單編號) match this column name (cached)."""
        if not column:
            return frozenset()
        key = (column, negative)
        hit = self._column_cache.get(key)
        if hit is None:
            hit = column_hint_matches(self, column, negative)
            if len(self._column_cache) < 10_000:
                self._column_cache[key] = hit
        return hit


def pii_data_file(name: str) -> Path:
    """The PII data file ``name``: from GEZI_PII_DIR when that folder has one, else shipped."""
    extra = os.environ.get("GEZI_PII_DIR")
    if extra and (Path(extra) / name).is_file():
        return Path(extra) / name
    return PII_DATA_DIR / name


# Form labels spread over a fixed width (姓　　名：, 地  址:, 身 分 證 號): the same number of
# full-width or ASCII spaces between every two characters, by the word's length.
_SPREAD = {2: (1, 2, 3), 3: (1, 2), 4: (1,)}


def _variants(word: str) -> set[str]:
    """Spellings to look for: ASCII words in lower/upper/title case and full-width; Chinese
    words with 臺 or 台 and spread out with spaces as form labels are (姓　　名)."""
    if not word.isascii():
        forms = {word, word.replace("臺", "台")}
        gaps = [space * k for space in ("\u3000", " ") for k in _SPREAD.get(len(word), ())]
        return forms | {gap.join(form) for form in forms for gap in gaps}
    forms = {word, word.lower(), word.upper(), word.title(), word.capitalize()}
    return forms | {"".join(fullwidth(c) or c for c in f) for f in forms}


def trie_regex(words: list[str]) -> str:
    """An alternation of words factored by common prefixes (臺(?:北市|中市)|新(?:北市|竹市)…):
    the regex engine rejects a position after one character instead of trying every word."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict) -> str:
        branches = []
        optional = "" in node
        for ch, child in sorted(node.items()):
            if ch:
                branches.append(re.escape(ch) + render(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not optional else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if optional else body

    return render(tree)


def _expand_places(regex: str, places: PlacesFile) -> str:
    counties = sorted({c for county in places.counties for c in (county, county.replace("臺", "台"))})
    not_place = re.escape(places.not_place_chars)
    return (regex.replace("{COUNTY}", trie_regex(counties))
            .replace("{NUM}", f"[{places.number_chars}]+")
            .replace("{PLACE}", rf"[^\s\d{not_place}\W]"))


class WordMatcher:
    """Every occurrence of a set of words in one pass (Aho-Corasick, ahocorasick_rs: a DFA in
    Rust, ~8 ns a character on Chinese text where pyahocorasick's trie took ~70 ns)."""

    def __init__(self, words: dict[str, list[tuple[int, int]]]) -> None:
        listed = list(words)
        self._matcher = ahocorasick_rs.AhoCorasick(
            listed, implementation=ahocorasick_rs.Implementation.DFA)
        self._payloads = [(w.isascii(), tuple(words[w])) for w in listed]

    def find(self, text: str) -> list[tuple[int, int, bool, tuple[tuple[int, int], ...]]]:
        """(start, end, is ASCII, (recognizer, role)…) of every word occurrence, overlapping
        ones included; offsets are code-point offsets."""
        payloads = self._payloads
        try:
            found = self._matcher.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            # Lone surrogates (a JSON "\\ud800" escape) cannot cross into Rust: each becomes
            # U+FFFD, one code point for one, so the offsets stay those of the text.
            found = self._matcher.find_matches_as_indexes(LONE_SURROGATE.sub("\ufffd", text),
                                                          overlapping=True)
        return [(start, end, *payloads[i]) for i, start, end in found]


def _automaton(words: dict[str, list[tuple[int, int]]]) -> WordMatcher | None:
    """A matcher over ``words``; None when there is no word."""
    return WordMatcher(words) if words else None


def _build(rec_file: RecognizerFile, names: NamesFile, places: PlacesFile,
           signals: NameSignalsFile) -> Registry:
    recognizers: list[Recognizer] = []
    words: dict[str, list[tuple[int, int]]] = {}
    compiled_requires: dict[str, Compiled] = {}  # shared, so each is searched once a text

    def add(word: str, index: int, role: int) -> None:
        for form in _variants(word):
            words.setdefault(form, []).append((index, role))

    for index, spec in enumerate(rec_file.recognizers):
        regexes = [_expand_places(p.regex, places) for p in spec.patterns]
        compiled = [(compile_both(regex), p.score,
                     compile_pattern(p.requires) if p.requires else None)
                    for regex, p in zip(regexes, spec.patterns, strict=True)]
        before = spec.context_window_before
        after = spec.context_window_after
        recognizers.append(Recognizer(
            index=index, spec=spec, patterns=compiled,
            window_before=rec_file.context_window_before if before is None else before,
            window_after=rec_file.context_window_after if after is None else after,
            anchor=compile_both(spec.anchor) if spec.anchor else None,
            ends_with=compile_pattern(spec.value_ends_with) if spec.value_ends_with else None,
            requires=compiled_requires.setdefault(
                spec.requires, compile_both(spec.requires)) if spec.requires else None))
        for word in spec.context:
            add(word, index, CONTEXT)
        for word in spec.context_after:
            add(word, index, CONTEXT_AFTER)
        for word in spec.negative_context:
            add(word, index, NEGATIVE)
        if spec.kind == "chinese_name":
            for word in names.cues_before:
                add(word, index, CUE_BEFORE)
            for word in names.weak_cues_before:
                add(word, index, WEAK_CUE_BEFORE)
            for word in names.cues_after:
                add(word, index, CUE_AFTER)
            for word in signals.weak_cues_after:
                add(word, index, WEAK_CUE_AFTER)
            for word in signals.distinctive_double_surnames:
                add(word, index, DOUBLE_SURNAME)
    for ch in RARE_FULLWIDTH:
        words.setdefault(ch, []).append(FULLWIDTH_KEY)
    automaton = _automaton(words)
    ascii_automaton = _automaton({w: p for w, p in words.items() if w.isascii()})
    name_data = NameData(
        surnames=frozenset(names.surnames.split()),
        double_surnames=frozenset(names.double_surnames),
        not_name_chars=frozenset(names.not_name_chars),
        not_names=frozenset(names.not_names),
        not_name_starts=tuple(names.not_name_starts),
        given_name_chars=frozenset(names.given_name_chars) - frozenset(" \n"),
        pseudonym_surnames=tuple(dict.fromkeys(names.surnames.split())),
        pseudonym_given_chars=names.pseudonym_given_chars,
        first_chars=frozenset(names.surnames.split()) | {d[0] for d in names.double_surnames},
        list_links=tuple((w, w in signals.list_separators)
                         for w in (*signals.list_separators, *signals.list_conjunctions)))
    shortest = min((r.spec.digit_run for r in recognizers if r.spec.digit_run), default=None)
    # The lookbehinds make a run start only at its first digit, not again at every digit
    # inside it; they follow the first digit so the regex engine can skip to digits.
    run = None if shortest is None else \
        f"[0-9](?<![0-9].)(?<![0-9][- ].)(?:[- ]?+[0-9]){{{shortest - 1},}}"
    return Registry(recognizers=recognizers, automaton=automaton, names=name_data,
                    entities=frozenset(r.entity for r in recognizers),
                    ascii_automaton=ascii_automaton,
                    digit_runs=compile_both(run) if run else None)


@cache
def _load(pii_dir: str | None) -> Registry:
    rec_file = load_yaml_model(pii_data_file("recognizers.yaml"), RecognizerFile)
    names = load_yaml_model(pii_data_file("names.yaml"), NamesFile)
    places = load_yaml_model(pii_data_file("places.yaml"), PlacesFile)
    signals = load_yaml_model(pii_data_file("name-signals.yaml"), NameSignalsFile)
    return _build(rec_file, names, places, signals)


def get_registry() -> Registry:
    """The compiled registry (cached per GEZI_PII_DIR)."""
    return _load(os.environ.get("GEZI_PII_DIR"))


_TOKEN = re.compile(r"[a-z]+|[0-9]+|[^\x00-\x7f]+")


def unspread(label: str) -> str:
    """A label without the spaces that spread it over a fixed width (姓　　名 → 姓名)."""
    return re.sub(r"\s+", "", label) if " " in label or "\u3000" in label else label


def column_hint_matches(registry: Registry, column: str,
                        negative: bool = False) -> frozenset[int]:
    """Recognizers whose column hints (``negative``: negative context words) match a column
    name: ASCII words as whole tokens of a snake_case or camelCase name (so ``tel`` does not
    fire on ``hotel``), CJK words as substrings."""
    lowered = column.lower().replace("臺", "台")
    squeezed = unspread(lowered)  # 姓　　名 is 姓名
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", column).lower()
    parts = _TOKEN.findall(spaced)
    tokens, joined = set(parts), "_" + "_".join(parts) + "_"
    found = set()
    for rec in registry.recognizers:
        for hint in rec.spec.negative_context if negative else rec.spec.column_hints:
            h = hint.lower().replace(" ", "_")
            if not h.isascii():
                matched = h.replace("臺", "台") in squeezed
            elif "_" in h:
                matched = f"_{h}_" in joined
            else:
                matched = h in tokens
            if matched:
                found.add(rec.index)
                break
    return frozenset(found)
