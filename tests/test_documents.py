"""Printed documents: the service report (服务报告单), the receipt (A4 and 80 mm) and the
monthly commission statement, read back from the PDF; the verification code; the URL
fetcher that serves only our own files and blobs. One page of each is rendered to PNG in
tests/e2e/screenshots/ for a person to look at."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from backend.commission.models import CommissionGrade, CommissionRule
from backend.db import db, utcnow
from backend.fees.periods import month_of
from backend.fees.service import summary_hash, summary_of
from printing import DOCUMENTS, DocumentFetcher, render_pdf, sample_blobs, sample_data
from printing.render import STATIC_DIR, render_html
from tests.test_fees import office_view, repair

pytestmark = pytest.mark.storage

SCREENSHOTS = Path(__file__).resolve().parent / "e2e" / "screenshots"
MM = 72 / 25.4


def signature_png() -> bytes:
    """A real handwriting-like signature, 600 x 200, as a phone's canvas exports it."""
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    pen.line(
        [
            (40, 150),
            (90, 40),
            (130, 140),
            (180, 60),
            (230, 150),
            (300, 50),
            (360, 140),
            (420, 70),
            (520, 120),
        ],
        fill=(16, 42, 92, 255),
        width=7,
        joint="curve",
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def images_of(pdf: bytes) -> list:
    return [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]


def screenshot(pdf: bytes, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = SCREENSHOTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "70",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(SCREENSHOTS / name),
        ],
        check=True,
    )
    source.unlink()
    return SCREENSHOTS / f"{name}.png"


@pytest.fixture
def done(shop, phone):
    """A finished visit: a paid part, a warranty part, the customer's own part, two fees,
    a real signature, paid by WeChat, five stars."""
    tech = shop.technician("tech1", grade="senior")
    shop.part("REF-R32-1KG", 18000, name="R32 冷媒 1kg")
    shop.part("CAP-35UF", name="启动电容 35μF")
    shop.van(tech, {"CAP-35UF": 2, "CAP-2UF": 2})
    shop.fee("inspect", 5000, kind="inspection", name="上门检测费", name_en="Home inspection")
    shop.fee("labour.capacitor", 8000, name="更换电容工时", name_en="Capacitor replacement labour")
    ticket = shop.ticket(tech, fault={"category": "E1", "description": "空调不制冷，室外机嗡嗡响"})
    device = phone("tech1")
    signature = device.put_blob(signature_png())
    device.push(
        device.mutation(
            "diagnosis.record", ticket.id, visit_id=ticket.visits[0].id, fault_code="E1", notes="启动电容鼓包"
        )
    )
    repair(
        device,
        ticket.id,
        parts=[
            ("CAP-35UF", 1, "van", "paid"),
            ("CAP-2UF", 1, "van", "warranty"),
            ("REF-R32-1KG", 1, "customer", "paid"),
        ],
        fees=[("inspect", 1), ("labour.capacitor", 1)],
        rating=5,
        sign=False,
    )
    detail = office_view(device.client, ticket.id)
    device.push(
        device.mutation(
            "signature.capture",
            ticket.id,
            blob=signature,
            signer_name="刘女士",
            summary_hash=summary_hash(summary_of(ticket.id, detail["parts"], detail["fees"])),
        )
    )
    return {"ticket": ticket, "device": device, "signature": signature, "detail": detail}


def test_the_service_report_shows_the_visit_in_chinese_with_totals_and_the_signature(done, office):
    ticket = done["ticket"]

    response = office("dispatcher").get(f"/tickets/{ticket.id}/report.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = text_of(response.data)
    for expected in (
        "服务报告单",
        ticket.number,
        "刘女士",
        "138****",
        "格力",
        "空调不制冷",
        "启动电容鼓包",
        "启动电容 35μF",
        "保修",
        "自备件",
        "上门检测费",
        "更换电容工时",
        "¥175.00",
        "微信支付",
        "Tech1",
        "验证码",
        "★★★★★",
    ):
        assert expected in text, expected
    assert done["detail"]["total_fen"] == 4500 + 5000 + 8000  # the warranty and the customer's parts cost 0
    [signature] = images_of(response.data)
    assert Image.open(io.BytesIO(signature.data)).size == (600, 200)
    screenshot(response.data, "test_service_report")


def test_a_refusal_is_printed_with_its_reason_instead_of_a_signature(shop, phone, office):
    tech = shop.technician("tech1")
    shop.fee("inspect", 5000, kind="inspection")
    ticket = shop.ticket(tech)
    device = phone("tech1")
    repair(device, ticket.id, fees=[("inspect", 1)], sign=False)
    device.push(
        device.mutation(
            "signature.capture",
            ticket.id,
            blob=None,
            refused=True,
            refusal_reason="客户不在家，家属不愿签字",
            summary_hash=summary_hash(summary_of(ticket.id, [], [])),
        )
    )

    pdf = office("dispatcher").get(f"/tickets/{ticket.id}/report.pdf").data

    text = text_of(pdf)
    assert "客户拒绝签字" in text and "客户不在家，家属不愿签字" in text
    assert images_of(pdf) == []


def test_the_receipt_prints_on_a4_and_on_80_mm_paper(done, office):
    desk = office("finance")

    a4 = desk.get(f"/tickets/{done['ticket'].id}/receipt.pdf")
    roll = desk.get(f"/tickets/{done['ticket'].id}/receipt.pdf?layout=80mm")

    for response in (a4, roll):
        assert response.status_code == 200
        text = text_of(response.data)
        assert "收据" in text and "¥175.00" in text and "已结清" in text
    a4_page = PdfReader(io.BytesIO(a4.data)).pages[0].mediabox
    roll_page = PdfReader(io.BytesIO(roll.data)).pages[0].mediabox
    assert round(float(a4_page.width) / MM) == 210
    assert round(float(roll_page.width) / MM) == 80 and len(PdfReader(io.BytesIO(roll.data)).pages) == 1
    screenshot(roll.data, "test_receipt_80mm")
    assert desk.get(f"/tickets/{done['ticket'].id}/receipt.pdf?layout=58mm").status_code == 400


def test_the_commission_statement_lists_every_line(done, office):
    db.session.add_all(
        [
            CommissionGrade(grade="senior", coefficient_pm=1200, base_wage_fen=350_000),
            CommissionRule(
                name="工时提成 10%", applies_to="fee", fee_kind="labour", mode="percent", rate_bp=1000
            ),
        ]
    )
    db.session.commit()
    month = month_of(utcnow())
    office("finance").post("/api/commission/rebuild", json={"month": month})

    response = office("finance").get(f"/commission/{month}/tech1.pdf")
    own = done["device"].get(f"/commission/{month}/tech1.pdf")

    text = text_of(response.data)
    assert "提成结算单" in text and "工时提成 10%" in text and done["ticket"].number in text
    assert "¥9.60" in text and "¥3,509.60" in text  # 80 x 10% x 1.2, plus the base wage
    assert own.status_code == 200
    screenshot(response.data, "test_commission_statement")


def test_documents_are_only_for_the_office_and_the_ticket_s_technician(done, shop, phone, client):
    shop.technician("tech2")
    stranger = phone("tech2")
    ticket_id = done["ticket"].id
    month = month_of(utcnow())

    assert stranger.get(f"/tickets/{ticket_id}/report.pdf").status_code == 403
    assert stranger.get(f"/commission/{month}/tech1.pdf").status_code == 403
    assert done["device"].get(f"/tickets/{ticket_id}/receipt.pdf").status_code == 200
    assert client.get(f"/tickets/{ticket_id}/report.pdf").status_code == 401
    assert done["device"].get(f"/commission/{month}/nobody.pdf").status_code == 403


def test_the_printed_code_verifies_until_the_record_changes(done, office, client):
    ticket = done["ticket"]
    pdf = office("dispatcher").get(f"/tickets/{ticket.id}/report.pdf").data
    code = re.search(r"([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{2})", text_of(pdf)).group(1)
    url = re.search(
        r"(http://localhost/verify/report/\d+/[0-9A-F]{10})", text_of(pdf).replace("\n", "")
    ).group(1)

    valid = client.get(url)
    wrong_last = "1" if code.endswith("0") else "0"  # a typo, never the code itself
    typo = client.get(f"/verify/report/{ticket.id}/{code[:-1]}{wrong_last}")
    device = done["device"]
    device.push(
        device.mutation("payment.record", ticket.id, payment_id="extra", method="cash", amount_fen=100)
    )
    stale = client.get(url)

    assert url.endswith(code.replace("-", ""))
    assert valid.status_code == 200 and "验证通过" in valid.get_data(as_text=True)
    assert "¥175.00" in valid.get_data(as_text=True)
    assert typo.status_code == 404 and stale.status_code == 404
    assert "验证失败" in stale.get_data(as_text=True)
    assert client.get("/verify/report/999999/0000000000").status_code == 404


def test_the_fetcher_serves_our_blobs_and_static_files_and_nothing_else(tmp_path):
    png = signature_png()
    sha = hashlib.sha256(png).hexdigest()
    fetcher = DocumentFetcher({sha: (png, "image/png")})

    assert fetcher.fetch(f"fieldsync:blob/{sha}").read() == png
    static = next(p for p in sorted(STATIC_DIR.rglob("*")) if p.is_file())
    served = fetcher.fetch(f"fieldsync:static/{static.relative_to(STATIC_DIR).as_posix()}")
    assert served.read() == static.read_bytes()
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://127.0.0.1/a",
        "fieldsync:static/../../backend/config.py",
        f"fieldsync:blob/{'0' * 64}",
        "ftp://x/y",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_hostile_image_url_in_the_data_is_not_fetched(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(signature_png())
    data = sample_data("service_report")
    data["signature"]["blob"] = f'x" src="file://{secret}'  # escaped by the template
    data["customer"]["name"] = f'<img src="file://{secret}">'
    fetcher = DocumentFetcher()

    pdf = render_pdf("service_report", data, fetcher=fetcher)

    assert images_of(pdf) == []
    assert "<img" in text_of(pdf)  # shown as text, not markup
    assert all(not url.startswith("file:") for url in fetcher.refused)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_each_document_renders_its_sample(document):
    data = sample_data(document)

    pdf = render_pdf(document, data, blobs=sample_blobs(document))

    text = text_of(pdf)
    assert data["verify"]["code"] in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "{{" not in render_html(document, data)
