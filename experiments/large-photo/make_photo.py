#!/usr/bin/env python3
"""Makes the large test photo of experiments/large-photo/: 3000x2000 RGB, from Set14's baboon.

The lab has no photo of that size that it may commit, so this builds one deterministically from an
image of the test set: baboon (500x480) is cut to 3:2, enlarged by bilinear interpolation to
3000x2000 and given seeded Gaussian grain (sigma 3 grey levels), so the PNG encoder meets
photo-like, hard-to-compress content. Needs numpy only; writes an 8-bit RGB PNG.

usage: make_photo.py DATA_ROOT OUT.png [--width 3000 --height 2000 --seed 0]
"""
import argparse
import struct
import sys
import zlib

import numpy as np


def read_bmp24(path):
    data = open(path, "rb").read()
    if data[:2] != b"BM":
        sys.exit(f"{path}: not a BMP")
    offset, = struct.unpack_from("<I", data, 10)
    width, height = struct.unpack_from("<ii", data, 18)
    bits, = struct.unpack_from("<H", data, 28)
    if bits != 24:
        sys.exit(f"{path}: {bits}-bit BMP, expected 24-bit")
    row = (width * 3 + 3) // 4 * 4
    rows = [np.frombuffer(data, np.uint8, width * 3, offset + r * row).reshape(width, 3)
            for r in range(abs(height))]
    image = np.stack(rows[::-1] if height > 0 else rows)
    return image[:, :, ::-1].astype(np.float64)  # BGR bottom-up -> RGB top-down


def bilinear(image, width, height):
    h, w, _ = image.shape
    ys = (np.arange(height) + 0.5) * h / height - 0.5
    xs = (np.arange(width) + 0.5) * w / width - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1); y1 = np.clip(y0 + 1, 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1); x1 = np.clip(x0 + 1, 0, w - 1)
    fy = np.clip(ys - y0, 0, 1)[:, None, None]; fx = np.clip(xs - x0, 0, 1)[None, :, None]
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data_root"); p.add_argument("out")
    p.add_argument("--width", type=int, default=3000); p.add_argument("--height", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    source = read_bmp24(f"{a.data_root}/Set14/baboon.bmp")
    h, w, _ = source.shape
    cut = source[: min(h, w * a.height // a.width), :]
    photo = bilinear(cut, a.width, a.height)
    photo += np.random.default_rng(a.seed).normal(0, 3, photo.shape)
    write_png(a.out, np.clip(np.rint(photo), 0, 255).astype(np.uint8))
    print(f"{a.out}: {a.width}x{a.height} from Set14/baboon.bmp, grain sigma 3, seed {a.seed}")


if __name__ == "__main__":
    main()
