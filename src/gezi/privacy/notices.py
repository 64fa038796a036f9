"""The notice to data subjects after an incident (個資事故通知), as txt, html, docx or pdf.

The wording is ``templates/breach-notice.txt`` (after seed 000 §「個資事故通知範本」); it
carries what PDPA Art 12 and Enforcement Rules Art 22 require — the facts of the incident and
the measures taken — plus what seed 000 adds: when it happened, which data and how many people,
what the person should do (165 anti-fraud line) and a contact window. Dates are ROC dates.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from gezi.core.errors import GeziError
from gezi.core.timeutil import TAIPEI, as_utc, now_utc, roc_date
from gezi.org.models import Organization
from gezi.privacy.incident_models import Incident

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("txt", "html", "docx", "pdf")
PDF_FONT = "Noto Sans CJK TC"
DOCX_FONT = "新細明體"  # PMingLiU: present on Taiwanese Windows installs that open the DOCX


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def missing_items(incident: Incident) -> list[str]:
    """What the notice would lack (ER Art 22 / seed 000); empty when it can be written."""
    missing = []
    if incident.affected <= 0:
        missing.append("影響人數 affected (--affected)")
    if not incident.data_categories:
        missing.append("受影響個資欄位 data categories (--data)")
    if not any(e.kind == "measure" for e in incident.events):
        missing.append("已採取之因應措施 measures taken (timeline --kind measure)")
    contact = incident.contact or {}
    if not (contact.get("phone") or contact.get("email")):
        missing.append("聯絡窗口 contact phone or email (--contact-phone/--contact-email)")
    return missing


def _period(incident: Incident) -> tuple[str, str]:
    start, end = incident.occurred_from, incident.occurred_to
    if start and end:
        return f"疑似於{roc_date(start)}至{roc_date(end)}期間", \
            f"{roc_date(start)}至{roc_date(end)}期間之相關資料，"
    if start:
        return f"疑似自{roc_date(start)}起", f"{roc_date(start)}起之相關資料，"
    return "", ""


def notice_text(org: Organization, incident: Incident, name: str | None = None,
                on: date | None = None) -> str:
    """The notice as plain text, addressed to ``name`` (or to members in general)."""
    missing = missing_items(incident)
    if missing:
        raise GeziError("通知內容不完整 the notice lacks: " + "；".join(missing))
    contact = incident.contact or {}
    period_clause, scope_clause = _period(incident)
    measures = [e.text for e in incident.events if e.kind == "measure"]
    channels = "；".join(f"{label}：{contact[key]}" for key, label in
                        (("phone", "電話"), ("email", "電子信箱")) if contact.get(key))
    values = {
        "greeting": f"{name} 您好：" if name else "親愛的消費者／會員您好：",
        "company": org.name,
        "found_date": roc_date(incident.detected_at),
        "how_found": incident.how_found or "發現本事故",
        "period_clause": period_clause,
        "title": incident.title,
        "cause_clause": f"事故原因為{incident.cause}。" if incident.cause
        else "事故原因仍在調查中，查明後將以適當方式通知您。",
        "scope_clause": scope_clause,
        "affected": f"{incident.affected:,}",
        "categories": "、".join(incident.data_categories),
        "investigation_clause": f"本公司已委請{incident.investigator}調查事故發生原因，查明後將以"
        "適當方式通知您。" if incident.investigator else "",
        "measures": "\n".join(f"{n}. {text}" for n, text in enumerate(measures, 1)),
        "fraud_clause": f"詐騙集團可能以{incident.fraud_warning}等手法誆騙您。"
        if incident.fraud_warning else "詐騙集團可能利用外洩資料冒用本公司名義與您聯繫。",
        "hours": contact.get("hours") or "上班時間",
        "channels": channels,
        "after_hours_clause": f"上班時間以外請以{contact['after_hours']}聯絡本公司。"
        if contact.get("after_hours") else "",
        "notice_date": roc_date(on or as_utc(now_utc()).astimezone(TAIPEI).date()),
    }
    return _template("breach-notice.txt").substitute(values)


def subject(org: Organization) -> str:
    """The mail subject / document title."""
    return f"【個資事故通知】{org.name}"


@dataclass(frozen=True)
class Block:
    """A piece of the notice: heading, paragraph, numbered item or signature line."""

    kind: str
    text: str


_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_ITEM = re.compile(r"^\d+\.\s+")


def blocks(text: str) -> list[Block]:
    """Split the rendered text into blocks; the last two paragraphs are the signature."""
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    out: list[Block] = []
    for n, para in enumerate(paragraphs):
        if n >= len(paragraphs) - 2:
            out.append(Block("sign", para.strip()))
            continue
        for line in para.splitlines():
            if not line.strip():
                continue
            if _HEADING.match(line):
                out.append(Block("heading", line.strip()))
            elif _ITEM.match(line):
                out.append(Block("item", _ITEM.sub("", line.strip())))
            else:
                out.append(Block("para", line.strip()))
    return out


def to_html(title: str, text: str) -> str:
    """The notice as a standalone HTML page (also the source of the PDF)."""
    parts: list[str] = []
    in_list = False
    for b in blocks(text):
        if b.kind == "item" and not in_list:
            parts.append("<ol>")
            in_list = True
        if b.kind != "item" and in_list:
            parts.append("</ol>")
            in_list = False
        esc = html.escape(b.text)
        parts.append({"heading": f"<h2>{esc}</h2>", "item": f"<li>{esc}</li>",
                      "para": f"<p>{esc}</p>", "sign": f'<p class="sign">{esc}</p>'}[b.kind])
    if in_list:
        parts.append("</ol>")
    return _template("breach-notice.html").substitute(title=html.escape(title),
                                                      body="\n".join(parts))


def _write_docx(title: str, text: str, out: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_FONT)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold, run.font.size = True, Pt(16)
    for b in blocks(text):
        if b.kind == "item":
            doc.add_paragraph(b.text, style="List Number")
        elif b.kind == "heading":
            doc.add_paragraph().add_run(b.text).bold = True
        else:
            para = doc.add_paragraph(b.text)
            if b.kind == "sign":
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.save(str(out))


def _check_cjk_font() -> None:
    """Refuse to make a PDF of empty boxes: WeasyPrint needs a Traditional Chinese font."""
    if shutil.which("fc-list") is None:
        raise GeziError("PDF 需要 fontconfig 與 Noto CJK 字型 PDF needs fontconfig and "
                        "fonts-noto-cjk (apt-get install fonts-noto-cjk)")
    fonts = subprocess.run(["fc-list", ":lang=zh-tw", "family"], capture_output=True,
                           text=True, check=False).stdout
    if PDF_FONT not in fonts:
        raise GeziError(f"找不到 {PDF_FONT} 字型 font missing: apt-get install fonts-noto-cjk")


def _write_pdf(title: str, text: str, out: Path) -> None:
    _check_cjk_font()
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/GObject libraries missing
        raise GeziError(f"PDF 需要 WeasyPrint 與 Pango PDF needs WeasyPrint and Pango: {exc}") \
            from None
    HTML(string=to_html(title, text)).write_pdf(str(out))


def write_notice(org: Organization, incident: Incident, fmt: str, out: Path,
                 on: date | None = None) -> Path:
    """Write the notice (addressed to members in general) in one of FORMATS."""
    if fmt not in FORMATS:
        raise GeziError(f"未知的格式 unknown format {fmt!r}; use {', '.join(FORMATS)}")
    if out.parent and not out.parent.exists():
        raise GeziError(f"目錄不存在 directory does not exist: {out.parent}")
    text = notice_text(org, incident, on=on)
    title = subject(org)
    try:
        if fmt == "txt":
            out.write_text(text, encoding="utf-8")
        elif fmt == "html":
            out.write_text(to_html(title, text), encoding="utf-8")
        elif fmt == "docx":
            _write_docx(title, text, out)
        else:
            _write_pdf(title, text, out)
    except OSError as exc:
        raise GeziError(f"無法寫入 cannot write {out}: {exc.strerror or exc}") from None
    return out
