#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plots kinema-train loss logs (CSV: step,loss,seconds) into a PNG with the standard library only.

usage: plot_loss.py OUT.png LOG.csv[:label] ...   one panel per log, log-scale loss axis, raw loss in light
colour and a 10-step moving average in dark colour.
"""
import math
import struct
import sys
import zlib

W, H, PAD = 360, 240, 30
FONT = {  # 3x5 digits for axis labels
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", ".": "000000000000010", "e": "000111101110111",
    "-": "000000111000000",
}


def read(path):
    steps, losses = [], []
    with open(path) as f:
        next(f)
        for line in f:
            parts = line.strip().split(",")
            if len(parts) >= 2:
                steps.append(int(parts[0]))
                losses.append(float(parts[1]))
    return steps, losses


def panel(img, x0, steps, losses):
    lo = math.log10(max(min(losses), 1e-6))
    hi = math.log10(max(max(losses), 1e-6))
    if hi - lo < 1e-3:
        hi = lo + 1
    s0, s1 = steps[0], max(steps[-1], steps[0] + 1)

    def put(x, y, c):
        if 0 <= x < len(img[0]) // 3 and 0 <= y < H:
            img[y][3 * x:3 * x + 3] = c

    def to_xy(s, l):
        x = x0 + PAD + (s - s0) / (s1 - s0) * (W - 2 * PAD)
        y = H - PAD - (math.log10(max(l, 1e-6)) - lo) / (hi - lo) * (H - 2 * PAD)
        return int(round(x)), int(round(y))

    def line(a, b, c):
        n = max(abs(b[0] - a[0]), abs(b[1] - a[1]), 1)
        for i in range(n + 1):
            put(a[0] + (b[0] - a[0]) * i // n, a[1] + (b[1] - a[1]) * i // n, c)

    def text(x, y, s):
        for ch in s:
            glyph = FONT.get(ch)
            if glyph:
                for i, bit in enumerate(glyph):
                    if bit == "1":
                        for dy in range(2):
                            for dx in range(2):
                                put(x + 2 * (i % 3) + dx, y + 2 * (i // 3) + dy, [0, 0, 0])
            x += 8

    line((x0 + PAD, PAD), (x0 + PAD, H - PAD), [0, 0, 0])
    line((x0 + PAD, H - PAD), (x0 + W - PAD, H - PAD), [0, 0, 0])
    text(x0 + 2, PAD - 12, "%.3g" % 10 ** hi)
    text(x0 + 2, H - PAD + 4, "%.3g" % 10 ** lo)
    text(x0 + W - PAD - 30, H - PAD + 12, str(s1))
    pts = [to_xy(s, l) for s, l in zip(steps, losses)]
    for a, b in zip(pts, pts[1:]):
        line(a, b, [170, 190, 230])
    avg = []
    for i in range(len(losses)):
        window = losses[max(0, i - 9):i + 1]
        avg.append(to_xy(steps[i], sum(window) / len(window)))
    for a, b in zip(avg, avg[1:]):
        line(a, b, [20, 40, 140])


def main():
    out, logs = sys.argv[1], sys.argv[2:]
    img = [bytearray([255] * (3 * W * len(logs))) for _ in range(H)]
    for i, spec in enumerate(logs):
        steps, losses = read(spec.split(":")[0])
        if steps:
            panel(img, i * W, steps, losses)
    raw = b"".join(b"\x00" + bytes(row) for row in img)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W * len(logs), H, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(out, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
