#!/usr/bin/python3
"""Times torch.matmul (Debian's torch calls OpenBLAS sgemm) at one size; prints one JSON line.

usage: /usr/bin/python3 bench/openblas_gemm.py [m n k [warmup [iters]]] [--threads N] [--batch B]
Thread counts are set explicitly (default: all cores) before torch loads, because OpenBLAS reads
OPENBLAS_NUM_THREADS when the library is loaded. --batch B times torch.bmm over B products instead
(for context only: torch's CPU bmm decides itself whether to call BLAS per item).
"""
import argparse
import json
import os
import subprocess
import sys
import time


def blas_alternative():
    """Which libblas.so.3 the system links (expect openblas-pthread)."""
    try:
        out = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"],
                             capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Value:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def openblas_threads():
    """OpenBLAS's own thread count, asked from the loaded library."""
    import ctypes
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            fn = lib.openblas_get_num_threads
            fn.restype = ctypes.c_int
            return fn()
        except (OSError, AttributeError):
            continue
    return -1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("sizes", nargs="*", type=int, help="m n k [warmup [iters]]")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--batch", type=int, default=0, help="time torch.bmm over this many products")
    args = p.parse_args()
    v = args.sizes + [1024, 1024, 1024, 5, 20][len(args.sizes):]
    if len(args.sizes) not in (0, 3, 4, 5):
        p.error("give m n k, optionally warmup and iters")
    m, n, k, warmup, iters = v
    blas = blas_alternative()
    if "openblas-pthread" not in blas:
        print(f"warning: libblas.so.3 is {blas}, not OpenBLAS (pthread); "
              "select it with update-alternatives --config libblas.so.3-x86_64-linux-gnu", file=sys.stderr)
    t = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = t
    os.environ["OMP_NUM_THREADS"] = t
    import torch
    torch.set_num_threads(args.threads)

    g = torch.Generator().manual_seed(0)
    batch = args.batch
    shape = (batch,) if batch else ()
    a = torch.rand(*shape, m, k, generator=g) * 2 - 1
    b = torch.rand(*shape, k, n, generator=g) * 2 - 1
    c = torch.empty(*shape, m, n)
    op = torch.bmm if batch else torch.matmul
    for _ in range(warmup):
        op(a, b, out=c)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        op(a, b, out=c)
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    med = times[iters // 2] if iters % 2 else 0.5 * (times[iters // 2 - 1] + times[iters // 2])
    flops = 2.0 * max(batch, 1) * m * n * k
    print(json.dumps({
        "op": "gemm_batched" if batch else "gemm", "impl": "torch.bmm" if batch else "openblas",
        **({"batch": batch} if batch else {}), "m": m, "n": n, "k": k,
        "ms": round(med, 4), "min_ms": round(times[0], 4), "gflops": round(flops / (med * 1e6), 2),
        "threads": torch.get_num_threads(), "openblas_threads": openblas_threads(),
        "blas": blas, "torch": torch.__version__,
    }))


if __name__ == "__main__":
    sys.exit(main())
