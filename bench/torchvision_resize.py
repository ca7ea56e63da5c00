#!/usr/bin/python3
"""Frames per second of decode + Resize(shorter side) + CenterCrop + ToTensor + Normalize with PIL/torchvision,
the counterpart of org.mettle.data.image.FrameBenchmark (same directory, same sizes, bytes already in memory).

    /usr/bin/python3 bench/torchvision_resize.py DIR [--size 224] [--filter bicubic] [--rounds 3] [--threads 1]

Two paths are timed: PIL decode + torchvision transforms on the PIL image (what AVE/AVS loaders do), and
torchvision.io.decode_jpeg + tensor Resize(antialias=True) (JPEG inputs only).
"""
import argparse
import glob
import io
import os
import time

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--filter", default="bicubic", choices=["bicubic", "bilinear"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    files = sorted(f for f in glob.glob(os.path.join(args.dir, "*")) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        raise SystemExit(f"{args.dir} holds no .jpg or .png files")
    blobs = [open(f, "rb").read() for f in files]
    mode = T.InterpolationMode.BICUBIC if args.filter == "bicubic" else T.InterpolationMode.BILINEAR
    norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    pil_tf = T.Compose([T.Resize(args.size, interpolation=mode), T.CenterCrop(args.size), T.ToTensor(), norm])
    tensor_tf = T.Compose([T.Resize(args.size, interpolation=mode, antialias=True), T.CenterCrop(args.size)])
    mp = sum(Image.open(io.BytesIO(b)).size[0] * Image.open(io.BytesIO(b)).size[1] for b in blobs) / len(blobs) / 1e6

    def pil_path(b):
        return pil_tf(Image.open(io.BytesIO(b)).convert("RGB"))

    def tensor_path(b):
        img = torchvision.io.decode_jpeg(torch.frombuffer(bytearray(b), dtype=torch.uint8))
        return norm(tensor_tf(img).float().div(255))

    paths = [("PIL + torchvision transforms", pil_path)]
    if all(f.lower().endswith((".jpg", ".jpeg")) for f in files):
        paths.append(("torchvision.io.decode_jpeg + tensor Resize(antialias=True)", tensor_path))
    for name, fn in paths:
        for b in blobs:  # warm-up
            fn(b)
        t0 = time.perf_counter()
        for _ in range(args.rounds):
            for b in blobs:
                fn(b)
        dt = time.perf_counter() - t0
        n = args.rounds * len(blobs)
        print(f"{name}: {len(blobs)} images (mean {mp:.2f} MP), {args.filter} {args.size}, "
              f"{args.threads} thread(s): {n / dt:.1f} frames/s")


if __name__ == "__main__":
    main()
