"""`gezi optout`: marketing refusals (拒絕行銷, PDPA Art 20(2)–(3)) and the suppression list."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer

from gezi.cli.common import JsonOpt, OrgOpt, RocOpt, console, print_json, settings, table
from gezi.cli.common import register as reg
from gezi.core.errors import GeziError
from gezi.core.settings import Settings
from gezi.core.timeutil import parse_datetime, show_date
from gezi.org.service import resolve_org
from gezi.privacy import optout as svc
from gezi.privacy.ops_models import OPTOUT_CHANNELS

app = typer.Typer(help="拒絕行銷 Marketing opt-outs and the suppression list.", no_args_is_help=True)
channel_app = typer.Typer(help="首次行銷之免費拒絕管道 The free opt-out offered at first marketing.",
                          no_args_is_help=True)
app.add_typer(channel_app, name="channel")

EmailOpt = Annotated[str | None, typer.Option("--email", help="電子郵件 E-mail address.")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="電話 Phone number (TW by default).")]
MemberOpt = Annotated[str | None, typer.Option("--member-id", help="會員編號 Member id.")]
ChannelOpt = Annotated[str, typer.Option("--channel", help=" | ".join(OPTOUT_CHANNELS))]


def _identifiers(s: Settings, email: str | None, phone: str | None, member_id: str | None) -> list[svc.Identifier]:
    given = [("email", email), ("phone", phone), ("member_id", member_id)]
    idents = [svc.identify(s, kind, value) for kind, value in given if value is not None]
    if not idents:
        raise GeziError("請至少提供一個識別碼 give --email, --phone or --member-id")
    return idents


@app.command("add")
def add(
    channel: ChannelOpt = "all",
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    member_id: MemberOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="表示拒絕之時間 ISO 8601 (default now).")] = None,
    source: Annotated[str | None, typer.Option("--source", help="如何收到 How it was received.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄拒絕行銷（立即停止）Record a refusal of marketing; identifiers are stored hashed."""
    s = settings()
    when = parse_datetime(since) if since is not None else None
    with reg() as session:
        o = resolve_org(session, org)
        results = [svc.add_optout(session, s, o, ident, channel, s.who, since=when, source=source)
                   for ident in _identifiers(s, email, phone, member_id)]
        docs = [{"id": row.id, "id_type": row.id_type, "identifier": row.masked, "channel": row.channel,
                 "since": row.since, "created": created} for row, created in results]
    if json_out:
        print_json({"optouts": docs})
        return
    for d in docs:
        state = "已記錄 recorded" if d["created"] else "已存在 already recorded"
        console.print(f"{state}: {d['identifier']} ({svc.CHANNEL_ZH[d['channel']]}) since {show_date(d['since'])}")


@app.command("check")
def check(
    channel: ChannelOpt = "all",
    email: EmailOpt = None,
    phone: PhoneOpt = None,
    member_id: MemberOpt = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
    roc: RocOpt = False,
) -> None:
    """可否行銷 May this person be sent marketing on a channel? (exit 0 either way)"""
    s = settings()
    with reg() as session:
        doc = svc.check_optout(session, s, resolve_org(session, org), _identifiers(s, email, phone, member_id),
                               channel)
    if json_out:
        print_json(doc)
    elif doc["allowed"]:
        console.print(f"可行銷 allowed ({svc.CHANNEL_ZH[channel]})")
    else:
        console.print(f"不可行銷 NOT allowed ({svc.CHANNEL_ZH[channel]}): 已於 "
                      f"{show_date(parse_datetime(doc['since']), roc)} 表示拒絕")


@app.command("export")
def export(
    hashed: Annotated[bool, typer.Option(
        "--hashed", help="輸出金鑰雜湊 Digests (HMAC-SHA256) instead of masked identifiers.")] = False,
    channel: Annotated[str | None, typer.Option(
        "--channel", help="只列阻擋此管道者 Only refusals blocking it.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="寫入 CSV 檔 Write CSV here.")] = None,
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """匯出排除名單 Export the suppression list (CSV on stdout or --out; --json)."""
    with reg() as session:
        rows = svc.export_rows(svc.list_optouts(session, resolve_org(session, org), channel), hashed)
    fields = ["id_type", "channel", "since"] + (["digest", "scheme", "key_id"] if hashed else ["identifier"])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if out:  # --out is written with or without --json
        try:
            out.write_text(buf.getvalue(), encoding="utf-8")
        except OSError as exc:
            raise GeziError(f"無法寫入 cannot write {out}: {exc.strerror}") from None
    if json_out:
        print_json({"hashed": hashed, "count": len(rows), "out": out, "optouts": rows})
    elif out:
        console.print(f"已匯出 {len(rows)} 筆 exported {len(rows)} entries to {out}")
    else:
        typer.echo(buf.getvalue(), nl=False)


@app.command("filter")
def filter_cmd(
    source: Annotated[Path, typer.Argument(help="行銷名單 CSV Marketing contact list (CSV, UTF-8 or Big5).")],
    column: Annotated[str, typer.Option("--column", help="識別碼欄位名稱 Column holding the identifier.")],
    out: Annotated[Path, typer.Option("--out", help="排除後之名單 Where to write the allowed rows.")],
    id_type: Annotated[str, typer.Option("--type", help="email | phone | member_id")] = "email",
    channel: ChannelOpt = "all",
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """自行銷名單排除拒絕行銷者 Remove people who refused marketing from a contact list."""
    s = settings()
    with reg() as session:
        doc = svc.filter_contacts(session, s, resolve_org(session, org), source, out, column=column,
                                  id_type=id_type, channel=channel)
    if json_out:
        print_json(doc)
        return
    console.print(f"{doc['rows']} 筆：可行銷 allowed {doc['allowed']}，排除 suppressed {doc['suppressed']}，"
                  f"無效 invalid {doc['invalid']} → {doc['out']}")
    for item in doc["invalid_sample"]:
        console.print(f"  無效 invalid line {item['line']}: {item['value']}")


@app.command("list")
def list_cmd(org: OrgOpt = None, json_out: JsonOpt = False, roc: RocOpt = False) -> None:
    """列出拒絕行銷紀錄（遮罩）List refusals (masked)."""
    with reg() as session:
        rows = svc.export_rows(svc.list_optouts(session, resolve_org(session, org)), hashed=False)
    if json_out:
        print_json({"optouts": rows})
        return
    table("拒絕行銷 Opt-outs", ["類型", "識別碼", "管道", "自"],
          [[r["id_type"], r["identifier"], svc.CHANNEL_ZH[r["channel"]], show_date(parse_datetime(r["since"]), roc)]
           for r in rows])


@channel_app.command("set")
def channel_set(
    channel: ChannelOpt,
    description: Annotated[str, typer.Option(
        "--description", help="說明 e.g. 電子報底部「取消訂閱」連結，免費")],
    org: OrgOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """記錄首次行銷時提供之免費拒絕管道 Record the free opt-out offered at first marketing (Art 20(3))."""
    s = settings()
    with reg() as session:
        doc = svc.set_first_marketing_channel(session, resolve_org(session, org), channel, description, s.who)
    if json_out:
        print_json(doc)
    else:
        console.print(f"已記錄 recorded: {svc.CHANNEL_ZH[doc['channel']]} — {doc['description']}")


@channel_app.command("show")
def channel_show(org: OrgOpt = None, json_out: JsonOpt = False) -> None:
    """顯示首次行銷拒絕管道 Show the recorded first-marketing opt-out channel."""
    with reg() as session:
        doc = svc.first_marketing_channel(resolve_org(session, org))
    if json_out:
        print_json({"channel": doc})
    elif doc is None:
        console.print("尚未記錄 not recorded yet: `gezi optout channel set --channel … --description …`")
    else:
        console.print(f"{svc.CHANNEL_ZH[doc['channel']]} — {doc['description']} ({doc['source']})")


def register(root: typer.Typer) -> None:
    """Add `gezi optout`."""
    root.add_typer(app, name="optout")
