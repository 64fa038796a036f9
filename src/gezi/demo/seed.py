"""Create (or reuse) the fictional 示範購物股份有限公司 with a partly completed assessment."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gezi.catalog.applicability import framework_applies
from gezi.catalog.loader import load_catalogs
from gezi.compliance.assessments import (
    items_for,
    list_assessments,
    set_result,
    start_assessment,
)
from gezi.compliance.controls import add_control, link_control
from gezi.compliance.evidence import add_evidence, link_evidence
from gezi.core.settings import Settings
from gezi.org.models import Organization
from gezi.org.service import add_org

DEMO_NAME = "示範購物股份有限公司"
# Fictional; 12345675 passes the 2023 mod-5 check and is used only by the demo.
DEMO_UBN = "12345675"
# Verdicts cycle so every domain shows a mix; None leaves an item unassessed.
PATTERN = ("compliant", "compliant", "partial", "compliant", "noncompliant", None, "na",
           "compliant", None, None)
NOTES = {"compliant": "已訂定程序並留存紀錄", "partial": "已有程序，紀錄不完整",
         "noncompliant": "尚未建立，列入改善計畫", "na": "本公司無此業務"}


def ensure_demo(session: Session, settings: Settings) -> tuple[Organization, bool]:
    """The demo organization and whether it was created now (re-running reuses it)."""
    org = session.scalar(sa.select(Organization).where(Organization.ubn == DEMO_UBN))
    if org is not None:
        return org, False
    org = add_org(session, name=DEMO_NAME, ubn=DEMO_UBN, industry="ecommerce",
                  capital=15_000_000, records=80_000)
    cats = load_catalogs()
    for fw in sorted(cats.frameworks.values(), key=lambda f: f.id):
        if not framework_applies(fw, org.facts()):
            continue
        a = start_assessment(session, org, fw.id, period="2026")
        for item, verdict in zip(items_for(session, a), itertools.cycle(PATTERN), strict=False):
            if verdict is not None:
                set_result(session, a, item.id, verdict, NOTES[verdict], "demo")
    _demo_control(session, settings, org)
    return org, True


def _demo_control(session: Session, settings: Settings, org: Organization) -> None:
    """A cross-framework control with one evidence file, to show evidence on linked items."""
    control = add_control(session, org, code="TRAIN-ANNUAL", name="每年個資保護教育訓練",
                          frequency="annual", owner="個資管理人員")
    cats = load_catalogs()
    for fw in cats.frameworks.values():
        if not framework_applies(fw, org.facts()):
            continue
        for item in fw.items:
            if "訓練" in item.name.zh or "training" in (item.name.en or "").lower():
                link_control(session, control, f"{fw.id}:{item.id}")
                break
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "2026-個資教育訓練簽到表.txt"
        record.write_text("115年度個人資料保護教育訓練簽到表（示範資料）\n出席 42 人，時數 3 小時\n",
                          encoding="utf-8")
        ev = add_evidence(session, settings, org_id=org.id, path=record,
                          kind="awareness_training", actor="demo", title="115年度個資教育訓練紀錄")
    link_evidence(session, ev, "control", str(control.id))


def demo_assessments(session: Session, org: Organization):
    """The demo organization's assessments, newest first."""
    return list_assessments(session, org)
