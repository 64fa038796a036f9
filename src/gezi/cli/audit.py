"""`gezi audit`: the hash-chained audit trail of the register."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import sqlalchemy as sa
import typer

from gezi.cli.common import JsonOpt, RocOpt, console, err_console, fail, print_json, table
from gezi.cli.common import register as open_register
from gezi.core import audit
from gezi.core.timeutil import TAIPEI, iso, show_date

app = typer.Typer(help="稽核軌跡 The hash-chained audit trail.", no_args_is_help=True)


@app.command("verify")
def verify(json_out: JsonOpt = False) -> None:
    """驗證稽核軌跡 Verify the chain; exit 1 naming the first bad entry."""
    with open_register() as session:
        r = audit.verify(session)
    if json_out:
        print_json({"ok": r.ok, "entries": r.entries, "first_bad": r.first_bad,
                    "reason": r.reason, "head_hash": r.head_hash,
                    "personal_values": r.personal_values, "erased_values": r.erased_values})
    elif r.ok:
        console.print(f"稽核軌跡完整 audit trail intact: {r.entries} entries"
                      + (f", head {r.head_hash}" if r.head_hash else "")
                      + f"; 個資值 personal values {r.personal_values} match their commitments"
                      + (f", {r.erased_values} erased" if r.erased_values else ""))
    else:
        err_console.print(f"稽核軌跡遭竄改 audit trail broken at entry {r.first_bad}: {r.reason}")
    if not r.ok:
        raise typer.Exit(1)


def _changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """Names of the columns an update changed (empty for inserts and deletes)."""
    if before is None or after is None:
        return []
    return sorted(k for k in after.keys() | before.keys() if before.get(k) != after.get(k))


def _when(ts: str, roc: bool) -> str:
    """An entry's stored UTC time as Taipei date (Gregorian or ROC) and time of day."""
    at = dt.datetime.fromisoformat(ts).astimezone(TAIPEI)
    return f"{show_date(at.date(), roc)} {at:%H:%M:%S}"


@app.command("log")
def log(
    table_name: Annotated[str | None, typer.Option("--table", help="只看某資料表 One table.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="筆數 Number of entries.")] = 50,
    show_values: Annotated[bool, typer.Option(
        "--show-values", help="顯示異動前後內容（可能含個資）Include before/after values (may hold "
        "personal data).")] = False,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """顯示最近的異動 Show recent changes (who, when, what)."""
    with open_register() as session:
        rows = audit.history(session, table_name, limit)
        shown = audit.reveal(session, rows)
        docs = []
        for e in rows:
            # Commitments share a salt within an entry, so comparing them finds changed fields
            # without reading (or needing) the personal values.
            doc = {"seq": e.seq, "ts": iso(dt.datetime.fromisoformat(e.ts)), "actor": e.actor,
                   "action": e.action, "table": e.table_name, "row": e.row_key,
                   "fields": _changed_fields(e.before, e.after), "erased": shown[e.seq].erased,
                   "hash": e.hash}
            if show_values:
                doc |= {"before": shown[e.seq].before, "after": shown[e.seq].after}
            docs.append(doc)
    if json_out:
        print_json({"entries": docs})
        return
    table("稽核軌跡 Audit trail", ["#", "時間", "人員", "動作", "資料表", "列", "欄位"],
          [[d["seq"], _when(d["ts"], roc), d["actor"], d["action"], d["table"], d["row"],
            ", ".join(d["fields"]) + (f"；{', '.join(d['erased'])} {audit.ERASED}" if d["erased"] else "")]
           for d in docs])


def _request_targets(session: sa.orm.Session, request_id: int) -> list[tuple[str, str]]:
    """The rows the audit trail holds about a data-subject request's subject: the request,
    other requests and opt-outs with the same keyed contact digest (e-mail or phone, an exact
    identifier). Same-name requests are not included: 王小明 is many people."""
    from gezi.privacy.ops_models import DataSubjectRequest, MarketingOptOut, fits_int

    req = session.get(DataSubjectRequest, request_id) if fits_int(request_id) else None
    if req is None:
        fail(f"找不到請求 no request #{request_id}")
    targets = [("privacy_requests", str(req.id))]
    if req.contact_digest:
        same = sa.select(DataSubjectRequest.id).where(DataSubjectRequest.contact_digest == req.contact_digest,
                                                      DataSubjectRequest.org_id == req.org_id,
                                                      DataSubjectRequest.id != req.id)
        targets += [("privacy_requests", str(i)) for i in session.scalars(same.order_by(DataSubjectRequest.id))]
        opt = sa.select(MarketingOptOut.id).where(MarketingOptOut.digest == req.contact_digest,
                                                  MarketingOptOut.org_id == req.org_id)
        targets += [("marketing_optouts", str(i)) for i in session.scalars(opt.order_by(MarketingOptOut.id))]
    # Rows never written since the upgrade may have no entries (a register older than the trail
    # holds none); only rows the trail recorded are erasable.
    recorded = audit.AuditEntry
    keep = []
    for t, k in targets:
        if session.scalar(sa.select(recorded.seq).where(recorded.table_name == t, recorded.row_key == k).limit(1)):
            keep.append((t, k))
    return keep


def _plan_doc(plan: audit.ErasePlan) -> dict:
    return {"targets": [{"table": t, "row": k} for t, k in plan.targets], "entries": plan.entries,
            "values": plan.values, "columns": plan.columns, "in_chain": plan.in_chain}


@app.command("erase")
def erase(
    table_name: Annotated[str | None, typer.Option("--table", help="資料表 Table of the row.")] = None,
    rows: Annotated[list[str] | None, typer.Option("--row", help="資料列鍵值（可重複）Row key, e.g. 12 "
                                                   "(repeatable).")] = None,
    request_id: Annotated[int | None, typer.Option(
        "--request", help="當事人請求 #N：該請求及同一聯絡方式之請求與拒絕行銷 A data-subject request, "
        "its subject's other requests and opt-outs with the same contact.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="刪除理由或法律依據（勿寫入個資）Reason or legal "
                                        "basis, e.g. 個資法第11條第3項; no personal data.")] = "",
    yes: Annotated[bool, typer.Option("--yes", help="不再確認 Do not ask for confirmation.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """刪除稽核軌跡中的個資 Erase the personal values the audit trail keeps for rows (PDPA Art 11).

    The chain keeps a salted commitment of each value, so it still verifies; the erasure itself
    is recorded as an entry (who, when, which rows and columns, the reason — no values).
    """
    if request_id is not None and (table_name or rows):
        fail("--request 不可與 --table/--row 並用 give either --request or --table with --row")
    if request_id is None and not (table_name and rows):
        fail("請指定 --table 與 --row，或 --request give --table T --row KEY, or --request N")
    reason = audit.erasure_reason(reason)  # before asking: a reason holding a name is refused
    with open_register() as session:
        if request_id is not None:
            targets = _request_targets(session, request_id)
        else:
            targets = [(table_name or "", r.strip()) for r in rows or []]
        plan = audit.plan_erasure(session, targets)
    if plan.values and not yes:
        if not sys.stdin.isatty():
            fail("需要確認 confirmation needed: run in a terminal or add --yes")
        err_console.print(f"將刪除 will erase {plan.values} personal values ({', '.join(plan.columns)}) "
                          f"in {len(plan.entries)} entries of "
                          + ", ".join(f"{t} {k}" for t, k in plan.targets) + "; this cannot be undone.")
        if not typer.confirm("確定刪除？ Erase?", err=True):
            fail("未刪除 nothing erased")
    if plan.values:
        with open_register() as session:
            plan = audit.erase(session, targets, reason)
    doc = {"erased": bool(plan.values), "erasure_entry": plan.erasure_seq, **_plan_doc(plan)}
    if json_out:
        print_json(doc)
        return
    if plan.values:
        console.print(f"已刪除 erased {plan.values} personal values ({', '.join(plan.columns)}) in "
                      f"{len(plan.entries)} entries; recorded as entry #{plan.erasure_seq}")
    else:
        console.print("沒有可刪除的個資值 nothing to erase (already erased, or never recorded outside the chain)")
    if plan.in_chain:
        console.print(f"注意 note: {len(plan.in_chain)} entries written before the upgrade hold personal values "
                      f"inside the chain and cannot be erased without re-sealing it (docs/audit.md): "
                      + ", ".join(f"#{s}" for s in plan.in_chain[:20]))


def register(root: typer.Typer) -> None:
    """Add `gezi audit`."""
    root.add_typer(app, name="audit")
