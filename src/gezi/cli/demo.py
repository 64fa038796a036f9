"""`gezi demo`: the main job on embedded defaults — a demo organization and its status."""

from __future__ import annotations

import typer
from rich.text import Text

from gezi.cli.assess import print_scores
from gezi.cli.common import JsonOpt, console, print_json, settings, table
from gezi.compliance.views import assessment_view
from gezi.core.db import init_db, safe_url, session_scope
from gezi.demo.seed import demo_assessments, ensure_demo


def demo(json_out: JsonOpt = False) -> None:
    """示範：建立示範組織並顯示各框架、各構面的遵循狀態 Demo organization and its status."""
    s = settings()
    init_db(s)
    with session_scope(s) as session:
        org, created = ensure_demo(session, s)
        views = [assessment_view(session, a) for a in demo_assessments(session, org)]
    if json_out:
        print_json({"organization": {"id": org.id, "name": org.name, "ubn": org.ubn},
                    "created": created,
                    "assessments": [{"id": v["id"], "framework": v["framework"],
                                     "scores": v["scores"]} for v in views]})
        return
    console.print(Text.assemble((org.name, "bold"), f"（統一編號 {org.ubn}，資本額 NT${org.capital:,}，"
                                f"個資 {org.records:,} 筆）— {'已建立 created' if created else '沿用 reused'}"))
    console.print(f"登錄資料庫 register: {safe_url(s.db_url)}")
    table("遵循狀態總覽 Compliance status by framework",
          ["框架", "版本", "適用項目", "已評鑑", "分數", "缺失（不符合＋部分符合）"],
          [[v["framework"]["name"], v["framework"]["version"], v["scores"]["overall"]["applicable"],
            v["scores"]["overall"]["assessed"],
            "—" if v["scores"]["overall"]["score"] is None else f"{v['scores']['overall']['score']}%",
            v["scores"]["overall"]["noncompliant"] + v["scores"]["overall"]["partial"]]
           for v in views])
    for v in views:
        console.rule(f"{v['framework']['name']}（{v['framework']['id']} v"
                     f"{v['framework']['version']}）評鑑 #{v['id']}")
        print_scores(v["scores"])
    console.print("下一步 next: `gezi assess show ID`、`gezi findings list`、"
                  "`gezi assess export ID --xlsx 評鑑.xlsx`")


def register(app: typer.Typer) -> None:
    """Add `gezi demo`."""
    app.command("demo")(demo)
