#!/usr/bin/python3
"""Single-thread CPU time of the ops of torchvision's vit_b_16 forward (batch 1) and of the whole forward; the
counterpart of bench/VitOpsCpuTime.java (same op names, same shapes). time.thread_time, with torch, OpenMP and
OpenBLAS on one thread (all work on the calling thread), so other jobs on a shared machine disturb it less.

    /usr/bin/python3 bench/torch_vit_ops.py [iters]     -> one JSON line
"""
import json
import os
import statistics
import subprocess
import sys
import time

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def main():
    if any(os.environ.get(k) != v for k, v in ONE_THREAD.items()):
        # the thread variables must be set before torch is imported
        env = dict(os.environ, **ONE_THREAD)
        sys.exit(subprocess.run([sys.executable] + sys.argv, env=env).returncode)
    import torch
    import torchvision
    F = torch.nn.functional
    torch.set_num_threads(1)
    torch.manual_seed(0)
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    n, d, hidden = 197, 768, 3072
    x, h = torch.randn(1, n, d), torch.randn(1, n, hidden)
    qkv_w, qkv_b = torch.randn(3 * d, d) * .02, torch.randn(3 * d) * .02
    proj_w, bias = torch.randn(d, d) * .02, torch.randn(d) * .02
    fc1_w, fc1_b, fc2_w = torch.randn(hidden, d) * .02, torch.randn(hidden) * .02, torch.randn(d, hidden) * .02
    q, k, v = (torch.randn(1, 12, n, 64) for _ in range(3))
    ln = torch.nn.LayerNorm(d).eval()
    model = torchvision.models.vit_b_16().eval()
    img = torch.randn(1, 3, 224, 224)
    ops = {
        "qkv": lambda: F.linear(x, qkv_w, qkv_b),
        "proj": lambda: F.linear(x, proj_w, bias),
        "fc1": lambda: F.linear(x, fc1_w, fc1_b),
        "fc2": lambda: F.linear(h, fc2_w, bias),
        # the attention core as torch 1.13 runs it for vit_b_16 (two bmm + softmax), without the projections
        "attention": lambda: ((q @ k.transpose(-1, -2)) * 0.125).softmax(-1) @ v,
        "gelu": lambda: F.gelu(h),
        "layer_norm": lambda: ln(x),
        "model": lambda: model(img),
    }
    out = {"impl": "torch " + torch.__version__, "clock": "thread_cpu", "threads": torch.get_num_threads()}
    with torch.no_grad():
        for name, f in ops.items():
            reps = max(3, iters // 3) if name == "model" else iters
            for _ in range(3):
                f()
            ms = []
            for _ in range(reps):
                t0 = time.thread_time()
                f()
                ms.append((time.thread_time() - t0) * 1000)
            out[name] = {"min_ms": round(min(ms), 3), "ms": round(statistics.median(ms), 3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
