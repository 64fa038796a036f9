"""Presidio on the evaluation corpus, offline; runs inside bench/pii/.venv-presidio.

Configuration (the best a user gets without a network and without a Chinese model):
  * spaCy engine on a blank ``zh`` pipeline saved to a folder (no download, no NER);
  * Presidio's own recognizers for EMAIL_ADDRESS, CREDIT_CARD, PHONE_NUMBER (regions TW) and
    IP_ADDRESS, set to language ``zh``;
  * Presidio PatternRecognizers written the way Presidio's country recognizers are written
    (``\\b`` regexes, checksum in ``validate_result``, context words) for TW_NATIONAL_ID,
    TW_RESIDENT_CERT and TW_UBN, the checksums taken from gezi.core.twid (stdlib only);
  * CSV cells get their column name as Presidio's ``context``.
Presidio ships nothing for names, addresses, NHI cards, passports, bank accounts, plates or
dates of birth in Chinese text; those entities are not requested (recall 0 in the report).

Input (stdin, JSON): {"units": [[key, text, column|null], …], "chunks": [text, …],
                      "plain": {name: [text, …]}}
Output (stdout, JSON): {"hits": [[key, entity, start, end], …], "seconds_units": s,
                        "seconds_chunks": s, "seconds_plain": {name: s}}
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IpRecognizer,
    PhoneRecognizer,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
from gezi.core.twid import (
    national_id_is_valid,
    old_resident_cert_is_valid,
    ubn_is_valid,
)

LANG = "zh"
MODEL = Path(__file__).resolve().parent / ".venv-presidio" / "zh_blank"
ENTITIES = ["EMAIL_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER", "IP_ADDRESS", "TW_NATIONAL_ID",
            "TW_RESIDENT_CERT", "TW_UBN"]


class _Checked(PatternRecognizer):
    def __init__(self, entity: str, regex: str, context: list[str], check) -> None:
        super().__init__(supported_entity=entity, supported_language=LANG, context=context,
                         patterns=[Pattern(entity.lower(), regex, 0.3)])
        self._check = check

    def validate_result(self, pattern_text: str) -> bool:
        return self._check(pattern_text.upper())


def engine() -> AnalyzerEngine:
    nlp = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANG, "model_name": str(MODEL)}],
    }).create_engine()
    registry = RecognizerRegistry(supported_languages=[LANG])
    for rec in (EmailRecognizer(supported_language=LANG),
                CreditCardRecognizer(supported_language=LANG),
                PhoneRecognizer(supported_language=LANG, supported_regions=("TW",)),
                IpRecognizer(supported_language=LANG),
                _Checked("TW_NATIONAL_ID", r"\b[A-Z][12]\d{8}\b", ["身分證", "身份證", "證號"],
                         national_id_is_valid),
                _Checked("TW_RESIDENT_CERT", r"\b[A-Z][A-D89]\d{8}\b", ["居留證", "統一證號"],
                         lambda v: national_id_is_valid(v) or old_resident_cert_is_valid(v)),
                _Checked("TW_UBN", r"\b\d{8}\b", ["統編", "統一編號", "公司", "發票"], ubn_is_valid)):
        registry.add_recognizer(rec)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[LANG])


def main() -> None:
    job = json.load(sys.stdin)
    analyzer = engine()
    analyzer.analyze("暖身 warm-up 0912345678", language=LANG, entities=ENTITIES)
    hits = []
    t0 = time.process_time()
    for key, text, column in job["units"]:
        for r in analyzer.analyze(text, language=LANG, entities=ENTITIES,
                                  context=[column] if column else None):
            hits.append([key, r.entity_type, r.start, r.end])
    t1 = time.process_time()
    for chunk in job["chunks"]:
        analyzer.analyze(chunk, language=LANG, entities=ENTITIES)
    t2 = time.process_time()
    plain = {}
    for name, chunks in job.get("plain", {}).items():
        t = time.process_time()
        for chunk in chunks:
            analyzer.analyze(chunk, language=LANG, entities=ENTITIES)
        plain[name] = time.process_time() - t
    json.dump({"hits": hits, "seconds_units": t1 - t0, "seconds_chunks": t2 - t1,
               "seconds_plain": plain}, sys.stdout)


if __name__ == "__main__":
    main()
