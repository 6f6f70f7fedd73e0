#!/usr/bin/env python3
"""Draws WebTV's PWA icons (Public/tv/icons/icon-192.png and icon-512.png) with the standard
library only: a full-bleed background (so the icon is maskable: launchers may crop it to any
shape) and a TV screen with a play mark inside the central safe zone (a circle of 80 % of the
width). Run it again after changing the colours; the PNGs are committed."""
import struct
import zlib
from pathlib import Path

BACKGROUND = (0x0B, 0x12, 0x20)
SCREEN = (0x2F, 0x80, 0xED)
MARK = (0xF5, 0xF7, 0xFA)
STAND = (0x9A, 0xA8, 0xC0)


def inside_rounded(x, y, left, top, right, bottom, radius):
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def inside_triangle(x, y, a, b, c):
    def side(p, q, r):
        return (p[0] - r[0]) * (q[1] - r[1]) - (q[0] - r[0]) * (p[1] - r[1])
    d1, d2, d3 = side((x, y), a, b), side((x, y), b, c), side((x, y), c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


def pixel(u, v):
    """Colour at (u, v) in unit coordinates (0..1), the drawing kept within the safe zone."""
    if inside_triangle(u, v, (0.44, 0.33), (0.44, 0.57), (0.62, 0.45)):
        return MARK
    if inside_rounded(u, v, 0.24, 0.24, 0.76, 0.66, 0.05):
        return SCREEN
    if inside_rounded(u, v, 0.40, 0.70, 0.60, 0.74, 0.02):
        return STAND
    return BACKGROUND


def png(size: int) -> bytes:
    rows = bytearray()
    samples = 3  # 3×3 supersampling smooths the edges
    for y in range(size):
        rows.append(0)
        for x in range(size):
            acc = [0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    c = pixel((x + (sx + 0.5) / samples) / size, (y + (sy + 0.5) / samples) / size)
                    for i in range(3):
                        acc[i] += c[i]
            rows.extend(round(a / samples ** 2) for a in acc)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "Public" / "tv" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
        print(f"wrote {out / f'icon-{size}.png'}")
