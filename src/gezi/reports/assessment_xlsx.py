"""Export an assessment (items, verdicts, evidence, findings, scores) as an Excel workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gezi.compliance.models import FINDING_STATUS_ZH, RESULT_ZH
from gezi.core.timeutil import show_date
from gezi.reports.xlsx import add_sheet, new_workbook, save


def export_assessment(view: dict[str, Any], path: Path, roc: bool = False) -> Path:
    """Write the assessment view to an XLSX file with 評鑑結果, 構面分數 and 缺失追蹤 sheets."""
    wb = new_workbook()
    add_sheet(
        wb, "評鑑結果",
        ["構面", "項目編號", "項目名稱", "查核重點", "頻率", "評鑑結果", "說明", "控制措施",
         "佐證資料 (SHA-256)", "來源", "評鑑人員", "評鑑日期"],
        [[i["domain_name"], i["id"], i["name"], i["requirement"], i["frequency"] or "",
          RESULT_ZH.get(i["result"] or "", "未評鑑"), i["note"] or "", i["controls"],
          [f"{e['filename']} ({e['sha256'][:12]}…)" for e in i["evidence"]], i["source"],
          i["assessed_by"] or "", show_date(i["assessed_at"], roc)]
         for i in view["items"]],
        widths=[14, 10, 28, 50, 8, 10, 30, 16, 30, 30, 10, 12])
    s = view["scores"]
    rows = [[d["name"], d["applicable"], d["compliant"], d["partial"], d["noncompliant"], d["na"],
             d["unassessed"], d["score"]] for d in s["domains"]]
    o = s["overall"]
    rows.append(["整體 overall", o["applicable"], o["compliant"], o["partial"], o["noncompliant"],
                 o["na"], o["unassessed"], o["score"]])
    if "deduction_points" in s:
        rows.append(["查核缺失扣分 deduction points", s["deduction_points"]])
    if "risk_block" in s:
        rows.append(["風險區塊 risk block", s["risk_block"]["name"], s["risk_block"]["note"]])
    add_sheet(wb, "構面分數",
              ["構面", "項目數", "符合", "部分符合", "不符合", "不適用", "未評鑑", "分數(%)"],
              rows, widths=[24, 10, 8, 10, 8, 8, 8, 10])
    findings = [i for i in view["items"] if i["finding"]]
    add_sheet(wb, "缺失追蹤",
              ["缺失編號", "項目編號", "項目名稱", "評鑑結果", "負責人", "改善期限", "狀態"],
              [[i["finding"]["id"], i["id"], i["name"], RESULT_ZH.get(i["result"] or "", ""),
                i["finding"]["owner"] or "", show_date(i["finding"]["due_date"], roc),
                FINDING_STATUS_ZH.get(i["finding"]["status"], i["finding"]["status"])]
               for i in findings],
              widths=[10, 10, 30, 10, 14, 12, 10])
    info = view
    add_sheet(wb, "評鑑資訊", ["欄位", "內容"], [
        ["組織", f"{info['org']['name']}（統一編號 {info['org']['ubn']}）"],
        ["框架", f"{info['framework']['name']} ({info['framework']['id']} v"
                 f"{info['framework']['version']})"],
        ["期間", info["period"]], ["狀態", info["status"]],
        ["開始日期", show_date(info["started_at"], roc)],
    ], widths=[14, 60])
    return save(wb, path)
