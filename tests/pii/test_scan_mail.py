"""E-mail files: headers decoded (RFC 2047), bodies decoded (base64, quoted-printable, Big5,
HTML), attachments scanned by their own format (CSV, ZIP, a forwarded mail), mbox message by
message; broken mail reported, never a traceback."""

from __future__ import annotations

import base64
import csv
import email
import email.policy
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from gezi.pii.mail import html_text, mbox_messages
from gezi.pii.scan import ScanLimits, scan_file, scan_paths

from .builders import make_zip


def order_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "王小明 <xiaoming.wang@example.com.tw>"
    msg["To"] = "客服 <service@shop.example>"
    msg["Subject"] = "退貨申請：陳美玲 0912-345-678"
    msg.set_content("您好，\n收件人：林淑芬\n電話：0922-333-444\n身分證：A123456789\n",
                    charset="utf-8", cte="base64")
    msg.add_alternative("<html><body><p>收件地址：<b>臺北市大安區忠孝東路四段100號5樓</b></p>"
                        "<script>var id='B234567894'</script></body></html>",
                        subtype="html", charset="big5", cte="quoted-printable")
    table = io.StringIO()
    csv.writer(table).writerows([["姓名", "統一編號"], ["張志豪", "04595257"]])
    msg.add_attachment(table.getvalue().encode("cp950"), maintype="text", subtype="csv",
                       filename="../../客戶.csv")  # a name that tries to leave its folder
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("list.txt", "信用卡 4111 1111 1111 1111")
    msg.add_attachment(packed.getvalue(), maintype="application", subtype="zip",
                       filename="附件.zip")
    return bytes(msg)


ORDER_FINDINGS = {
    ("headers.txt", 1, None, None, "PERSON_NAME", "王小明"),
    ("headers.txt", 1, None, None, "EMAIL_ADDRESS", "xiaoming.wang@example.com.tw"),
    ("headers.txt", 2, None, None, "EMAIL_ADDRESS", "service@shop.example"),
    ("headers.txt", 3, None, None, "PERSON_NAME", "陳美玲"),
    ("headers.txt", 3, None, None, "PHONE_NUMBER", "0912-345-678"),
    ("body.txt", 2, None, None, "PERSON_NAME", "林淑芬"),
    ("body.txt", 3, None, None, "PHONE_NUMBER", "0922-333-444"),
    ("body.txt", 4, None, None, "TW_NATIONAL_ID", "A123456789"),
    ("body-2.txt", 1, None, None, "TW_ADDRESS", "臺北市大安區忠孝東路四段100號5樓"),
    ("attachments/客戶.csv", None, 2, "姓名", "PERSON_NAME", "張志豪"),
    ("attachments/客戶.csv", None, 2, "統一編號", "TW_UBN", "04595257"),
    ("attachments/附件.zip!list.txt", 1, None, None, "CREDIT_CARD", "4111 1111 1111 1111"),
}


def members(report, prefix: str) -> set[tuple]:
    return {(f.path.split(prefix, 1)[1], f.line, f.row, f.column, f.entity, f.value)
            for f in report.findings if prefix in f.path}


def test_eml_headers_bodies_and_attachments(tmp_path):
    path = tmp_path / "order.eml"
    path.write_bytes(order_mail())
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    assert members(report, "order.eml!") == ORDER_FINDINGS
    # Offsets are those of the decoded text (the script's ID is not visible text).
    assert "B234567894" not in {f.value for f in report.findings}


def test_mbox_message_by_message(tmp_path):
    second = EmailMessage()
    second["From"] = "ops@example.com"
    second["Subject"] = "login"
    second.set_content("來源 IP 203.0.113.5\n>From the log above\n")
    box = (b"From a@b.c Mon Nov 23 10:00:00 2026\n" + order_mail() + b"\n"
           + b"From ops@example.com Mon Nov 23 11:00:00 2026\n" + bytes(second))
    path = tmp_path / "inbox.mbox"
    path.write_bytes(box)
    report = scan_paths([path], workers=1)
    assert members(report, "inbox.mbox!1!") == ORDER_FINDINGS
    assert members(report, "inbox.mbox!2!") == {
        ("headers.txt", 1, None, None, "EMAIL_ADDRESS", "ops@example.com"),
        ("body.txt", 1, None, None, "IP_ADDRESS", "203.0.113.5")}
    messages = list(mbox_messages(io.BytesIO(box), 1 << 20))
    assert [n for n, _ in messages] == [1, 2]
    assert messages[1][1].endswith(b"From the log above\n")  # mboxrd escape removed


@pytest.mark.parametrize("encoded", [False, True])
def test_mail_inside_zip_and_forwarded_mail(tmp_path, encoded):
    outer = EmailMessage()
    outer["Subject"] = "Fwd: 退貨"
    outer.set_content("請處理")
    if encoded:  # base64 inside message/rfc822, as some clients write it
        outer.add_attachment(order_mail(), maintype="message", subtype="rfc822")
    else:
        outer.add_attachment(email.message_from_bytes(order_mail(), policy=email.policy.default))
    archive = make_zip(tmp_path / "mails.zip", {"2026/fwd.eml": bytes(outer)})
    report = scan_paths([archive], workers=1)
    assert report.files_skipped == []
    assert members(report, "fwd.eml!attachments/message.eml!") == ORDER_FINDINGS


def test_broken_mail_reported_or_read_leniently(tmp_path):
    (tmp_path / "garbage.eml").write_bytes(b"\x00\xff\xfe not a mail at all \x00 0912-345-678")
    unknown_charset = (b"From: x@example.com\nContent-Type: text/plain; charset=x-no-such\n"
                       b"Content-Transfer-Encoding: base64\n\n"
                       + base64.b64encode("電話 0912-345-678".encode("cp950")) + b"\n")
    (tmp_path / "charset.eml").write_bytes(unknown_charset)
    report = scan_paths([tmp_path], workers=1)
    # Not a mail: its "body" holds NUL bytes, and is reported as binary, not a crash.
    assert [(s["path"].rsplit("/", 1)[-1], s["reason"]) for s in report.files_skipped] == [
        ("garbage.eml!body.txt", "二進位檔 binary content")]
    assert {(f.path.rsplit("/", 1)[-1], f.entity, f.value) for f in report.findings} == {
        ("charset.eml!headers.txt", "EMAIL_ADDRESS", "x@example.com"),
        ("charset.eml!body.txt", "PHONE_NUMBER", "0912-345-678"),  # read as Big5
    }


def test_mbox_message_over_the_limit_is_skipped_and_the_rest_scanned(tmp_path):
    small = EmailMessage()
    small.set_content("身分證 A123456789")
    big = EmailMessage()
    big.set_content("x" * 5000)
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From a Mon\n" + bytes(big) + b"\nFrom b Mon\n" + bytes(small))
    res = scan_file(path, limits=ScanLimits(max_member_bytes=2000))
    assert [s["path"].rsplit("/", 1)[-1] for s in res.skipped] == ["box.mbox!1"]
    assert [(f.entity, f.value) for f in res.findings] == [("TW_NATIONAL_ID", "A123456789")]


def test_html_text_keeps_blocks_on_their_own_lines():
    html = ("<div>姓名：王小明</div><p>電話&#xFF1A;0912-345-678<br>地址：&lt;略&gt;</p>"
            "<table><tr><td>統編</td><td>04595257</td></tr></table><style>p{}</style>")
    assert html_text(html).split("\n") == ["姓名：王小明", "電話：0912-345-678", "地址：<略>",
                                           "統編 04595257"]


def test_eml_file_path_names(tmp_path):
    path = tmp_path / "order.eml"
    path.write_bytes(order_mail())
    names = {Path(f.path).name for f in scan_paths([path], workers=1).findings}
    assert "order.eml!attachments" not in names and all(".." not in f for f in names)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_a_large_mailbox_is_cut_between_messages_with_the_same_results(tmp_path, monkeypatch, eol):
    """A mailbox (a Google Takeout export is one .mbox of gigabytes) is cut into parts at
    message starts and scanned in parallel, with the same findings, message numbers, skipped
    messages and counts as a scan of the whole file; also with CRLF line ends (a mailbox
    written on Windows)."""
    from gezi.pii import scan as scan_module

    messages = []
    for i in range(120):
        msg = EmailMessage()
        msg["From"] = f"user{i}@example.com"
        msg["Subject"] = f"訂單 {i}"
        body = "From the desk of 客服\n" if i % 7 == 0 else ""  # an unescaped From line inside
        msg.set_content(body + ("身分證 A123456789\n" if i % 3 == 0 else "電話 0912-345-678\n") * 3
                        + ("x" * 3000 if i == 50 else ""))
        messages.append(b"From sender Mon Nov 23 10:00:00 2026\n" + bytes(msg) + b"\n")
    path = tmp_path / "takeout.mbox"
    path.write_bytes(b"".join(messages).replace(b"\n", eol))
    whole = scan_file(path, limits=ScanLimits(max_member_bytes=3000))
    monkeypatch.setattr(scan_module, "SPLIT_BYTES", 4096)
    monkeypatch.setattr(scan_module, "ScanLimits", lambda: ScanLimits(max_member_bytes=3000))
    parts = scan_module._split_for(path, path.stat().st_size, 2)
    assert parts and len(parts) > 3
    data = path.read_bytes()
    assert all(data[a:].startswith(b"From ") for a, _, _ in parts)  # where a message starts
    for workers in (1, 2):
        report = scan_paths([path], workers=workers)
        assert report.findings == whole.findings
        assert report.files_skipped == whole.skipped
        assert report.files_scanned == whole.files and report.bytes_scanned == whole.bytes
    # The unescaped "From " lines after a blank line start messages too (mbox has no other
    # rule), in the whole file as in the parts: 120 written, 120 + 18 read, one too large.
    assert [s["reason"] for s in whole.skipped] == ["郵件過大 message larger than 3000 bytes"]
    numbers = {int(f.path.split("!")[1]) for f in whole.findings}
    assert max(numbers) == 138 and len(numbers) == 138 - 1


@pytest.mark.parametrize("encoding", ["utf-8", "cp950"])
def test_raw_8bit_headers_and_bodies_without_a_charset(encoding):
    """Mail written without RFC 2047 or a charset label (old systems, Big5 mailers)."""
    from gezi.pii.mail import message_members

    raw = ("From: 王小明 <x@example.com>\nSubject: 退貨 0912-345-678\nContent-Type: text/plain\n\n"
           "身分證 A123456789\n").encode(encoding)
    members = {name: data.decode() if reader is None else _read(reader, data)
               for name, data, reader in message_members(raw)}
    assert members == {"headers.txt": "From: 王小明 <x@example.com>\nSubject: 退貨 0912-345-678",
                       "body.txt": "身分證 A123456789"}


def _read(reader, data: bytes) -> str:
    """A body's text as the scanner reads it (lines joined)."""
    return "\n".join(seg.text for _, segs in reader(lambda: io.BytesIO(data)) for seg in segs)


def _b64(text: str, encoding: str = "cp950") -> bytes:
    return base64.b64encode(text.encode(encoding))


def _word(text: str, label: str) -> bytes:
    """An RFC 2047 encoded word in Big5 under ``label``."""
    return b"=?" + label.encode() + b"?B?" + _b64(text) + b"?="


def outlook_big5_mail() -> bytes:
    """A mail as a Taiwanese Outlook or old webmail writes it: Big5 under the labels big5,
    x-big5 and cp950; alternative bodies inside a related part inside the mixed one; an
    attachment named in Big5 (RFC 2231); a forward (message/rfc822) in Big5; CP950-only
    characters (碁, 恒) that Python's big5 codec does not know."""
    filename = "".join(f"%{b:02X}" for b in "客戶名單.csv".encode("cp950")).encode()
    forward = (b"From: " + _word("張志豪", "cp950") + b" <zhang@example.com>\r\n"
               b"Subject: " + _word("轉寄 統編 04595257", "x-big5") + b"\r\n"
               b"Content-Type: text/plain; charset=\"CP950\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               + _b64("證號 B234567894\r\n") + b"\r\n")
    return (b"From: " + _word("林碁恒", "big5") + b" <lin@example.com>\r\n"
            b"To: " + _word("陳怡君", "x-big5") + b" <chen@example.com>\r\n"
            b"Subject: " + _word("退貨申請", "BIG5") + b"\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
            b"--m\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n"
            b"--r\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
            b"--a\r\nContent-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + _b64("收件人：林碁恒\r\n身分證：A123456789\r\n") + b"\r\n"
            b"--a\r\nContent-Type: text/html; charset=\"x-big5\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + _b64("<html><body><p>電話：0912-345-678</p><p>恒</p></body></html>") + b"\r\n--a--\r\n"
            b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00") + b"\r\n--r--\r\n"
            b"--m\r\nContent-Type: text/csv; name=\"list.csv\"\r\n"
            b"Content-Disposition: attachment; filename*=big5''" + filename + b"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64("姓名,電話\r\n王小明,0922333444\r\n") + b"\r\n"
            b"--m\r\nContent-Type: message/rfc822\r\n\r\n" + forward + b"--m--\r\n")


def test_a_big5_outlook_mail_with_nested_parts_and_a_forward(tmp_path):
    path = tmp_path / "退貨.eml"
    path.write_bytes(outlook_big5_mail())
    report = scan_paths([path], workers=1)
    found = members(report, "退貨.eml!")
    assert {("headers.txt", 2, None, None, "PERSON_NAME", "陳怡君"),
            ("body.txt", 2, None, None, "TW_NATIONAL_ID", "A123456789"),
            ("body-2.txt", 1, None, None, "PHONE_NUMBER", "0912-345-678"),
            ("attachments/客戶名單.csv", None, 2, "姓名", "PERSON_NAME", "王小明"),
            ("attachments/客戶名單.csv", None, 2, "電話", "PHONE_NUMBER", "0922333444"),
            ("attachments/message.eml!headers.txt", 1, None, None, "PERSON_NAME", "張志豪"),
            ("attachments/message.eml!headers.txt", 2, None, None, "TW_UBN", "04595257"),
            ("attachments/message.eml!body.txt", 1, None, None, "TW_NATIONAL_ID", "B234567894"),
            } <= found
    # The inline logo is no text: said, not read as one; nothing else was left unread.
    assert [(s["path"].split("!", 1)[1], s.get("scanned")) for s in report.files_skipped] == \
        [("attachments/part.png", None)]
    from gezi.pii.mail import message_members

    texts = {name: data.decode() if reader is None else _read(reader, data)
             for name, data, reader in message_members(outlook_big5_mail()) if not name.startswith("attach")}
    # CP950-only characters under the big5 label, in headers and bodies, none replaced
    assert texts["headers.txt"].startswith("From: 林碁恒 <lin@example.com>\nTo: 陳怡君")
    assert texts["body.txt"] == "收件人：林碁恒\n身分證：A123456789" and texts["body-2.txt"] == "電話：0912-345-678\n恒"


@pytest.mark.parametrize("html", [False, True])
def test_a_body_that_its_charset_cannot_decode_is_counted_not_guessed(tmp_path, html):
    """Labelled UTF-8, holding Big5 (a misconfigured mailer): read as UTF-8 as labelled; the
    bytes it cannot decode are reported for that body, the rest is scanned."""
    text = "身分證 A123456789 聯絡人 ".encode() + "陳美玲".encode("cp950")
    body = b"<p>" + text + b"</p>" if html else text
    raw = (b"From: x@example.com\r\nContent-Type: text/" + (b"html" if html else b"plain")
           + b"; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(body) + b"\r\n")
    path = tmp_path / "bad.eml"
    path.write_bytes(raw)
    report = scan_paths([path], workers=1)
    assert ("body.txt", 1, None, None, "TW_NATIONAL_ID", "A123456789") in members(report, "bad.eml!")
    (note,) = report.files_skipped
    assert note["path"] == f"{path}!body.txt" and note["scanned"] is True
    assert note["undecodable_bytes"] == 6 and note["first_undecodable_byte"] == body.index(b"\xb3")
    assert note["undecodable_lines"] == [1]  # in the body


def _pct(text: str) -> bytes:
    return "".join(f"%{b:02X}" for b in text.encode("cp950")).encode()


@pytest.mark.parametrize("disposition", [
    b"attachment; filename*=big5''" + _pct("客戶碁.csv"),  # RFC 2231; 碁 is CP950 only
    b"attachment; filename*=x-big5''" + _pct("客戶碁.csv"),  # a label Python does not know
    b"attachment; filename*0*=big5''" + _pct("客戶") + b"; filename*1*=" + _pct("碁.csv"),  # continued
    b'attachment; filename="' + "客戶碁.csv".encode("cp950") + b'"',  # raw 8-bit (old mailers)
    b'attachment; filename="=?big5?B?' + base64.b64encode("客戶碁.csv".encode("cp950")) + b'?="',
])
def test_big5_attachment_names_are_decoded(tmp_path, disposition):
    table = base64.b64encode("姓名,電話\r\n王小明,0922333444\r\n".encode("cp950"))
    raw = (b"From: x@example.com\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
           b"--m\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
           b"--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: " + disposition
           + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + table + b"\r\n--m--\r\n")
    path = tmp_path / "a.eml"
    path.write_bytes(raw)
    report = scan_paths([path], workers=1)
    assert ("attachments/客戶碁.csv", None, 2, "電話", "PHONE_NUMBER", "0922333444") in members(report, "a.eml!")


def test_a_forward_written_in_8bit_big5_keeps_its_bytes(tmp_path):
    inner = ("From: ops@example.com\r\nContent-Type: text/plain; charset=big5\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\n收件人：林碁恒 身分證 A123456789\r\n").encode("cp950")
    raw = (b"From: x@example.com\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
           b"--m\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
           b"--m\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + inner + b"--m--\r\n")
    path = tmp_path / "fwd.eml"
    path.write_bytes(raw)
    report = scan_paths([path], workers=1)
    assert report.files_skipped == []
    assert ("attachments/message.eml!body.txt", 1, None, None, "TW_NATIONAL_ID", "A123456789") \
        in members(report, "fwd.eml!")
    from gezi.pii.mail import message_members

    (forward,) = [m for m in message_members(raw) if m.name == "attachments/message.eml"]
    (body,) = [m for m in message_members(forward.data) if m.name == "body.txt"]
    assert _read(body.reader, body.data) == "收件人：林碁恒 身分證 A123456789"


def test_a_bounce_and_a_read_receipt_give_their_recipients(tmp_path):
    """RFC 3464 / 8098 reports: the addresses sit in blocks of fields the parser holds as
    headers of empty parts; they are read as text."""
    report_mail = (b"From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail\r\n"
                   b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
                   b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
                   b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
                   b"Final-Recipient: rfc822; wang.xm@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
                   b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nTo: chen.yj@example.com\r\n"
                   b"--b--\r\n")
    receipt = (b"From: lin@example.com\r\nSubject: Read\r\n"
               b"Content-Type: multipart/report; report-type=disposition-notification; boundary=d\r\n\r\n"
               b"--d\r\nContent-Type: text/plain\r\n\r\nRead.\r\n"
               b"--d\r\nContent-Type: message/disposition-notification\r\n\r\n"
               b"Final-Recipient: rfc822; zhang.zh@example.com\r\n"
               b"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
               b"--d--\r\n")
    (tmp_path / "bounce.eml").write_bytes(report_mail)
    (tmp_path / "receipt.eml").write_bytes(receipt)
    report = scan_paths([tmp_path], workers=1)
    assert report.files_skipped == []
    emails = {(f.path.split(f"{tmp_path}/", 1)[1], f.value) for f in report.findings if f.entity == "EMAIL_ADDRESS"}
    assert {("bounce.eml!attachments/delivery-status.txt", "wang.xm@example.com"),
            ("bounce.eml!body-2.txt", "chen.yj@example.com"),
            ("receipt.eml!attachments/disposition-notification.txt", "zhang.zh@example.com")} <= emails


def test_a_header_its_charset_cannot_decode_is_said_for_the_message(tmp_path):
    subject = b"=?utf-8?B?" + base64.b64encode("退貨 陳美玲".encode("cp950")) + b"?="  # labelled UTF-8, holds Big5
    raw = (b"From: wang@example.com\r\nSubject: " + subject + b"\r\nTo: =?utf-8?B?" + base64.b64encode(b"\xff")
           + b"?= <b@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nA123456789\r\n")
    path = tmp_path / "h.eml"
    path.write_bytes(raw)
    report = scan_paths([path], workers=1)
    assert {f.value for f in report.findings} == {"wang@example.com", "b@example.com", "A123456789"}
    (item,) = report.files_skipped  # one note for the message, however many headers
    assert item["path"] == str(path) and item["scanned"] is True
    assert item["reason"].startswith("標頭或附件檔名中有無法以 utf-8 解碼的位元組，以 U+FFFD 讀取")
