"""Service report PDF, warm: the median of 50 renders of a demo ticket's 服务报告单.

Each run does what GET /tickets/<id>/report.pdf does: read the ticket into plain data,
stamp the verification code, render with WeasyPrint (CJK font, signature image, QR code).
The baseline, in the same run, is the floor WeasyPrint itself sets: one A4 page with a
line of Chinese in the same font and nothing else. Target: median < 400 ms.

Usage: python -m bench.report_pdf [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

from weasyprint import HTML

from backend.db import db, utcnow
from backend.demo import seed_demo
from backend.exports import documents
from backend.tickets.models import Ticket
from bench.common import fresh_app, save
from printing import render_pdf

FLOOR = ('<html><body style="font-family: \'Noto Sans CJK SC\'"><p>服务报告单 Service report</p>'
         "</body></html>")


def timed(fn, runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    options = parser.parse_args()
    app, _ = fresh_app()
    with app.app_context():
        seed_demo()
        db.session.commit()
        ticket_id = db.session.execute(
            db.select(Ticket.id).where(Ticket.source == "demo").order_by(Ticket.id)).scalar()
    with app.test_request_context(f"/tickets/{ticket_id}/report.pdf"):
        sizes = []

        def report() -> None:
            data, blobs = documents.ticket_document(ticket_id, utcnow())
            data = documents.stamp(data, app.config["SECRET_KEY"], "report", str(ticket_id), "http://localhost/")
            sizes.append(len(render_pdf("service_report", data, blobs=blobs)))

        def data_only() -> None:
            documents.ticket_document(ticket_id, utcnow())

        report_samples = timed(report, options.runs)
        data_samples = timed(data_only, options.runs)
    floor_samples = timed(lambda: HTML(string=FLOOR).write_pdf(), options.runs)
    median = statistics.median(report_samples)
    floor = statistics.median(floor_samples)
    save("report_pdf", {
        "runs": options.runs,
        "report_median_ms": round(median * 1000, 1),
        "report_p95_ms": round(sorted(report_samples)[int(len(report_samples) * 0.95) - 1] * 1000, 1),
        "data_only_median_ms": round(statistics.median(data_samples) * 1000, 1),
        "baseline_one_line_page_median_ms": round(floor * 1000, 1),
        "ratio_to_baseline": round(median / floor, 2),
        "pdf_bytes": sizes[-1],
        "target_ms": 400,
    })


if __name__ == "__main__":
    main()
