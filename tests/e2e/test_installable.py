"""The app is installable: a manifest with the icons a phone asks for, served under /app/."""

from __future__ import annotations

import json
import struct

import pytest

pytestmark = pytest.mark.e2e


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_makes_the_app_installable_with_real_icons(live_server):
    client = live_server.app.test_client()

    def get(path: str) -> tuple[int, str, bytes]:
        with client.get(path) as response:  # closes the file a static response holds
            return response.status_code, response.mimetype, response.get_data()

    status, mimetype, body = get("/app/manifest.webmanifest")
    assert status == 200 and mimetype == "application/manifest+json"
    manifest = json.loads(body)
    assert manifest["start_url"] == "/app/" and manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone" and manifest["theme_color"].startswith("#")
    assert manifest["name"] and manifest["short_name"]
    sizes = {}
    for icon in manifest["icons"]:
        data = get(icon["src"])[2]
        width, height = png_size(data)
        assert f"{width}x{height}" == icon["sizes"] and icon["type"] == "image/png"
        sizes.setdefault(icon.get("purpose", "any"), set()).add(icon["sizes"])
    assert sizes == {"any": {"192x192", "512x512"}, "maskable": {"512x512"}}
    shell = get("/app/job/12")[2].decode()
    assert '<link rel="manifest" href="/app/manifest.webmanifest">' in shell
    assert '<meta name="theme-color"' in shell
