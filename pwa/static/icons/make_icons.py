"""Draws the app icons (PNG, no dependencies): python3 pwa/static/icons/make_icons.py

A white ring (sync) crossed by a white wrench handle on the brand blue. The "any" icons
are rounded squares on transparency; the maskable one is full-bleed with the drawing
inside the 80 % safe zone, as the maskable icon spec asks.
"""

import math
import struct
import zlib
from pathlib import Path

BLUE = (11, 92, 173)
WHITE = (255, 255, 255)
SAMPLES = 3  # supersampling per axis, for smooth edges


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def inside_rounded_square(x: float, y: float, radius: float) -> bool:
    # unit square [0, 1]^2 with rounded corners
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def distance_to_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def sample(x: float, y: float, maskable: bool) -> tuple[int, int, int, int]:
    """Colour at (x, y) in unit coordinates."""
    if not maskable and not inside_rounded_square(x, y, 0.2):
        return (0, 0, 0, 0)
    scale = 0.8 if maskable else 1.0  # maskable: keep the drawing in the safe zone
    u, v = (x - 0.5) / scale + 0.5, (y - 0.5) / scale + 0.5
    r = math.hypot(u - 0.5, v - 0.5)
    ring = 0.25 <= r <= 0.33 and not (u > 0.5 and v < 0.5 and abs((u - 0.5) + (v - 0.5)) < 0.06)
    handle = distance_to_segment(u, v, 0.36, 0.64, 0.64, 0.36) <= 0.055
    head = math.hypot(u - 0.64, v - 0.36) <= 0.1 and math.hypot(u - 0.7, v - 0.3) > 0.06
    return (*WHITE, 255) if ring or handle or head else (*BLUE, 255)


def icon(size: int, maskable: bool) -> bytes:
    rows = []
    n = SAMPLES
    for py in range(size):
        row = bytearray()
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(n):
                for sx in range(n):
                    c = sample((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size, maskable)
                    acc[0] += c[0] * c[3]
                    acc[1] += c[1] * c[3]
                    acc[2] += c[2] * c[3]
                    acc[3] += c[3]
            alpha = acc[3] / (n * n)
            if acc[3]:
                row += bytes((round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(alpha)))
            else:
                row += b"\x00\x00\x00\x00"
        rows.append(bytes(row))
    return png(size, size, rows)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    (here / "icon-192.png").write_bytes(icon(192, maskable=False))
    (here / "icon-512.png").write_bytes(icon(512, maskable=False))
    (here / "icon-maskable-512.png").write_bytes(icon(512, maskable=True))
