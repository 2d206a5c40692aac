"""Rendering: a Jinja environment of our own, formatting filters, the URL fetcher, WeasyPrint."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from backend.db import yuan

PRINTING_DIR = Path(__file__).resolve().parent
STATIC_DIR = PRINTING_DIR.parent / "pwa" / "static"
DOCUMENTS = ("service_report", "receipt", "commission_statement")
DEFAULT_ZONE = "Asia/Shanghai"
BLOB_PREFIX = "fieldsync:blob/"
STATIC_PREFIX = "fieldsync:static/"


# --- filters: the only place values are formatted ---------------------------------------


def _parse(value: Any) -> datetime | date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M", zone: str = DEFAULT_ZONE) -> str:
    parsed = _parse(value)
    if parsed is None:
        return ""
    if isinstance(parsed, datetime):
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(ZoneInfo(zone))
    return parsed.strftime(fmt)


def local_date(value: Any, zone: str = DEFAULT_ZONE) -> str:
    return local_time(value, "%Y-%m-%d", zone)


def percent(rate_bp: int | None) -> str:
    return "" if rate_bp is None else f"{rate_bp / 100:g}%"


def coefficient(permille: int | None) -> str:
    return "" if permille is None else f"×{permille / 1000:g}"


def qr_data_uri(text: str) -> str:
    """The verify URL as an SVG QR code, inline (no file, no network)."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=1, dark="#111")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PRINTING_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        yuan=yuan,
        local_time=local_time,
        local_date=local_date,
        percent=percent,
        coefficient=coefficient,
        qr=qr_data_uri,
    )
    return env


# --- the URL fetcher ---------------------------------------------------------------------


class DocumentFetcher(URLFetcher):
    """Serves only the blobs handed over with the data, the app's static files and data: URIs.

    Anything else (file:, http(s):, a path out of the static folder, an unknown blob) is
    refused, so a template or a hostile value in the data cannot read the server's disk or
    make it call out."""

    def __init__(
        self, blobs: dict[str, tuple[bytes, str]] | None = None, static_dir: Path = STATIC_DIR
    ) -> None:
        super().__init__(timeout=2, allowed_protocols={"data", "fieldsync"}, allow_redirects=False)
        self.blobs = blobs or {}
        self.static_dir = static_dir.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(BLOB_PREFIX):
            found = self.blobs.get(url.removeprefix(BLOB_PREFIX))
            if found is not None:
                data, content_type = found
                return URLFetcherResponse(url, data, {"Content-Type": content_type})
        elif url.startswith(STATIC_PREFIX):
            path = (self.static_dir / url.removeprefix(STATIC_PREFIX)).resolve()
            if path.is_relative_to(self.static_dir) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})
        self.refused.append(url)
        raise ValueError(f"refused to fetch {url[:80]}")


def _mime(path: Path) -> str:
    return {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".svg": "image/svg+xml",
        ".webp": "image/webp",
        ".css": "text/css",
    }.get(path.suffix.lower(), "application/octet-stream")


# --- rendering ---------------------------------------------------------------------------


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@cache
def _stylesheet(document: str) -> CSS:
    # Parsed once per process: the fonts and the rules do not change between documents.
    text = (PRINTING_DIR / "base.css").read_text() + (PRINTING_DIR / document / "style.css").read_text()
    return CSS(string=text, font_config=_font_config())


def render_html(document: str, data: dict[str, Any], *, layout: str = "a4") -> str:
    if document not in DOCUMENTS:
        raise ValueError(f"unknown document {document}")
    template = environment().get_template(f"{document}/template.html")
    return template.render(doc=data, layout=layout, blob_url=BLOB_PREFIX)


def render_pdf(
    document: str,
    data: dict[str, Any],
    *,
    blobs: dict[str, tuple[bytes, str]] | None = None,
    layout: str | None = None,
    fetcher: DocumentFetcher | None = None,
) -> bytes:
    """The PDF of a document from its plain data; `blobs` maps sha256 -> (bytes, content type)
    for the images the data names (the signature)."""
    fetcher = fetcher or DocumentFetcher(blobs)
    html = render_html(document, data, layout=layout or "a4")
    stylesheets = [_stylesheet(document)]
    if layout == "80mm":
        stylesheets.append(_stylesheet_80mm(document))
    return HTML(string=html, base_url="fieldsync:static/", url_fetcher=fetcher).write_pdf(
        stylesheets=stylesheets, font_config=_font_config()
    )


@cache
def _stylesheet_80mm(document: str) -> CSS:
    return CSS(string=(PRINTING_DIR / document / "style-80mm.css").read_text(), font_config=_font_config())


def sample_data(document: str) -> dict[str, Any]:
    """The realistic sample each document folder carries, for previews and tests."""
    return json.loads((PRINTING_DIR / document / "sample.json").read_text())


def sample_blobs(document: str) -> dict[str, tuple[bytes, str]]:
    """The images a sample names (the signature), keyed by their SHA-256 like real blobs."""
    import hashlib

    blobs = {}
    for path in (PRINTING_DIR / document).glob("sample-*.svg"):
        data = path.read_bytes()
        blobs[hashlib.sha256(data).hexdigest()] = (data, "image/svg+xml")
    return blobs
