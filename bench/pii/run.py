"""gezi's PII analyzer vs Presidio (offline) on the committed corpus: accuracy and throughput.

Accuracy: every unit of the corpus (a text line, or a CSV cell with its column name) goes through
``gezi.pii.analyzer.analyze_text`` and through Presidio (bench/pii/presidio_side.py in its own
venv, see setup-presidio.sh). A prediction counts only if entity, unit, start and end all equal
a gold label (character-exact). "overlap" F1 (same entity, spans intersect) is printed as a
diagnostic only.

Also scored: the same analyzer batched as the file scanner batches it (a file's lines, a
column's cells), and the scanner end to end (``scan_paths`` on the corpus files: Big5 and BOM
decoding, CSV parsing, line/row/column numbering).

Throughput: CPU seconds of one process (``time.process_time``, so a busy shared machine slows
the numbers less than wall-clock timing would), UTF-8 megabytes per second, on
  * units: the accuracy run itself (short lines and cells, column names passed);
  * text: the corpus's text files joined into 64 KiB chunks (the plain-text path), and each
    --plain file the same way; best of --tries runs, each with gezi's remembered validator
    verdicts and jieba cuts forgotten; Presidio gets the first --presidio-kb KiB of each;
  * scan (with --scan): ``gezi.pii.scan.scan_paths`` with one worker on the corpus text and on
    each --plain file (read, decoded and reported as ``gezi pii scan`` does).

Run: ``bench/pii/setup-presidio.sh`` once, then ``.venv/bin/python bench/pii/run.py``.
Results: a table on stdout, details (incl. error examples) in bench/out/pii-results.json.
Held-out check (the committed corpus is also what recognizers are tuned on):
``make_corpus.py --seed 7 --out /tmp/heldout`` then ``run.py --corpus /tmp/heldout``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalset

from gezi.pii.analyzer import analyze_segments, analyze_text, forget_remembered

HERE = Path(__file__).resolve().parent
PRESIDIO_PY = HERE / ".venv-presidio" / "bin" / "python"
OUT = HERE.parents[1] / "bench" / "out"
CHECKSUM_ENTITIES = ("TW_NATIONAL_ID", "TW_RESIDENT_CERT", "TW_UBN", "CREDIT_CARD")
NAME_ADDRESS = ("PERSON_NAME", "TW_ADDRESS")
CHUNK = 64 * 1024
MB = 1_000_000

Span = tuple[str, str, int, int]  # unit key, entity, start, end


def unit_key(where: tuple) -> str:
    return "\t".join("" if v is None else str(v) for v in where)


def text_chunks(units: list[evalset.Unit]) -> list[str]:
    """The text files' lines joined with newlines into chunks of about CHUNK characters."""
    return line_chunks(u.text for u in units if u.line is not None and u.column is None)


def line_chunks(lines) -> list[str]:
    """Lines joined with newlines into chunks of about CHUNK characters."""
    chunks, buf, size = [], [], 0
    for line in lines:
        buf.append(line)
        size += len(line) + 1
        if size >= CHUNK:
            chunks.append("\n".join(buf))
            buf, size = [], 0
    if buf:
        chunks.append("\n".join(buf))
    return chunks


def utf8_mb(texts) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / MB


def warm_up(units: list[evalset.Unit]) -> None:
    """Load everything gezi loads lazily (regexes, jieba's dictionary) before any timing."""
    analyze_text("\n".join(u.text for u in units[:2000]))


def run_gezi(units: list[evalset.Unit]) -> tuple[list[Span], float]:
    warm_up(units)
    hits: list[Span] = []
    t0 = time.process_time()
    for u in units:
        key = unit_key(u.where)
        hits.extend((key, ent, s, e) for ent, s, e, _score, _v in analyze_text(u.text, column=u.hint))
    return hits, time.process_time() - t0


def run_gezi_batched(units: list[evalset.Unit]) -> tuple[list[Span], float]:
    """As the file scanner does: a text file's lines in one call, a CSV column's cells in one
    call with the column name (context isolated per cell)."""
    groups: dict[tuple, list[evalset.Unit]] = defaultdict(list)
    for u in units:
        groups[(u.file, u.hint, u.column is not None)].append(u)
    hits: list[Span] = []
    t0 = time.process_time()
    for (_file, hint, is_cell), members in groups.items():
        found = analyze_segments([u.text for u in members], column=hint, isolate=is_cell)
        hits.extend((unit_key(members[i].where), ent, s, e) for i, (ent, s, e, _sc, _v) in found)
    return hits, time.process_time() - t0


def run_gezi_scan(corpus: Path, only: list[str] | None) -> tuple[list[Span], float, dict]:
    """End to end: ``scan_paths`` (one worker) on the corpus files themselves — encoding
    detection (Big5, BOM), CSV parsing, line/row/column numbering — scored like the rest."""
    from gezi.pii.scan import scan_paths

    files = [corpus / e["file"] for e in evalset.manifest(corpus) if not only or e["file"] in only]
    t0 = time.process_time()
    report = scan_paths(files, workers=1)
    secs = time.process_time() - t0
    hits = [(unit_key((Path(f.path).name, f.line, f.row, f.column)), f.entity, f.start, f.end)
            for f in report.findings]
    mb = sum(f.stat().st_size for f in files) / MB
    return hits, secs, {"files_scanned": report.files_scanned, "skipped": report.files_skipped,
                        "mb": mb, "mb_per_s": mb / secs}


def cpu_best(work, tries: int) -> float:
    """Least CPU time of ``tries`` runs, each with gezi's remembered verdicts forgotten (a
    repeated run would otherwise find every validator verdict and jieba cut cached)."""
    best = float("inf")
    for _ in range(tries):
        forget_remembered()
        t0 = time.process_time()
        work()
        best = min(best, time.process_time() - t0)
    return best


def gezi_text_speed(chunks: list[str], tries: int) -> dict:
    """analyze_text on each chunk; CPU time, best of ``tries``."""
    size = utf8_mb(chunks)
    secs = cpu_best(lambda: [analyze_text(c) for c in chunks], tries)
    return {"mb": size, "seconds": secs, "mb_per_s": size / secs, "tries": tries}


def gezi_scan_speed(path: Path, tries: int) -> dict:
    """scan_paths on one file with one worker (in this process); CPU time, best of ``tries``."""
    from gezi.pii.scan import scan_paths

    found: list[int] = []
    secs = cpu_best(lambda: found.append(len(scan_paths([path], workers=1).findings)), tries)
    mb = path.stat().st_size / MB
    return {"mb": mb, "seconds": secs, "mb_per_s": mb / secs, "findings": found[-1], "tries": tries}


def head(chunks: list[str], kb: int) -> list[str]:
    """The first chunks, about kb KiB of characters."""
    sample: list[str] = []
    for c in chunks:
        if sum(len(s) for s in sample) >= kb * 1024:
            break
        sample.append(c)
    return sample


def run_presidio(units: list[evalset.Unit], chunks: list[str], plain: dict[str, list[str]],
                 kb: int) -> dict:
    sample = head(chunks, kb)
    plain_sample = {name: head(c, kb) for name, c in plain.items()}
    job = {"units": [[unit_key(u.where), u.text, u.hint] for u in units], "chunks": sample,
           "plain": plain_sample}
    proc = subprocess.run([str(PRESIDIO_PY), str(HERE / "presidio_side.py")],
                          input=json.dumps(job), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"presidio run failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    out["hits"] = [tuple(h) for h in out["hits"]]
    out["chunks_mb"] = utf8_mb(sample)
    out["plain_mb"] = {name: utf8_mb(c) for name, c in plain_sample.items()}
    return out


def score(gold: set[Span], pred: set[Span]) -> dict[str, dict]:
    """Per-entity precision, recall, F1 (exact spans) plus overlap-F1 as a diagnostic."""
    by_unit: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for key, ent, s, e in gold:
        by_unit[(key, ent)].append((s, e))
    pred_by_unit: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for key, ent, s, e in pred:
        pred_by_unit[(key, ent)].append((s, e))

    def overlaps(spans, s, e):
        return any(s < e2 and s2 < e for s2, e2 in spans)

    out = {}
    for ent in sorted({g[1] for g in gold} | {p[1] for p in pred}):
        g = {x for x in gold if x[1] == ent}
        p = {x for x in pred if x[1] == ent}
        tp = len(g & p)
        o_tp_p = sum(overlaps(by_unit[(k, ent)], s, e) for k, _, s, e in p)
        o_tp_g = sum(overlaps(pred_by_unit[(k, ent)], s, e) for k, _, s, e in g)
        prec = tp / len(p) if p else 0.0
        rec = tp / len(g) if g else 0.0
        op = o_tp_p / len(p) if p else 0.0
        orc = o_tp_g / len(g) if g else 0.0
        out[ent] = {"gold": len(g), "pred": len(p), "tp": tp, "precision": prec, "recall": rec,
                    "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                    "overlap_f1": 2 * op * orc / (op + orc) if op + orc else 0.0}
    return out


def micro(scores: dict[str, dict], entities) -> float:
    present = [e for e in entities if e in scores]
    tp = sum(scores[e]["tp"] for e in present)
    g = sum(scores[e]["gold"] for e in present)
    p = sum(scores[e]["pred"] for e in present)
    return 2 * tp / (g + p) if g + p else 0.0


def errors(gold: set[Span], pred: set[Span], texts: dict[str, str], per: int = 6) -> dict:
    """A few missed and spurious spans per entity, with their unit text."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: {"missed": [], "spurious": []})
    for kind, spans in (("missed", sorted(gold - pred)), ("spurious", sorted(pred - gold))):
        for key, ent, s, e in spans:
            bucket = out[ent][kind]
            if len(bucket) < per:
                text = texts[key]
                bucket.append({"unit": key.replace("\t", " | "), "span": text[s:e],
                               "start": s, "end": e, "text": text[:160]})
    return dict(out)


def decoy_hits(pred: set[Span], corpus: Path) -> dict[str, int]:
    """Predictions overlapping a decoy, by decoy kind."""
    by_unit = defaultdict(list)
    for d in evalset.decoys(corpus):
        by_unit[unit_key(evalset.where(d))].append((d["start"], d["end"], d["kind"]))
    counts: Counter[str] = Counter()
    for key, _ent, s, e in pred:
        for ds, de, kind in by_unit.get(key, ()):
            if s < de and ds < e:
                counts[kind] += 1
    return dict(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-presidio", action="store_true")
    ap.add_argument("--presidio-kb", type=int, default=128)
    ap.add_argument("--tries", type=int, default=5,
                    help="speed runs per input; the least CPU time counts (default 5)")
    ap.add_argument("--scan", action="store_true", help="also time gezi.pii.scan.scan_paths")
    ap.add_argument("--corpus", type=Path, default=evalset.CORPUS_DIR,
                    help="corpus directory (e.g. one made by make_corpus.py --seed N --out DIR "
                         "as a held-out set)")
    ap.add_argument("--out", type=Path, default=OUT / "pii-results.json")
    ap.add_argument("--only", nargs="*", default=None,
                    help="score only these corpus files (e.g. holdout.txt)")
    ap.add_argument("--plain", type=Path, nargs="*", default=[],
                    help="extra UTF-8 text files timed as plain text (speed only, e.g. real logs "
                         "with little personal data)")
    args = ap.parse_args()
    plain = {f.name: line_chunks(f.read_text(encoding="utf-8", errors="replace").splitlines())
             for f in args.plain}

    units = [u for u in evalset.units(args.corpus) if not args.only or u.file in args.only]
    texts = {unit_key(u.where): u.text for u in units}
    gold = {(unit_key(evalset.where(g)), g["entity"], g["start"], g["end"])
            for g in evalset.labels(args.corpus) if not args.only or g["file"] in args.only}
    chunks = text_chunks(units)
    units_mb = utf8_mb(u.text for u in units)

    g_hits, g_secs = run_gezi(units)
    result: dict = {"corpus": {"units": len(units), "labels": len(gold), "units_mb": units_mb,
                               "text_mb": utf8_mb(chunks)}}
    g_pred = set(g_hits)
    b_hits, b_secs = run_gezi_batched(units)
    result["gezi_batched"] = {"scores": score(gold, set(b_hits)), "units_mb_per_s": units_mb / b_secs,
                              "errors": errors(gold, set(b_hits), texts)}
    s_hits, _s_secs, s_info = run_gezi_scan(args.corpus, args.only)
    result["gezi_scan"] = {"scores": score(gold, set(s_hits)), **s_info,
                           "errors": errors(gold, set(s_hits), texts)}
    result["gezi"] = {"scores": score(gold, g_pred), "units_mb_per_s": units_mb / g_secs,
                      "text": gezi_text_speed(chunks, args.tries) if chunks else None,
                      "decoy_hits": decoy_hits(g_pred, args.corpus),
                      "errors": errors(gold, g_pred, texts)}
    if args.scan and chunks:
        OUT.mkdir(parents=True, exist_ok=True)
        corpus_text = OUT / "pii-corpus-text.txt"
        corpus_text.write_text("\n".join(chunks) + "\n", encoding="utf-8")
        result["gezi"]["scan"] = gezi_scan_speed(corpus_text, args.tries)
    if plain:
        result["gezi"]["plain"] = {name: gezi_text_speed(c, args.tries) for name, c in plain.items()}
        if args.scan:
            result["gezi"]["plain_scan"] = {f.name: gezi_scan_speed(f, args.tries) for f in args.plain}
    if not args.no_presidio:
        p = run_presidio(units, chunks, plain, args.presidio_kb)
        p_pred = set(p["hits"])
        result["presidio"] = {
            "scores": score(gold, p_pred), "units_mb_per_s": units_mb / p["seconds_units"],
            "text": {"mb": p["chunks_mb"], "seconds": p["seconds_chunks"],
                     "mb_per_s": p["chunks_mb"] / p["seconds_chunks"]},
            "plain": {name: {"mb": p["plain_mb"][name], "seconds": secs,
                             "mb_per_s": p["plain_mb"][name] / secs}
                      for name, secs in p["seconds_plain"].items()},
            "decoy_hits": decoy_hits(p_pred, args.corpus), "errors": errors(gold, p_pred, texts)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    report(result)


def report(result: dict) -> None:
    g = result["gezi"]
    p = result.get("presidio")
    print(f"corpus: {result['corpus']['units']} units, {result['corpus']['labels']} labels, "
          f"{result['corpus']['units_mb']:.2f} MB")
    print("\n| entity | gold | gezi P | gezi R | gezi F1 | (overlap F1) |"
          + (" Presidio P | Presidio R | Presidio F1 |" if p else ""))
    print("|---|---:|---:|---:|---:|---:|" + ("---:|---:|---:|" if p else ""))
    empty = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    for ent, s in g["scores"].items():
        row = (f"| {ent} | {s['gold']} | {s['precision']:.3f} | {s['recall']:.3f} | "
               f"**{s['f1']:.3f}** | ({s['overlap_f1']:.3f}) |")
        if p:
            q = p["scores"].get(ent, empty)
            row += f" {q['precision']:.3f} | {q['recall']:.3f} | {q['f1']:.3f} |"
        print(row)
    b = result["gezi_batched"]
    for label, ents in (("checksum-validated IDs", CHECKSUM_ENTITIES),
                        ("names + addresses", NAME_ADDRESS)):
        line = (f"micro F1 {label}: gezi {micro(g['scores'], ents):.3f} "
                f"(batched as the scanner does: {micro(b['scores'], ents):.3f})")
        if p:
            line += f", Presidio {micro(p['scores'], ents):.3f}"
        print(line)
    worse = {e: round(v["f1"], 3) for e, v in b["scores"].items()
             if v["f1"] < g["scores"].get(e, empty)["f1"] - 0.0005}
    print(f"batched run: units {b['units_mb_per_s']:.2f} MB/s; entities with lower F1 than per unit: "
          f"{worse or 'none'}")
    sc = result["gezi_scan"]
    worse = {e: round(v["f1"], 3) for e, v in sc["scores"].items()
             if v["f1"] < g["scores"].get(e, empty)["f1"] - 0.0005}
    print(f"end-to-end scan_paths on the corpus files: {sc['files_scanned']} files, "
          f"{sc['mb_per_s']:.2f} MB/s, skipped {sc['skipped'] or 'none'}; micro F1 IDs "
          f"{micro(sc['scores'], CHECKSUM_ENTITIES):.3f}, names+addresses "
          f"{micro(sc['scores'], NAME_ADDRESS):.3f}; lower F1 than per unit: {worse or 'none'}")
    print(f"\nthroughput gezi: units {g['units_mb_per_s']:.2f} MB/s"
          + (f", text {g['text']['mb_per_s']:.2f} MB/s ({g['text']['mb']:.1f} MB)" if g["text"]
             else ""))
    for name, speed in g.get("plain", {}).items():
        line = f"throughput {name}: gezi {speed['mb_per_s']:.2f} MB/s ({speed['mb']:.1f} MB)"
        if name in g.get("plain_scan", {}):
            line += f", scan_paths {g['plain_scan'][name]['mb_per_s']:.2f} MB/s"
        if p:
            q = p["plain"][name]
            line += (f", Presidio {q['mb_per_s']:.3f} MB/s ({q['mb']:.2f} MB), "
                     f"ratio {speed['mb_per_s'] / q['mb_per_s']:.0f}x")
        print(line)
    if "scan" in g:
        print(f"throughput gezi scan_paths (1 worker): {g['scan']['mb_per_s']:.2f} MB/s "
              f"({g['scan']['mb']:.1f} MB)")
    if p:
        print(f"throughput Presidio: units {p['units_mb_per_s']:.3f} MB/s, "
              f"text {p['text']['mb_per_s']:.3f} MB/s ({p['text']['mb']:.2f} MB)")
        print(f"ratio gezi/Presidio: units {g['units_mb_per_s'] / p['units_mb_per_s']:.0f}x, "
              f"text {g['text']['mb_per_s'] / p['text']['mb_per_s']:.0f}x")
    print(f"decoy hits gezi: {g['decoy_hits']}" + (f"; Presidio: {p['decoy_hits']}" if p else ""))


if __name__ == "__main__":
    main()
