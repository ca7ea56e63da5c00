#!/usr/bin/python3
"""Safetensors fixtures for org.mettle.io tests, made with PyTorch (Debian's python3-torch 1.13).

Debian has no `safetensors` package, so files are written here by hand from the format spec
(8-byte little-endian header length, JSON header padded with spaces, raw little-endian data),
with torch doing every dtype conversion.

Usage (always /usr/bin/python3, which has torch):
  /usr/bin/python3 src/test/python/make_safetensors_fixtures.py
      regenerates src/test/resources/safetensors/torch_fixtures.safetensors (never hand-edit it)
  /usr/bin/python3 src/test/python/make_safetensors_fixtures.py --verify FILE
      checks a file written by the Java test SafetensorsPyTorchInteropTest: strict header checks, then
      every tensor loaded into torch and compared with java_expected() below; prints OK or the problems
      and exits 1. The Java test runs this itself when /usr/bin/python3 with torch is present.
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parents[1] / "resources" / "safetensors" / "torch_fixtures.safetensors"

DTYPES = {  # torch dtype -> (safetensors name, integer view dtype used to get the raw bits, element size)
    torch.float32: ("F32", torch.int32, 4),
    torch.float16: ("F16", torch.int16, 2),
    torch.bfloat16: ("BF16", torch.int16, 2),
    torch.int32: ("I32", torch.int32, 4),
    torch.int64: ("I64", torch.int64, 8),
}
NAME_TO_TORCH = {v[0]: k for k, v in DTYPES.items()}


def raw_bytes(t):
    """Little-endian bytes of a tensor, from torch's own bit patterns."""
    _, view, size = DTYPES[t.dtype]
    bits = t.contiguous().view(view).numpy()
    return bits.astype(bits.dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata):
    """Writes like the reference implementation: data ordered by element size (largest first) then name."""
    order = sorted(tensors, key=lambda n: (-DTYPES[tensors[n].dtype][2], n))
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in order:
        t = tensors[name]
        data = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    # ensure_ascii and the default ", " separators: unlike the Java writer, so the reader sees \\u escapes.
    text = json.dumps(header, ensure_ascii=True).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def f32_bits(bits):
    return torch.tensor(np.array(bits, dtype=np.uint32).view(np.int32)).view(torch.float32)


def rounding_sources(gen):
    """Float32 values that exercise round-to-nearest-even into F16 and BF16: midpoints, +-1 ulp, edges."""
    vals = []
    # F16 midpoints between consecutive finite halves (exact in float32), and one float32 ulp either side.
    halves = torch.randint(0, 0x7BFF, (40,), generator=gen, dtype=torch.int32).tolist() + [0, 1, 2, 0x3FF, 0x3FE, 0x400, 0x7BFE, 0x7BFF]
    for k in halves:
        lo = torch.tensor([k], dtype=torch.int16).view(torch.float16).float().item()
        hi = torch.tensor([k + 1], dtype=torch.int16).view(torch.float16).float().item() if k < 0x7BFF else 65536.0
        mid = np.float32((np.float64(lo) + np.float64(hi)) / 2)
        vals += [mid, np.nextafter(mid, np.float32(0)), np.nextafter(mid, np.float32(np.inf))]
    # BF16 midpoints: low 16 bits exactly 0x8000, and one ulp either side.
    tops = torch.randint(0, 0x7F7F, (40,), generator=gen, dtype=torch.int32).tolist() + [0, 1, 0x7F, 0x80, 0x7F7F]
    for k in tops:
        vals += list(f32_bits([(k << 16) | 0x8000, (k << 16) | 0x7FFF, (k << 16) | 0x8001]).numpy())
    vals += [65504.0, 65519.99609375, 65520.0, 1e9, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 3 * 2.0 ** -25, 2.0 ** -26,
             1e-40, 3.4028234663852886e38, float("inf"), float("-inf"), float("nan"), 0.0, -0.0]
    # Random magnitudes from 1e-9 to 1e6.
    mags = torch.randn(64, generator=gen) * torch.pow(10.0, torch.randint(-9, 7, (64,), generator=gen).float())
    vals += mags.tolist()
    t = torch.tensor(np.array(vals, dtype=np.float32))
    signs = torch.where(torch.rand(t.shape, generator=gen) < 0.5, -1.0, 1.0)
    return torch.cat([t, t[:120] * signs[:120]])


def make_fixtures():
    gen = torch.Generator().manual_seed(20250623)
    specials = [0.0, -0.0, float("inf"), float("-inf"), float("nan")]
    f32 = torch.arange(12, dtype=torch.float32) * 0.25 - 1.0  # the Java test recomputes this
    f32[[1, 4, 7, 9, 10]] = torch.tensor([float("inf"), float("nan"), -0.0, 1e-40, 3.4028234663852886e38])
    f16_src = torch.tensor(specials + [2.0 ** -24, 3 * 2.0 ** -24, 1023 * 2.0 ** -24, -(2.0 ** -24), 2.0 ** -14, 65504.0,
                                       -65504.0, 1.0 / 3, 0.1, -2.5], dtype=torch.float32)
    f16 = torch.cat([f16_src, torch.randn(15, generator=gen)]).reshape(2, 3, 5).half()
    bf16_src = torch.tensor(specials + [1e-40, -1e-39, 9.2e-41, 3.3895313892515355e38, 1.0 / 3, 0.1, -2.5], dtype=torch.float32)
    bf16 = torch.cat([bf16_src, torch.randn(6, generator=gen) * 1000]).reshape(3, 6).bfloat16()
    rsrc = rounding_sources(gen)
    tensors = {
        "f32": f32.reshape(3, 4),
        "f16": f16,
        "f16_as_f32": f16.float(),
        "bf16": bf16,
        "bf16_as_f32": bf16.float(),
        "i32": torch.tensor([-2 ** 31, -1, 0, 1, 2 ** 31 - 1], dtype=torch.int32),
        "i64": torch.tensor([[-2 ** 63, -1, 0], [1, 2 ** 31, 2 ** 63 - 1]], dtype=torch.int64),
        "i64_small": torch.tensor([-2 ** 31, -7, 0, 2 ** 31 - 1], dtype=torch.int64),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "odd_f16": torch.tensor([1.0, 2.0, 3.0], dtype=torch.float16),
        "round_src": rsrc,
        "round_f16": rsrc.half(),
        "round_bf16": rsrc.bfloat16(),
        "unicode.\u00e9.\U0001F642": torch.tensor([7.0], dtype=torch.float32),
    }
    metadata = {"format": "pt", "producer": "make_safetensors_fixtures.py", "escapes": "quote\" back\\ tab\t \u00fc \U0001F642"}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(OUT, tensors, metadata)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


# ---- verification of a Java-written file ----

def java_expected():
    """The content SafetensorsPyTorchInteropTest writes; keep the two in sync."""
    return {
        "a_f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) * 0.5 - 1.0,
        "b_f16": torch.tensor([1.0, 65504.0, 2.0 ** -24, -0.0, float("inf"), 0.1], dtype=torch.float32).half(),
        "c_bf16": torch.tensor([[1.0, -2.5], [3.14159265, 1e-40]], dtype=torch.float32).bfloat16(),
        "d_i32": torch.tensor([-2 ** 31, -1, 0, 2 ** 31 - 1], dtype=torch.int32),
        "e_i64": torch.tensor([-2 ** 63, 2 ** 63 - 1], dtype=torch.int64),
        "scalar": torch.tensor(42.5, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
        "unicode \u00e9\U0001F642": torch.tensor([7.0], dtype=torch.float32),
    }, {"config": "{\"dim\": 8}", "\u00fc": "\u00df"}


def verify(path):
    problems = []
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    if n % 8 != 0:
        problems.append(f"header length {n} is not a multiple of 8")
    header_text = raw[8:8 + n].decode("utf-8")
    if not header_text.rstrip(" ").endswith("}"):
        problems.append("header is not a JSON object padded with spaces")
    header = json.loads(header_text)
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1]) for v in header.values())
    pos = 0
    for b, e in spans:  # the reference implementation rejects holes and overlaps
        if b != pos:
            problems.append(f"data offsets not contiguous at {b} (expected {pos})")
        pos = e
    if pos != len(data):
        problems.append(f"data section is {len(data)} bytes, tensors cover {pos}")
    expected, expected_meta = java_expected()
    if metadata != expected_meta:
        problems.append(f"metadata {metadata} != {expected_meta}")
    if set(header) != set(expected):
        problems.append(f"names {sorted(header)} != {sorted(expected)}")
    for name, want in expected.items():
        if name not in header:
            continue
        info = header[name]
        dtype = NAME_TO_TORCH[info["dtype"]]
        b, e = info["data_offsets"]
        if b % DTYPES[dtype][2] != 0:
            problems.append(f"{name}: offset {b} not aligned to its element size")
        got = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.zeros(0, dtype=dtype)
        got = got.reshape(info["shape"])
        if dtype != want.dtype or list(got.shape) != list(want.shape):
            problems.append(f"{name}: {info['dtype']}{list(got.shape)} != {DTYPES[want.dtype][0]}{list(want.shape)}")
        elif not torch.equal(got.view(DTYPES[dtype][1]), want.view(DTYPES[dtype][1])):
            problems.append(f"{name}: values differ: {got.tolist()} vs {want.tolist()}")
    if problems:
        print("\n".join(problems))
        return 1
    print(f"OK: {len(expected)} tensors and metadata match")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        sys.exit(verify(sys.argv[2]))
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    make_fixtures()
