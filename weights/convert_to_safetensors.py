#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (.pth / .pt / .ckpt / .bin) to safetensors for Mettle. Needs PyTorch only.

    python3 weights/convert_to_safetensors.py IN.pth OUT.safetensors [--strip-prefix P ...] [--drop-prefix P ...]
                                              [--dtype keep|f32|f16|bf16] [--unsafe-pickle]

What it does:
  * loads the file on the CPU; by default with torch.load(weights_only=True), which refuses pickled code. Lightning
    checkpoints often pickle hyper-parameter objects and then need --unsafe-pickle (only for files you trust).
  * finds the state dict: a Lightning checkpoint's "state_dict", a {"model": ...} or {"state_dict": ...} wrapper
    (DeiT / timm training scripts), or the file itself when it is a plain name -> tensor dict.
  * --strip-prefix P (repeatable): removes P from the start of names that have it, e.g. "module." (DataParallel),
    "module.v." (AST), "sed_model." (HTS-AT's Lightning module). Prefixes are tried in the order given, each once.
  * --drop-prefix P (repeatable): leaves out tensors whose (stripped) name starts with P, e.g. "head.".
    Mettle ignores classifier heads itself, so this is only to make files smaller.
  * --dtype: keep the stored dtypes (default) or convert floating tensors to f32 / f16 / bf16.
  * writes the safetensors file atomically (temp file + rename): header with "__metadata__" (source file name),
    tensors in sorted name order, data 8-byte aligned, little-endian.
  * prints every tensor it wrote (name, dtype, shape) and what it skipped, then a summary line.
"""
import argparse
import json
import os
import struct
import sys
import tempfile

import torch

DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}
CONVERT = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def load_state_dict(path, unsafe):
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not unsafe)
    except Exception as e:  # noqa: BLE001 - any unpickling failure gets the same advice
        if unsafe:
            raise
        sys.exit(f"convert: {path}: torch.load(weights_only=True) refused the file ({type(e).__name__}: {e}).\n"
                 "If you trust the file (e.g. an official Lightning checkpoint), rerun with --unsafe-pickle.")
    for key in ("state_dict", "model", "model_state_dict", "module"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            print(f"using the checkpoint's '{key}' entry")
            return obj[key]
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "state_dict"):
        print(f"the file holds a whole {type(obj).__name__} module; using its state_dict()")
        return obj.state_dict()
    sys.exit(f"convert: {path}: no state dict found (top-level object is {type(obj).__name__})")


def rename(name, strip):
    for p in strip:
        if name.startswith(p):
            name = name[len(p):]
    return name


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--strip-prefix", action="append", default=[], metavar="P")
    ap.add_argument("--drop-prefix", action="append", default=[], metavar="P")
    ap.add_argument("--dtype", choices=["keep", "f32", "f16", "bf16"], default="keep")
    ap.add_argument("--unsafe-pickle", action="store_true", help="allow pickled objects (trusted files only)")
    args = ap.parse_args()

    sd = load_state_dict(args.input, args.unsafe_pickle)
    tensors, skipped = {}, []
    for name, value in sd.items():
        if not isinstance(value, torch.Tensor):
            skipped.append(f"{name} (not a tensor: {type(value).__name__})")
            continue
        new = rename(name, args.strip_prefix)
        if any(new.startswith(p) for p in args.drop_prefix):
            skipped.append(f"{name} (dropped by prefix)")
            continue
        if new in tensors:
            sys.exit(f"convert: two tensors map to '{new}' after stripping prefixes (second: '{name}')")
        if args.dtype != "keep" and value.is_floating_point():
            value = value.to(CONVERT[args.dtype])
        if value.dtype not in DTYPES:
            sys.exit(f"convert: tensor '{name}' has dtype {value.dtype}, which safetensors cannot store here")
        tensors[new] = value
    if not tensors:
        sys.exit(f"convert: {args.input}: no tensors left to write")

    header = {"__metadata__": {"format": "pt", "source": os.path.basename(args.input)}}
    offset = 0
    order = sorted(tensors)
    for name in order:
        t = tensors[name]
        n = t.numel() * t.element_size()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)

    out_dir = os.path.dirname(os.path.abspath(args.output))
    fd, tmp = tempfile.mkstemp(prefix=".convert-", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for name in order:
                f.write(tensor_bytes(tensors[name]))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, args.output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

    for name in order:
        t = tensors[name]
        print(f"  {name:60s} {DTYPES[t.dtype]:5s} {list(t.shape)}")
    for s in skipped:
        print(f"  skipped {s}")
    print(f"wrote {args.output}: {len(order)} tensors, {offset} data bytes, {len(skipped)} skipped")


if __name__ == "__main__":
    main()
