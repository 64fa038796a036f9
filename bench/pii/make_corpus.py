"""Generate gezi's labelled, fully synthetic PII evaluation corpus (bench/pii/corpus/).

Every value is made up here: IDs are built to pass (or, for decoys, to fail) the checksums of
``gezi.core.twid``; phones are checked against the ``phonenumbers`` TW metadata; names and
addresses are random combinations of common surnames, given-name characters and place names.

Output (deterministic for a given --seed, committed to the repository):
  corpus/manifest.json  files with their kind (text | csv | xlsx | jsonl) and encoding
  corpus/*.txt, *.csv   the documents (one Big5/CP950 CSV, one UTF-8-BOM CSV, UTF-8 text)
  corpus/labels.jsonl   one gold span per line: file, line (text, 1-based) or row (1-based, the
                        header is row 1, as in `gezi pii scan`) + column (header name), start, end (0-based
                        code-point offsets in the decoded line or cell, end exclusive), entity,
                        value
  corpus/decoys.jsonl   look-alikes that are NOT personal data of that kind, same location
                        fields plus kind (bad_* kinds fail their checksum)

Span conventions (what a recognizer is scored against, character-exact):
  * phone numbers include parentheses, +886 prefixes, separators and an extension
    (``#123``, ``分機 123``, ``ext. 12``);
  * addresses run from the postal code (when written) or the county/city to the last unit
    (號 / 樓 / 室), without trailing words;
  * names are the name only, without titles (先生/小姐) or labels;
  * dates of birth are the date only; bank accounts are the account number without the bank code.

Run: ``.venv/bin/python bench/pii/make_corpus.py`` (then commit bench/pii/corpus/).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from gezi.core.twid import national_id_is_valid, old_resident_cert_is_valid, ubn_is_valid
from gezi.pii.validators import chinese_numeral

CORPUS_DIR = Path(__file__).parent / "corpus"

SURNAMES = list("陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴")
DOUBLE_SURNAMES = ["歐陽", "張簡", "范姜", "周黃", "司馬", "諸葛"]
GIVEN = list("志明怡君雅婷宗翰家豪淑芬美玲建宏俊傑佳穎欣冠宇承恩子涵柏詩品妤宜庭彥廷立偉文華國強秀英麗珍惠如"
             "瑋琪嘉慧信安靜儀凱翔育誠筱晴郁璇哲維孟勳振")
LATIN_SURNAMES = ["Chen", "Lin", "Huang", "Chang", "Li", "Wang", "Wu", "Liu", "Tsai", "Yang"]
LATIN_GIVEN = ["Yi-Jun", "Hsiao-Ming", "Shu-Fen", "Chih-Hao", "Ya-Ting", "Tsung-Han", "Chia-Hao",
               "Mei-Ling", "Chien-Hung", "Pei-Yu"]

# County/city → district → roads. Real place names; house numbers are random.
PLACES: dict[str, dict[str, list[str]]] = {
    "臺北市": {"大安區": ["和平東路", "復興南路", "信義路"], "中正區": ["重慶南路", "羅斯福路"],
             "信義區": ["松仁路", "基隆路"], "士林區": ["中正路", "文林路"]},
    "新北市": {"板橋區": ["文化路", "中山路"], "新店區": ["北新路"], "三重區": ["重新路"],
             "林口區": ["文化三路"]},
    "桃園市": {"中壢區": ["中正路", "中華路"], "桃園區": ["復興路"]},
    "臺中市": {"西屯區": ["臺灣大道", "文心路"], "北區": ["三民路"]},
    "臺南市": {"東區": ["東門路"], "安平區": ["安平路"]},
    "高雄市": {"前鎮區": ["中山二路"], "苓雅區": ["四維三路"], "左營區": ["博愛二路"]},
    "新竹市": {"東區": ["光復路"]},
    "新竹縣": {"竹北市": ["光明六路"]},
    "彰化縣": {"彰化市": ["中山路"], "員林市": ["大同路"]},
    "宜蘭縣": {"羅東鎮": ["中正路"]},
    "花蓮縣": {"花蓮市": ["中山路"]},
    "屏東縣": {"屏東市": ["自由路"]},
    "雲林縣": {"斗六市": ["大學路"]},
    "臺東縣": {"臺東市": ["中華路"]},
    "南投縣": {"埔里鎮": ["中山路"]},
}
VILLAGES = ["福德里", "民生里", "中正里", "光明里", "仁愛里", "大同村", "永安村"]
# A second vocabulary for hard.txt: surnames and given-name characters the other files never
# use, so a recognizer tuned on the rest is also measured on names it has not seen.
ALT_SURNAMES = list("鄧馮曹薛丁卓阮董唐藍石蔣古紀姚連程湯田康姜白汪鄒尤巫黎龔嚴韓袁")
ALT_GIVEN = list("振興玉蘭淑惠志遠美華宗憲麗卿俊男春生碧霞家銘素貞明德秋菊文雄慧敏國華月娥正義")
# Sentences full of surname characters that are not names (precision check for PERSON_NAME).
NOT_NAMES = ["許多客戶反映周末高雄門市很忙，何時可以方便處理？", "馬上幫您確認金額，成功後會通知。",
             "林口倉庫的黃金週活動已經結束。", "曾經有人詢問江湖傳說的周邊商品。", "方便的話請高興地告訴我們。",
             "王品餐券兌換期限到月底。", "施工期間造成不便，敬請見諒。", "程式更新後，溫度顯示正常。"]
FULLWIDTH = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-",
                          "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ－")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # new plates skip I and O
EMAIL_DOMAINS = ["gmail.com", "yahoo.com.tw", "hotmail.com", "example.com.tw", "mail.example.org"]
SEED = 20240501
CHECKSUM_DECOYS = {"bad_national_id", "bad_resident_cert", "bad_ubn", "bad_credit_card"}


def luhn_is_valid(number: str) -> bool:
    """Luhn check (ISO/IEC 7812) on a string of ASCII digits."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def passes_any_checksum(value: str) -> bool:
    """True if the value is a valid national ID, resident certificate, UBN or Luhn number."""
    if national_id_is_valid(value) or old_resident_cert_is_valid(value) or ubn_is_valid(value):
        return True
    return value.isascii() and value.isdigit() and luhn_is_valid(value)


def fullwidth(text: str) -> str:
    """ASCII digits, capitals and '-' as full-width forms."""
    return text.translate(FULLWIDTH)


class Gen:
    """Random makers of valid values and of checksum-invalid look-alikes."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def chars(self, n: int, alphabet: str) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def digits(self, n: int) -> str:
        return self.chars(n, "0123456789")

    def _complete(self, stem: str, ok) -> str:
        """The stem plus the check digit that makes ok() true."""
        return next(stem + d for d in "0123456789" if ok(stem + d))

    def _break(self, valid: str) -> str:
        """A valid value with its last digit changed so that no checksum accepts it."""
        return next(valid[:-1] + d for d in self.r.sample("0123456789", 10)
                    if d != valid[-1] and not passes_any_checksum(valid[:-1] + d))

    def national_id(self) -> str:
        stem = self.r.choice(PLATE_LETTERS + "IO") + self.r.choice("12") + self.digits(7)
        return self._complete(stem, national_id_is_valid)

    def resident_cert(self) -> str:
        if self.r.random() < 0.5:  # 2021 format: letter + 8/9
            stem = self.r.choice(PLATE_LETTERS) + self.r.choice("89") + self.digits(7)
            return self._complete(stem, national_id_is_valid)
        stem = self.r.choice(PLATE_LETTERS) + self.r.choice("ABCD") + self.digits(7)
        return self._complete(stem, old_resident_cert_is_valid)

    def ubn(self) -> str:
        return self._complete(self.digits(7), ubn_is_valid)

    def complete_card(self, prefix: str, length: int = 16) -> str:
        return self._complete(prefix + self.digits(length - len(prefix) - 1), luhn_is_valid)

    def credit_card(self) -> str:
        kind = self.r.choice(["visa", "master", "master2", "jcb", "amex"])
        prefix, length = {"visa": ("4", 16), "master": (str(self.r.randint(51, 55)), 16),
                          "master2": (str(self.r.randint(2221, 2720)), 16),
                          "jcb": (str(self.r.randint(3528, 3589)), 16),
                          "amex": (self.r.choice(["34", "37"]), 15)}[kind]
        return self._complete(prefix + self.digits(length - len(prefix) - 1), luhn_is_valid)

    def bad(self, valid: str) -> str:
        return self._break(valid)

    def name(self) -> str:
        surname = (self.r.choice(DOUBLE_SURNAMES) if self.r.random() < 0.08
                   else self.r.choice(SURNAMES))
        n = 1 if self.r.random() < 0.12 else 2
        return surname + "".join(self.r.choice(GIVEN) for _ in range(n))

    def latin_name(self, upper: bool = False) -> str:
        s, g = self.r.choice(LATIN_SURNAMES), self.r.choice(LATIN_GIVEN)
        return f"{s.upper()}, {g.upper()}" if upper else f"{s} {g}"

    def mobile(self) -> str:
        d = "09" + self.digits(8)
        while not phonenumbers.is_valid_number(phonenumbers.parse(d, "TW")):
            d = "09" + self.digits(8)
        style = self.r.randrange(7)
        if style == 0:
            return d
        if style == 1:
            return f"{d[:4]}-{d[4:7]}-{d[7:]}"
        if style == 2:
            return f"{d[:4]} {d[4:7]} {d[7:]}"
        if style == 3:
            return f"+886 {d[1:4]} {d[4:7]} {d[7:]}"
        if style == 4:
            return f"+886-{d[1:4]}-{d[4:7]}-{d[7:]}"
        if style == 5:
            return fullwidth(d)
        return f"{d[:4]}-{d[4:]}"

    def landline(self) -> str:
        while True:
            area, n = self.r.choice([("02", 8), ("04", 8), ("07", 7), ("03", 7), ("06", 7),
                                     ("05", 7), ("037", 6), ("049", 7), ("089", 6)])
            sub = str(self.r.randint(2, 8)) + self.digits(n - 1)
            if phonenumbers.is_valid_number(phonenumbers.parse(area + sub, "TW")):
                break
        cut = n - 4
        style = self.r.randrange(4)
        body = (f"({area}){sub[:cut]}-{sub[cut:]}" if style == 0 else
                f"{area}-{sub[:cut]}-{sub[cut:]}" if style == 1 else
                f"{area}-{sub}" if style == 2 else f"+886-{area[1:]}-{sub}")
        ext = self.r.random()
        if ext < 0.15:
            body += f"#{self.digits(3)}"
        elif ext < 0.25:
            body += f" 分機 {self.digits(3)}"
        elif ext < 0.3:
            body += f" ext. {self.digits(2)}"
        return body

    def email(self) -> str:
        local = self.r.choice(["yijun.chen", "wang_xm", "shufen.lin", "service+tw", "hao.chang",
                               "tsai.meiling", "k.huang", "amy-wu"]) + self.digits(self.r.randint(0, 3))
        return f"{local}@{self.r.choice(EMAIL_DOMAINS)}"

    def card_text(self, number: str) -> str:
        style = self.r.randrange(4)
        if style == 0 or len(number) == 15:
            return number if style != 1 else f"{number[:4]} {number[4:10]} {number[10:]}"
        groups = [number[i:i + 4] for i in range(0, len(number), 4)]
        return (" ".join(groups) if style == 1 else "-".join(groups) if style == 2
                else fullwidth(number))

    def nhi_card(self) -> str:
        return "0000" + self.digits(8)

    def passport(self) -> str:
        return self.r.choice("123") + self.digits(8)

    def bank_account(self) -> str:
        acct = self.digits(self.r.choice([12, 13, 14]))
        return f"{acct[:4]}-{acct[4:7]}-{acct[7:]}" if self.r.random() < 0.3 else acct

    def plate(self) -> str:
        if self.r.random() < 0.75:
            return ("".join(self.r.choice(PLATE_LETTERS) for _ in range(3)) + "-"
                    + "".join(self.r.choice("012356789") for _ in range(4)))
        letters = "".join(self.r.choice(PLATE_LETTERS) for _ in range(2))
        return f"{letters}-{self.digits(4)}" if self.r.random() < 0.5 else f"{self.digits(4)}-{letters}"

    def dob(self) -> str:
        y, m, d = self.r.randint(1950, 2005), self.r.randint(1, 12), self.r.randint(1, 28)
        style = self.r.randrange(5)
        return (f"{y}/{m:02d}/{d:02d}" if style == 0 else f"{y}-{m:02d}-{d:02d}" if style == 1
                else f"民國{y - 1911}年{m}月{d}日" if style == 2 else f"{y - 1911}/{m:02d}/{d:02d}"
                if style == 3 else f"{y}年{m}月{d}日")

    def ip(self) -> str:
        if self.r.random() < 0.15:
            return f"2001:db8:{self.r.randint(1, 0xffff):x}::{self.r.randint(1, 0xfff):x}"
        first = self.r.choice([61, 114, 203, 198, 192, 220, 140, 36, 1])
        return f"{first}.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"

    def address(self) -> str:
        r = self.r
        county = r.choice(list(PLACES))
        district = r.choice(list(PLACES[county]))
        road = r.choice(PLACES[county][district])
        if r.random() < 0.4:
            county = county.replace("臺", "台")
            road = road.replace("臺", "台")
        cn = r.random() < 0.3
        fw = not cn and r.random() < 0.2

        def num(n: int) -> str:
            return chinese_numeral(n) if cn else fullwidth(str(n)) if fw else str(n)

        parts = [county, district]
        if r.random() < 0.15:
            parts.append(r.choice(VILLAGES) + (f"{num(r.randint(1, 30))}鄰" if r.random() < 0.7 else ""))
        parts.append(road)
        if not road.endswith(("一路", "二路", "三路", "六路", "大道")) and r.random() < 0.5:
            parts.append(chinese_numeral(r.randint(1, 5)) + "段")
        if r.random() < 0.45:
            parts.append(f"{num(r.randint(1, 300))}巷")
            if r.random() < 0.4:
                parts.append(f"{num(r.randint(1, 30))}弄")
        parts.append(f"{num(r.randint(1, 400))}號")
        if r.random() < 0.15:
            parts[-1] = parts[-1][:-1] + f"之{num(r.randint(1, 9))}號"
        floor = r.random()
        if floor < 0.4:
            parts.append(f"{num(r.randint(2, 25))}樓")
            unit = r.random()  # 之N or a room, never both (之814室 would be ambiguous)
            if unit < 0.2:
                parts.append(f"之{num(r.randint(1, 9))}")
            elif unit < 0.35:
                parts.append(f"{num(r.randint(1, 20))}室")
        elif floor < 0.5:
            parts.append(r.choice(["B1", "地下一樓", f"{r.randint(2, 20)}F"]))
        text = "".join(parts)
        if r.random() < 0.15:
            text = r.choice(["100", "106", "220", "320", "407", "700", "806", "10617", "220041"]) + text
        return text


@dataclass
class Line:
    """One line (or CSV cell) being built, with the spans it holds."""

    parts: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, tag, value
    length: int = 0

    def t(self, text: str) -> Line:
        self.parts.append(text)
        self.length += len(text)
        return self

    def e(self, entity: str, value: str) -> Line:
        self.spans.append((self.length, self.length + len(value), entity, value))
        return self.t(value)

    def d(self, kind: str, value: str) -> Line:
        return self.e("decoy:" + kind, value)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Corpus:
    """Collects documents and their gold spans."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.labels: list[dict] = []
        self.decoys: list[dict] = []
        self.manifest: list[dict] = []

    def _record(self, where: dict, line: Line) -> None:
        for start, end, tag, value in line.spans:
            row = {**where, "start": start, "end": end}
            if tag.startswith("decoy:"):
                self.decoys.append({**row, "kind": tag[6:], "value": value})
            else:
                self.labels.append({**row, "entity": tag, "value": value})

    def text_file(self, name: str, lines: list[Line]) -> None:
        body = "\n".join(ln.text for ln in lines) + "\n"
        (self.out / name).write_text(body, encoding="utf-8")
        for n, ln in enumerate(lines, start=1):
            self._record({"file": name, "line": n}, ln)
        self.manifest.append({"file": name, "kind": "text", "encoding": "utf-8"})

    def csv_file(self, name: str, encoding: str, header: list[str], rows: list[list[Line]]) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        for r in rows:
            writer.writerow([c.text for c in r])
        (self.out / name).write_bytes(buf.getvalue().encode(encoding))
        for n, r in enumerate(rows, start=2):  # the header is row 1, as in gezi's scan output
            for col, cell in zip(header, r, strict=True):
                self._record({"file": name, "row": n, "column": col}, cell)
        self.manifest.append({"file": name, "kind": "csv", "encoding": encoding})

    def xlsx_file(self, name: str, sheets: dict[str, tuple[list[str], list[list[Line]]]]) -> None:
        """A workbook; cells are located like gezi's scanner does: row (header = 1) and
        ``sheet!header``."""
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for title, (header, rows) in sheets.items():
            ws = wb.create_sheet(title)
            ws.append(header)
            for r in rows:
                ws.append([c.text or None for c in r])
            for n, r in enumerate(rows, start=2):
                for col, cell in zip(header, r, strict=True):
                    self._record({"file": name, "row": n, "column": f"{title}!{col}"}, cell)
        wb.save(self.out / name)
        self.manifest.append({"file": name, "kind": "xlsx"})

    def jsonl_file(self, name: str, docs: list[dict]) -> None:
        """JSON Lines whose string leaves may be Lines; a value is located by line and JSON path
        ($.customer.name, $.items[0].sku), as gezi's scanner reports it."""
        def plain(value, path: str, line: int):
            if isinstance(value, dict):
                return {k: plain(v, f"{path}.{k}", line) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v, f"{path}[{i}]", line) for i, v in enumerate(value)]
            if isinstance(value, Line):
                self._record({"file": name, "line": line, "column": path}, value)
                return value.text
            return value

        lines = [json.dumps(plain(d, "$", n), ensure_ascii=False, separators=(",", ":"))
                 for n, d in enumerate(docs, start=1)]
        (self.out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.manifest.append({"file": name, "kind": "jsonl", "encoding": "utf-8"})

    def write_meta(self) -> None:
        (self.out / "manifest.json").write_text(
            json.dumps({"files": self.manifest}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
        for fname, rows in (("labels.jsonl", self.labels), ("decoys.jsonl", self.decoys)):
            with (self.out / fname).open("w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def chat_lines(g: Gen, n: int) -> list[Line]:
    """Customer-service chat: short messages, values glued to CJK text, full-width forms."""
    r = g.r
    out = []
    for i in range(n):
        ts = f"[2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:" \
             f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}]"
        ln = Line().t(ts + " ")
        if r.random() < 0.5:
            ln.t("客服：")
        else:
            ln.e("PERSON_NAME", g.name()).t("：")
        k = i % 16
        if k == 0:
            ln.t("我的身分證字號是").e("TW_NATIONAL_ID", g.national_id()).t("，麻煩幫我查")
        elif k == 1:
            ln.t("身分證").e("TW_NATIONAL_ID", fullwidth(g.national_id())).t("謝謝")
        elif k == 2:
            ln.t("手機").e("PHONE_NUMBER", g.mobile()).t("，白天都可以打")
        elif k == 3:
            ln.t("卡號").e("CREDIT_CARD", g.card_text(g.credit_card())).t("被盜刷了")
        elif k == 4:
            ln.t("寄到").e("TW_ADDRESS", g.address()).t("謝謝")
        elif k == 5:
            ln.t("我叫").e("PERSON_NAME", g.name()).t("，訂單編號").d("order_number", "TW" + g.digits(12))
        elif k == 6:
            ln.t("email是").e("EMAIL_ADDRESS", g.email()).t("喔")
        elif k == 7:
            ln.t("居留證號").e("TW_RESIDENT_CERT", g.resident_cert()).t("，外籍配偶")
        elif k == 8:
            bad = g.bad(g.national_id())
            ln.t("剛剛打錯了，不是").d("bad_national_id", bad).t("那個")
        elif k == 9:
            ln.t("公司統編").e("TW_UBN", g.ubn()).t("，發票要打統編")
        elif k == 10:
            ln.t("出生日期").e("DATE_OF_BIRTH", g.dob()).t("，要驗證身分")
        elif k == 11:
            ln.t("家裡電話").e("PHONE_NUMBER", g.landline())
        elif k == 12:
            ln.t("請退款到我的帳號").e("BANK_ACCOUNT", g.bank_account()).t("，戶名是本人")
        elif k == 13:
            ln.t("收件人").e("PERSON_NAME", g.name()).t("，電話").e("PHONE_NUMBER", g.mobile())
        elif k == 14:
            ln.t("時間戳").d("timestamp", str(r.randint(1_600_000_000, 1_750_000_000)))
            ln.t("，物流單號").d("tracking_number", g.digits(12)).t("還沒到")
        else:
            ln.t("好的，已經幫您處理，感謝耐心等候。")
        out.append(ln)
    return out


def order_emails(g: Gen, n: int) -> list[Line]:
    """Order confirmation e-mails: labelled fields, order numbers and timestamps."""
    r = g.r
    out: list[Line] = []
    for _ in range(n):
        name = g.name()
        out += [
            Line().t("From: 購物網 <").e("EMAIL_ADDRESS", "no-reply@shop.example.com.tw").t(">"),
            Line().t("To: ").e("EMAIL_ADDRESS", g.email()),
            Line().t("Subject: 訂單成立通知 #").d("order_number", "20" + g.digits(12)),
            Line().t(""),
            Line().t("親愛的 ").e("PERSON_NAME", name).t(" 您好，感謝您的訂購！"),
            Line().t("訂單編號：").d("order_number", "2024" + g.digits(10)),
            Line().t("下單時間：2024-").t(f"{r.randint(1, 12):02d}-{r.randint(1, 28):02d} 10:23:45"),
            Line().t("收件人：").e("PERSON_NAME", name),
            Line().t("手機：").e("PHONE_NUMBER", g.mobile()),
            Line().t("收件地址：").e("TW_ADDRESS", g.address()),
        ]
        roll = r.random()
        if roll < 0.5:
            out.append(Line().t("付款方式：信用卡 ").e("CREDIT_CARD", g.card_text(g.credit_card())))
        elif roll < 0.65:
            out.append(Line().t("付款方式：信用卡 末四碼 ").t(g.digits(4)))
        elif roll < 0.8:
            out.append(Line().t("卡號").d("bad_credit_card", g.bad(g.credit_card())).t("（驗證失敗）"))
        else:
            out.append(Line().t("付款方式：ATM 轉帳，銀行代碼 (808) 帳號 ")
                       .e("BANK_ACCOUNT", g.bank_account()))
        if r.random() < 0.4:
            out.append(Line().t("發票：三聯式 統一編號 ").e("TW_UBN", g.ubn()))
        elif r.random() < 0.3:
            out.append(Line().t("發票：統一編號 ").d("bad_ubn", g.bad(g.ubn())).t(" 格式錯誤，請確認"))
        else:
            out.append(Line().t("發票：雲端載具 /").t(g.chars(7, PLATE_LETTERS + "0123456789")))
        out += [
            Line().t("物流追蹤：").d("tracking_number", g.digits(12)).t("（黑貓宅急便）"),
            Line().t("交易序號：").d("timestamp", str(r.randint(1_600_000_000_000, 1_750_000_000_000))),
            Line().t("登入 IP：").e("IP_ADDRESS", g.ip()),
            Line().t("如有問題請聯絡客服 ").e("PHONE_NUMBER", "(02)2222-3333 分機 100")
            .t("，或回覆此信。"),
            Line().t("-- "),
            Line().t(""),
        ]
    return out


def address_lines(g: Gen, n: int) -> list[Line]:
    """Addresses alone, after labels and inside sentences."""
    r = g.r
    out = []
    for i in range(n):
        k = i % 5
        ln = Line()
        if k == 0:
            ln.t("地址：").e("TW_ADDRESS", g.address())
        elif k == 1:
            ln.t("請寄到").e("TW_ADDRESS", g.address()).t("給").e("PERSON_NAME", g.name())
        elif k == 2:
            ln.t("戶籍地址 ").e("TW_ADDRESS", g.address()).t("，通訊地址同戶籍")
        elif k == 3:
            ln.t("門市位於").t(r.choice(["高雄市", "臺中市", "新北市"])).t("，營業時間 10:00-22:00")
        else:
            ln.e("TW_ADDRESS", g.address())
        out.append(ln)
    return out


def log_lines(g: Gen, n: int) -> list[Line]:
    """System log lines: mostly look-alikes (order numbers, timestamps, SKUs), some real PII."""
    r = g.r
    out = []
    for i in range(n):
        k = i % 12
        ts = f"2024-05-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00+08:00"
        ln = Line().t(ts + " ")
        if k == 0:
            ln.t("INFO order=").d("order_number", g.digits(8)).t(" status=paid amount=1280")
        elif k == 1:
            ln.t("INFO ts=").d("timestamp", str(r.randint(1_600_000_000, 1_750_000_000)))
            ln.t(" req=").d("order_number", g.digits(14))
        elif k == 2:
            ln.t("WARN login failed user=").e("EMAIL_ADDRESS", g.email()).t(" ip=").e("IP_ADDRESS", g.ip())
        elif k == 3:
            ln.t("INFO sku=").d("sku", "".join(r.choice(PLATE_LETTERS) for _ in range(3)) + "-"
                                + g.digits(4)).t(" qty=2")
        elif k == 4:
            ln.t("DEBUG member_id=").d("bad_national_id", g.bad(g.national_id())).t(" (invalid)")
        elif k == 5:
            ln.t("INFO 訂單日期 ").d("date_not_dob", f"2024/{r.randint(1, 12):02d}/{r.randint(1, 28):02d}")
        elif k == 6:
            ln.t("INFO kyc id=").e("TW_NATIONAL_ID", g.national_id()).t(" name=").e("PERSON_NAME", g.name())
        elif k == 7:
            ln.t("INFO 停車 車牌").e("TW_LICENSE_PLATE", g.plate()).t(" 入場")
        elif k == 8:
            ln.t("DEBUG arc=").d("bad_resident_cert", g.bad(g.resident_cert()))
        elif k == 9:
            ln.t("INFO invoice=").d("order_number", g.chars(2, PLATE_LETTERS) + g.digits(8))
        elif k == 10:
            ln.t("INFO 健保卡號 ").e("TW_NHI_CARD", g.nhi_card()).t(" 護照號碼 ").e("TW_PASSPORT", g.passport())
        else:
            ln.t("INFO batch ").d("order_number", g.digits(8)).t(" done in 35ms")
        out.append(ln)
    return out


def customers_csv(g: Gen, n: int) -> tuple[list[str], list[list[Line]]]:
    """The Big5 customer export every Taiwanese shop has somewhere."""
    header = ["客戶編號", "姓名", "身分證字號", "生日", "手機", "市話", "電子郵件", "地址", "信用卡號",
              "統一編號", "備註"]
    rows = []
    for i in range(n):
        r = g.r
        note = Line()
        k = i % 6
        if k == 0:
            note.t("VIP客戶，聯絡人").e("PERSON_NAME", g.name())
        elif k == 1:
            note.t("改寄").e("TW_ADDRESS", g.address())
        elif k == 2:
            note.t("舊證號").d("bad_national_id", g.bad(g.national_id())).t("已更正")
        elif k == 3:
            note.t("備用手機").e("PHONE_NUMBER", g.mobile())
        dob = g.dob()
        rows.append([
            Line().d("order_number", f"C{i + 1:07d}"),
            Line().e("PERSON_NAME", g.name()),
            Line().e("TW_NATIONAL_ID", g.national_id()),
            Line().e("DATE_OF_BIRTH", dob),
            Line().e("PHONE_NUMBER", g.mobile()),
            Line().e("PHONE_NUMBER", g.landline()) if r.random() < 0.6 else Line(),
            Line().e("EMAIL_ADDRESS", g.email()),
            Line().e("TW_ADDRESS", g.address()),
            Line().e("CREDIT_CARD", g.card_text(g.credit_card())) if r.random() < 0.5 else Line(),
            Line().e("TW_UBN", g.ubn()) if r.random() < 0.3 else Line(),
            note,
        ])
    return header, rows


def staff_csv(g: Gen, n: int) -> tuple[list[str], list[list[Line]]]:
    """An HR export (UTF-8 with BOM): values that only the column name makes personal data."""
    header = ["員工編號", "姓名", "英文姓名", "證號", "護照號碼", "健保卡號", "薪資帳戶", "車牌號碼",
              "出生年月日", "緊急聯絡人", "聯絡電話"]
    rows = []
    for i in range(n):
        r = g.r
        cert = g.national_id() if r.random() < 0.7 else g.resident_cert()
        rows.append([
            Line().d("order_number", f"E{i + 1:05d}"),
            Line().e("PERSON_NAME", g.name()),
            Line().e("PERSON_NAME", g.latin_name(upper=r.random() < 0.5)),
            Line().e("TW_NATIONAL_ID" if cert[1] in "12" else "TW_RESIDENT_CERT", cert),
            Line().e("TW_PASSPORT", g.passport()) if r.random() < 0.6 else Line(),
            Line().e("TW_NHI_CARD", g.nhi_card()),
            Line().e("BANK_ACCOUNT", g.bank_account()),
            Line().e("TW_LICENSE_PLATE", g.plate()) if r.random() < 0.4 else Line(),
            Line().e("DATE_OF_BIRTH", g.dob()),
            Line().e("PERSON_NAME", g.name()),
            Line().e("PHONE_NUMBER", g.mobile() if r.random() < 0.7 else g.landline()),
        ])
    return header, rows


def alt_name(g: Gen) -> str:
    return g.r.choice(ALT_SURNAMES) + "".join(g.r.choice(ALT_GIVEN) for _ in range(2))


def hard_lines(g: Gen, n: int) -> list[Line]:
    """Harder variants: unseen name vocabulary and cues, separators, lower case, negatives."""
    r = g.r
    out = []
    for i in range(n):
        k = i % 16
        ln = Line()
        if k == 0:
            ln.t("昨天跟").e("PERSON_NAME", alt_name(g)).t("一起去銀行辦事")
        elif k == 1:
            ln.t("本案承辦：").e("PERSON_NAME", alt_name(g)).t("（分機 ").t(g.digits(3)).t("）")
        elif k == 2:
            ln.t(r.choice(NOT_NAMES))
        elif k == 3:
            nid = g.national_id()
            ln.t("身分證號 ").e("TW_NATIONAL_ID", f"{nid[:4]}-{nid[4:7]}-{nid[7:]}")
        elif k == 4:
            ln.t("帳號登入代碼為").e("TW_NATIONAL_ID", g.national_id().lower()).t("的使用者")
        elif k == 5:
            d = "09" + g.digits(8)
            while not phonenumbers.is_valid_number(phonenumbers.parse(d, "TW")):
                d = "09" + g.digits(8)
            ln.t("聯絡方式：").e("PHONE_NUMBER", f"{d[:4]}.{d[4:7]}.{d[7:]}")
        elif k == 6:
            ln.t("請寄信至").e("EMAIL_ADDRESS", g.email().upper()).t("謝謝")
        elif k == 7:
            ln.t("退款請匯入").e("BANK_ACCOUNT", g.bank_account()).t("（戶名：").e("PERSON_NAME", alt_name(g))
            ln.t("）")
        elif k == 8:
            ln.t("出貨地點：").e("TW_ADDRESS", g.address()).t("，到了請打電話")
        elif k == 9:
            ln.t("感謝").e("PERSON_NAME", alt_name(g)).t("經理的協助，合約已回傳")
        elif k == 10:
            ln.t("發票號碼 ").d("order_number", g.chars(2, PLATE_LETTERS) + "-" + g.digits(8))
            ln.t("，金額 ").t(str(r.randint(100, 99999))).t(" 元")
        elif k == 11:
            ln.t("卡號：").e("CREDIT_CARD", fullwidth(g.card_text(g.credit_card()).replace(" ", "")))
        elif k == 12:
            ln.t("版本 v").t(f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}").t(" 已部署")
        elif k == 13:
            ln.t("生於").e("DATE_OF_BIRTH", g.dob()).t("的").e("PERSON_NAME", alt_name(g)).t("同學")
        elif k == 14:
            ln.t("統一編號：").d("bad_ubn", g.bad(g.ubn()))
        else:
            day = f"2024/{r.randint(1, 12):02d}/{r.randint(1, 28):02d}"
            ln.t("訂單成立於 ").d("date_not_dob", day).t(f" {r.randint(0, 23):02d}:{r.randint(0, 59):02d}")
        out.append(ln)
    return out


BANKS = [("臺灣銀行", "004"), ("玉山銀行", "808"), ("台新銀行", "812")]  # pii-anchors.md §5.5
RELATIONS = ["母子", "父女", "配偶", "兄妹", "朋友"]


def form_lines(g: Gen, n: int) -> list[Line]:
    """Fields of paper-style forms: full-width spaces, colons, digits and dashes between fields."""
    r = g.r
    sp = "\u3000"
    out = []
    for i in range(n):
        k = i % 6
        ln = Line()
        if k == 0:
            dob = g.dob()
            ln.t("申請人：").e("PERSON_NAME", g.name()).t(sp + "身分證統一編號：")
            ln.e("TW_NATIONAL_ID", g.national_id()).t(sp + "出生日期：").e("DATE_OF_BIRTH", dob)
        elif k == 1:
            d = "09" + g.digits(8)
            while not phonenumbers.is_valid_number(phonenumbers.parse(d, "TW")):
                d = "09" + g.digits(8)
            ln.t("通訊地址：").e("TW_ADDRESS", g.address()).t(sp + "聯絡電話：")
            ln.e("PHONE_NUMBER", fullwidth(f"{d[:4]}-{d[4:7]}-{d[7:]}"))
        elif k == 2:
            ln.t("負責人：").e("PERSON_NAME", g.name()).t("（董事長）" + sp + "公司統一編號：")
            ln.e("TW_UBN", g.ubn())
        elif k == 3:
            bank, code = r.choice(BANKS)
            ln.t(f"匯款帳戶：{bank}（代碼{code}）帳號").e("BANK_ACCOUNT", g.bank_account())
            ln.t(sp + "戶名：").e("PERSON_NAME", g.name())
        elif k == 4:
            ln.t("緊急聯絡人：").e("PERSON_NAME", g.name()).t(f"（關係：{r.choice(RELATIONS)}）電話：")
            ln.e("PHONE_NUMBER", g.landline())
        else:
            ln.t("外籍人士居留證統一證號：").e("TW_RESIDENT_CERT", fullwidth(g.resident_cert()))
            ln.t(sp + "護照號碼：").e("TW_PASSPORT", g.passport())
        out.append(ln)
    return out


# Holdout vocabulary and places, used only by holdout.txt (made with its own random stream).
HOLD_SURNAMES = list("鄧馮曹薛夏韓蔣龍易陳林黃張李王吳劉蔡楊")
HOLD_GIVEN = ["子瑜", "柏宏", "沛晴", "奕辰", "瀚文", "芷瑄", "宥翔", "昱廷", "品君", "書豪", "靖雯",
              "冠霖", "以晴", "哲瑋", "詠心", "睿恩"]
HOLD_PLACES = [("基隆市", "仁愛區", "愛三路"), ("嘉義縣", "民雄鄉", "建國路"), ("苗栗縣", "竹南鎮", "光復路"),
               ("金門縣", "金城鎮", "民生路"), ("澎湖縣", "馬公市", "中正路"), ("新北市", "永和區", "永和路"),
               ("臺中市", "豐原區", "中正路"), ("高雄市", "鳳山區", "光遠路"), ("臺南市", "永康區", "中華路")]
HOLD_NOT_PII = ["電話費 1,234 元已扣款", "第 2024 期會員通訊", "信用卡末四碼 5566", "本店營業時間 11:00-21:00",
                "請於 3 日內完成付款", "本週特價 299 元起", "罰鍰 400萬元，不法所得約 6000 萬元",
                "資本額在新臺幣1,000萬以上", "曾發生遭駭客入侵", "贖金高達2,000萬美金", "方案費用每月 1,299 元",
                "全年營收成長 12%，何時公布財報尚未確定"]


def holdout_name(g: Gen) -> str:
    return g.r.choice(HOLD_SURNAMES) + g.r.choice(HOLD_GIVEN)


def holdout_address(g: Gen) -> str:
    r = g.r
    county, district, road = r.choice(HOLD_PLACES)
    if r.random() < 0.5:
        county = county.replace("臺", "台")
    sep = " " if r.random() < 0.3 else ""  # addresses typed with spaces between parts
    parts = [county, district, road + (chinese_numeral(r.randint(1, 3)) + "段" if r.random() < 0.3
                                       else "")]
    if r.random() < 0.4:
        parts.append(f"{r.randint(1, 200)}巷")
    # 12之3號, never 12號之3 followed by a floor: 12號之35樓 is ambiguous even for a person
    parts.append(f"{r.randint(1, 300)}" + (f"之{r.randint(1, 5)}" if r.random() < 0.2 else "") + "號")
    if r.random() < 0.5:
        floor = r.randint(2, 15)
        parts.append(r.choice([f"{floor}樓", f"{floor}F", f"{chinese_numeral(floor)}樓"]))
    return sep.join(parts)


def holdout_lines(g: Gen, n: int) -> list[Line]:
    """Templates, cues, names and places used nowhere else in the corpus (an unseen check)."""
    r = g.r
    out = []
    for i in range(n):
        k = i % 14
        ln = Line()
        if k == 0:
            ln.t("今天下午").e("PERSON_NAME", holdout_name(g)).t("打來問退貨進度")
        elif k == 1:
            ln.t("請").e("PERSON_NAME", holdout_name(g)).t("於週五前回覆報價")
        elif k == 2:
            ln.e("PERSON_NAME", holdout_name(g)).t("和").e("PERSON_NAME", holdout_name(g)).t("一起報名了課程")
        elif k == 3:
            ln.t("經手人 ").e("PERSON_NAME", holdout_name(g)).t("　日期 2024/06/0").t(str(r.randint(1, 9)))
        elif k == 4:
            ln.t("新地址是").e("TW_ADDRESS", holdout_address(g)).t("喔")
        elif k == 5:
            ln.t("寄件地址:").e("TW_ADDRESS", holdout_address(g))
        elif k == 6:
            d = "9" + g.digits(8)
            while not phonenumbers.is_valid_number(phonenumbers.parse("0" + d, "TW")):
                d = "9" + g.digits(8)
            ln.t("手機號碼 ").e("PHONE_NUMBER", r.choice([f"886-{d[:3]}-{d[3:6]}-{d[6:]}",
                                                         f"0{d[:3]}-{d[3:]}", f"+886{d}"]))
        elif k == 7:
            ln.t("我的身份證是").e("TW_NATIONAL_ID", g.national_id()).t("，身分證後四碼不用給嗎")
        elif k == 8:
            ln.t("Email：").e("EMAIL_ADDRESS", g.email()).t("（請勿回信）")
        elif k == 9:
            ln.t("VISA ").e("CREDIT_CARD", g.card_text(g.complete_card("4")))
        elif k == 10:
            y, m, d = r.randint(40, 90), r.randint(1, 12), r.randint(1, 28)
            ln.t("出生年月日：").e("DATE_OF_BIRTH", f"{y:03d}.{m:02d}.{d:02d}")
        elif k == 11:
            ln.t(r.choice(HOLD_NOT_PII))
        elif k == 12:
            ln.t("送貨員").e("PERSON_NAME", holdout_name(g)).t("表示包裹已放管理室")
        else:
            ln.t("匯款後請告知帳號末五碼，或直接提供帳號").e("BANK_ACCOUNT", g.bank_account())
        out.append(ln)
    return out


def orders_workbook(g: Gen, n: int) -> dict[str, tuple[list[str], list[list[Line]]]]:
    """An order export and a member list as two sheets of one workbook."""
    r = g.r
    orders = []
    for i in range(n):
        roll = r.random()
        note = (Line().t("卡號").e("CREDIT_CARD", g.card_text(g.credit_card())) if roll < 0.3 else
                Line().t("ATM 轉入帳號 ").e("BANK_ACCOUNT", g.bank_account()) if roll < 0.5 else
                Line().t("貨到付款"))
        orders.append([Line().d("order_number", f"SO{20240000 + i:08d}"), Line().e("PERSON_NAME", g.name()),
                       Line().e("PHONE_NUMBER", g.mobile()), Line().e("TW_ADDRESS", g.address()), note])
    members = [[Line().d("order_number", f"M{i + 1:06d}"), Line().e("PERSON_NAME", g.name()),
                Line().e("TW_NATIONAL_ID", g.national_id()), Line().e("DATE_OF_BIRTH", g.dob()),
                Line().e("EMAIL_ADDRESS", g.email())] for i in range(n // 2)]
    return {"訂單": (["訂單編號", "收件人", "手機", "收件地址", "付款備註"], orders),
            "會員": (["會員編號", "姓名", "身分證字號", "生日", "Email"], members)}


def event_docs(g: Gen, n: int) -> list[dict]:
    """Application events as JSON Lines: nested customer data, numbers, arrays."""
    r = g.r
    docs = []
    for i in range(n):
        doc: dict = {"ts": r.randint(1_700_000_000, 1_750_000_000),
                     "event": r.choice(["checkout", "refund", "profile_update"]),
                     "order_id": Line().d("order_number", "2024" + g.digits(10)),
                     "customer": {"name": Line().e("PERSON_NAME", g.name()),
                                  "mobile": Line().e("PHONE_NUMBER", g.mobile()),
                                  "email": Line().e("EMAIL_ADDRESS", g.email())},
                     "ip": Line().e("IP_ADDRESS", g.ip())}
        if i % 3 == 0:
            doc["shipping"] = {"address": Line().e("TW_ADDRESS", g.address())}
        if i % 4 == 0:
            doc["payment"] = {"card": Line().e("CREDIT_CARD", g.card_text(g.credit_card()))}
        if i % 5 == 0:
            doc["items"] = [{"sku": Line().d("sku", g.chars(3, PLATE_LETTERS) + "-" + g.digits(4)),
                             "qty": r.randint(1, 3)}]
        if i % 6 == 0:
            doc["note"] = Line().t("請送到").e("TW_ADDRESS", g.address()).t("給").e("PERSON_NAME", g.name())
        docs.append(doc)
    return docs


def latin_name_lines(g: Gen, n: int) -> list[Line]:
    """Latin-script names next to name labels (passport spelling)."""
    out = []
    for i in range(n):
        label = ["英文姓名：", "Name: ", "Passenger name: ", "持卡人 "][i % 4]
        out.append(Line().t(label).e("PERSON_NAME", g.latin_name(upper=i % 4 == 3))
                   .t(" 護照號碼 ").e("TW_PASSPORT", g.passport()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=CORPUS_DIR)
    args = ap.parse_args()
    build(args.out, args.seed)


def build(out: Path, seed: int = SEED) -> Corpus:
    """Write the whole corpus into a directory; the same seed gives the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    g = Gen(seed)
    c = Corpus(out)
    c.text_file("chat.txt", chat_lines(g, 1600))
    c.text_file("order_emails.txt", order_emails(g, 200))
    c.text_file("addresses.txt", address_lines(g, 800))
    c.text_file("app.log", log_lines(g, 1200))
    c.text_file("names_latin.txt", latin_name_lines(g, 120))
    c.text_file("hard.txt", hard_lines(g, 480))
    c.text_file("forms.txt", form_lines(g, 300))
    c.csv_file("customers_big5.csv", "cp950", *customers_csv(g, 900))
    c.csv_file("staff_utf8bom.csv", "utf-8-sig", *staff_csv(g, 360))
    c.text_file("holdout.txt", holdout_lines(Gen(seed + 1), 420))  # own stream: others unchanged
    tables = Gen(seed + 2)
    c.xlsx_file("orders.xlsx", orders_workbook(tables, 150))
    c.jsonl_file("events.jsonl", event_docs(tables, 300))
    c.write_meta()
    print(f"{len(c.labels)} labels, {len(c.decoys)} decoys in {out}")
    return c


if __name__ == "__main__":
    main()
