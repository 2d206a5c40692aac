"""Printed documents: render_pdf(document, data) with WeasyPrint.

One folder per document (service_report/, receipt/, commission_statement/), each with
template.html, style.css and sample.json (the data a preview or a test renders). Templates
receive plain dicts (schema dumps), never ORM objects, so rendering cannot reach the
database; formatting (fen to yuan, UTC to local time) happens in template filters.
Images come only through DocumentFetcher: the app's own static files, the blobs handed
over with the data, and data: URIs (the QR code). file: and external URLs are refused.
"""

from printing.render import (
    DOCUMENTS,
    DocumentFetcher,
    render_html,
    render_pdf,
    sample_blobs,
    sample_data,
)

__all__ = ["DOCUMENTS", "DocumentFetcher", "render_html", "render_pdf", "sample_blobs", "sample_data"]
