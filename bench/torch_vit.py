#!/usr/bin/python3
"""PyTorch CPU baseline for `mettle bench model`: torchvision's vit_b_16 (= timm vit_base_patch16_224 geometry:
224x224, patch 16, 12 blocks, width 768, 12 heads, 197 tokens), random weights, eval mode, no grad, fp32.

    /usr/bin/python3 bench/torch_vit.py [--batch 1] [--threads N] [--warmup 3] [--iters 10]
        prints one JSON line: {"impl": "torchvision vit_b_16", "ms": median, "min_ms": ..., "threads": ..., ...}

    /usr/bin/python3 bench/torch_vit.py --compare [--rounds 3] [--mettle ./mettle] [--omp-passive]
        runs `mettle bench model --arch vit_base_patch16_224 --json` and this baseline alternately, round after
        round, with the same thread count (METTLE_THREADS for mettle, torch.set_num_threads + OMP/OpenBLAS
        variables for torch), so both see the same machine load; prints one JSON line per measurement and a
        last line with both medians-of-medians and the ratio torch_ms / mettle_ms (> 1: mettle is faster).

The thread count defaults to os.cpu_count(). OpenBLAS/OpenMP read their thread variables when torch is imported,
so the torch measurement runs in a child process with them set.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def measure_torch(batch, threads, warmup, iters):
    import torch
    import torchvision

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.vit_b_16().eval()
    x = torch.randn(batch, 3, 224, 224)
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    blas = "openblas" if "openblas" in os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3") else "system libblas"
    return {"impl": "torchvision vit_b_16", "arch": "vit_base_patch16_224", "batch": batch,
            "ms": round(statistics.median(times), 3), "min_ms": round(times[0], 3), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "blas": blas}


def child_env(threads, omp_passive=False):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "METTLE_THREADS"):
        env[var] = str(threads)
    if omp_passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def run_torch_child(args, threads):
    cmd = [sys.executable, os.path.abspath(__file__), "--batch", str(args.batch), "--threads", str(threads),
           "--warmup", str(args.warmup), "--iters", str(args.iters)]
    out = subprocess.run(cmd, env=child_env(threads, args.omp_passive), check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["omp_wait_policy"] = "PASSIVE" if args.omp_passive else os.environ.get("OMP_WAIT_POLICY", "default")
    return result


def run_mettle(args, threads):
    cmd = shlex.split(args.mettle) + ["bench", "model", "--arch", "vit_base_patch16_224", "--batch", str(args.batch),
           "--device", "cpu", "--warmup", str(args.warmup), "--iters", str(args.iters), "--json"] + (["--prepack"] if args.prepack else [])
    out = subprocess.run(cmd, env=child_env(threads), check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--omp-passive", action="store_true",
                   help="run torch with OMP_WAIT_POLICY=PASSIVE (OpenMP threads sleep instead of spinning: on a busy"
                        " machine spinning threads steal the cores the other threads need)")
    p.add_argument("--compare", action="store_true", help="alternate mettle and torch runs and print the ratio")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds with --compare")
    p.add_argument("--mettle", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mettle"),
                   help="the mettle command (split like a shell line; default: the repository's ./mettle)")
    p.add_argument("--prepack", action="store_true",
                   help="ours with the frozen Linear weights packed once (bench model --prepack: inference mode, +1 weight copy)")
    args = p.parse_args()
    if not args.compare:
        if os.environ.get("OMP_NUM_THREADS") != str(args.threads) or (args.omp_passive and os.environ.get("OMP_WAIT_POLICY") != "PASSIVE"):
            # thread variables must be set before torch is imported: rerun in a child with them
            print(json.dumps(run_torch_child(args, args.threads)))
            return
        print(json.dumps(measure_torch(args.batch, args.threads, args.warmup, args.iters)))
        return
    mettle, torch_runs = [], []
    for _ in range(args.rounds):
        mettle.append(run_mettle(args, args.threads))
        print(json.dumps(mettle[-1]), flush=True)
        torch_runs.append(run_torch_child(args, args.threads))
        print(json.dumps(torch_runs[-1]), flush=True)
    mm = statistics.median(r["ms"] for r in mettle)
    tm = statistics.median(r["ms"] for r in torch_runs)
    print(json.dumps({"compare": "vit_base_patch16_224 forward, fp32 cpu, no grad", "batch": args.batch,
                      "threads": args.threads, "rounds": args.rounds, "torch_omp_passive": args.omp_passive,
                      "mettle_prepack": args.prepack, "mettle_ms": mm, "torch_ms": tm,
                      "mettle_min_ms": min(r["min_ms"] for r in mettle), "torch_min_ms": min(r["min_ms"] for r in torch_runs),
                      "ratio_torch_over_mettle": round(tm / mm, 3)}))


if __name__ == "__main__":
    main()
