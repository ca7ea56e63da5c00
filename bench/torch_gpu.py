#!/usr/bin/env python3
"""PyTorch's side of the GPU comparison (issue 7): one JSON object per line on stdout.

  kind=gemm       torch.matmul at bench/gpu_shapes.json's gemm shapes, f32 (TF32 off), tf32 (TF32 on), bf16
  kind=attention  F.scaled_dot_product_attention at its attention shapes, f32 and bf16 (torch without SDPA, e.g.
                  Debian's 1.13: the math version softmax(q k^T / sqrt(d)) v, marked "impl":"math")
  kind=sdpa-check the tiny Mettle step with SDPA against the math attention (loss and gradients, relative error):
                  the CPU parity test (MettleTorchParityTest) pins the math path only
  kind=step       the Mettle AVE training step of src/test/python/mettle_torch.py at the step setting (paper:
                  Swin-V2-L + HTS-AT, 10 segments, random weights, fp32 with TF32 off as ours), per batch: median
                  step ms after warm-up and torch.cuda.max_memory_allocated (reset after the model and the inputs
                  exist, so weights, inputs, graph, gradients and AdamW state count, as our ledger's peak does)
A row that cannot run says so: {"kind":..., "name":..., "error":"not run: <reason>"}.

  python3 bench/torch_gpu.py --device cuda [--only gemm,attention,sdpa-check,step] [--batches 1,8] [--budget-s 120]
  python3 bench/torch_gpu.py --device cpu --tiny      # smoke run of every row (small shapes, tiny backbones)
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SHAPES = os.path.join(HERE, "gpu_shapes.json")
PY_DIRS = [os.path.join(HERE, "..", "src", "test", "python"), os.path.join(HERE, "python")]  # checkout, bundle


def emit(row):
    print(json.dumps(row, sort_keys=False), flush=True)


def load_shapes(path, tiny):
    with open(path) as f:
        shapes = json.load(f)
    if not tiny:
        return shapes
    t = shapes["tiny"]
    cap = lambda v, c: min(v, c)  # noqa: E731
    shapes["gemm"] = [dict(g, m=cap(g["m"], t["max_dim"]), n=cap(g["n"], t["max_dim"]), k=cap(g["k"], t["max_dim"])) for g in shapes["gemm"]]
    shapes["attention"] = [dict(a, batch=cap(a["batch"], t["max_batch"]), tokens=cap(a["tokens"], t["max_tokens"])) for a in shapes["attention"]]
    shapes["step"] = dict(shapes["step"], **t["step"])
    return shapes


class Timer:
    """Median milliseconds of fn() over iters after warmup; CUDA events on a GPU, perf_counter on the CPU."""

    def __init__(self, torch, device):
        self.torch, self.cuda = torch, device.type == "cuda"

    def median_ms(self, fn, warmup, iters):
        torch = self.torch
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(iters):
            if self.cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)


def set_tf32(torch, on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def bench_gemm(torch, device, timer, shapes, iters):
    for g in shapes["gemm"]:
        for dtype in g["dtypes"]:
            row = {"side": "torch", "kind": "gemm", "name": g["name"], "m": g["m"], "n": g["n"], "k": g["k"], "dtype": dtype}
            if device.type == "cpu" and dtype != "f32":
                emit(dict(row, error="not run: " + dtype + " is a GPU row (CPU smoke run: f32 only)"))
                continue
            try:
                tdt = torch.bfloat16 if dtype == "bf16" else torch.float32
                set_tf32(torch, dtype == "tf32")
                a = torch.randn(g["m"], g["k"], device=device, dtype=tdt)
                b = torch.randn(g["k"], g["n"], device=device, dtype=tdt)
                ms = timer.median_ms(lambda: torch.matmul(a, b), 3, iters)
                emit(dict(row, ms=round(ms, 4), tflops=round(2.0 * g["m"] * g["n"] * g["k"] / ms / 1e9, 3)))
                del a, b
            except Exception as e:  # one failing row must not stop the others
                emit(dict(row, error=f"failed: {type(e).__name__}: {e}"))
            finally:
                set_tf32(torch, False)


def bench_attention(torch, F, device, timer, shapes, iters):
    has_sdpa = hasattr(F, "scaled_dot_product_attention")
    for a in shapes["attention"]:
        for dtype in a["dtypes"]:
            row = {"side": "torch", "kind": "attention", "name": a["name"], "batch": a["batch"], "heads": a["heads"],
                   "tokens": a["tokens"], "head_dim": a["head_dim"], "dtype": dtype, "impl": "sdpa" if has_sdpa else "math"}
            if device.type == "cpu" and dtype != "f32":
                emit(dict(row, error="not run: " + dtype + " is a GPU row (CPU smoke run: f32 only)"))
                continue
            try:
                tdt = torch.bfloat16 if dtype == "bf16" else torch.float32
                q, k, v = (torch.randn(a["batch"], a["heads"], a["tokens"], a["head_dim"], device=device, dtype=tdt) for _ in range(3))
                scale = 1.0 / math.sqrt(a["head_dim"])
                if has_sdpa:
                    fn = lambda: F.scaled_dot_product_attention(q, k, v)  # noqa: E731
                else:
                    fn = lambda: torch.softmax((q @ k.transpose(-2, -1)) * scale, -1) @ v  # noqa: E731
                with torch.no_grad():
                    ms = timer.median_ms(fn, 3, iters)
                flops = 4.0 * a["batch"] * a["heads"] * a["tokens"] ** 2 * a["head_dim"]
                emit(dict(row, ms=round(ms, 4), tflops=round(flops / ms / 1e9, 3)))
            except Exception as e:
                emit(dict(row, error=f"failed: {type(e).__name__}: {e}"))


def sdpa_check(torch, mt, device):
    """Loss and gradients of the tiny step with SDPA vs the math attention (fp32)."""
    row = {"side": "torch", "kind": "sdpa-check", "name": "tiny-step-sdpa-vs-math"}
    if not mt.HAS_SDPA:
        emit(dict(row, error="not run: this torch has no scaled_dot_product_attention (the math path is the one the CPU parity test pins)"))
        return
    results = []
    for use in (False, True):
        mt.USE_SDPA = use
        model = mt.build("swinv2_mini_window4_64", "htsat_mini", device=device, seed=5, meta_tokens=4, ratio=8, common_width=32)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01 * torch.randn_like(p))  # up-projections non-zero
        fs, ms_ = mt.input_shapes("swinv2_mini_window4_64", "htsat_mini", 4)
        gen = torch.Generator().manual_seed(6)
        frames, mel = torch.randn(fs, generator=gen).to(device), torch.randn(ms_, generator=gen).to(device)
        labels = torch.tensor([0, 3, 7, 28], device=device)
        loss = model.loss(frames, mel, labels)
        loss.backward()
        results.append((loss.item(), {n: p.grad.detach().double().cpu() for n, p in model.named_parameters()}))
    mt.USE_SDPA = mt.HAS_SDPA
    (l0, g0), (l1, g1) = results
    worst = max((g1[n] - g0[n]).abs().max().item() / max(g0[n].abs().max().item(), 1e-30) for n in g0)
    emit(dict(row, loss_rel_error=abs(l1 - l0) / abs(l0), worst_grad_rel_error=worst, ok=worst <= 1e-4))


def bench_step(torch, mt, device, timer, step, batches, deadline):
    visual, audio, segments = step["visual"], step["audio"], step["segments"]
    set_tf32(torch, False)
    for batch in batches:
        row = {"side": "torch", "kind": "step", "method": "mettle", "visual": visual, "audio": audio, "batch": batch,
               "segments": segments, "precision": "fp32 (TF32 off)", "attention": "sdpa" if mt.USE_SDPA else "math"}
        if time.monotonic() > deadline:
            emit(dict(row, error="not run: out of time (--budget-s)"))
            continue
        model = None
        try:
            model = mt.build(visual, audio, device=device, seed=1)
            opt = mt.adamw(model, 1e-6, 0.0)  # as StepBenchmark: lr 1e-6, no decay
            fs, ms_ = mt.input_shapes(visual, audio, batch * segments)
            gen = torch.Generator().manual_seed(1)
            frames, mel = torch.randn(fs, generator=gen).to(device), torch.randn(ms_, generator=gen).to(device)
            labels = torch.randint(0, mt.AVE_CLASSES, (batch * segments,), generator=gen).to(device)
            if device.type == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated()
            loss = [None]
            ms = timer.median_ms(lambda: loss.__setitem__(0, mt.train_step(model, opt, frames, mel, labels)), step["warmup"], step["steps"])
            out = dict(row, step_ms=round(ms, 2), steps=step["steps"], warmup=step["warmup"], loss=float(loss[0]),
                       trainable_params=sum(p.numel() for p in model.parameters()))
            if device.type == "cuda":
                out.update(peak_bytes=torch.cuda.max_memory_allocated(), live_before_steps_bytes=base,
                           peak_reserved_bytes=torch.cuda.max_memory_reserved())
            else:
                out.update(peak_bytes=None, peak_note="CPU run: no allocator peak")
            emit(out)
        except Exception as e:
            emit(dict(row, error=f"failed: {type(e).__name__}: {e}"))
        finally:
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda or cpu (default cuda)")
    ap.add_argument("--tiny", action="store_true", help="small shapes and the tiny backbones (CPU smoke run)")
    ap.add_argument("--shapes", default=DEFAULT_SHAPES)
    ap.add_argument("--only", default="gemm,attention,sdpa-check,step", help="comma list of row kinds")
    ap.add_argument("--batches", default=None, help="step batches, e.g. 1,8 (default: the shapes file's)")
    ap.add_argument("--iters", type=int, default=None, help="timed runs per kernel row (default 20, tiny 3)")
    ap.add_argument("--budget-s", type=float, default=600.0, help="step rows after this many seconds are skipped")
    args = ap.parse_args(argv)
    start = time.monotonic()
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # report, not crash: the caller's table shows the reason
        emit({"side": "torch", "kind": "env", "error": f"not run: cannot import torch ({type(e).__name__}: {e})"})
        return 0
    for d in PY_DIRS:
        if os.path.isfile(os.path.join(d, "mettle_torch.py")):
            sys.path.insert(0, d)
            break
    import mettle_torch as mt
    kinds = set(args.only.split(","))
    env = {"side": "torch", "kind": "env", "torch": torch.__version__, "device": args.device, "sdpa": mt.HAS_SDPA,
           "cuda": torch.version.cuda, "tiny": args.tiny}
    if args.device == "cuda":
        if not torch.cuda.is_available():
            emit(dict(env, error="not run: torch.cuda.is_available() is False (no GPU or no CUDA build of torch)"))
            return 0
        env.update(gpu=torch.cuda.get_device_name(0), capability=".".join(map(str, torch.cuda.get_device_capability(0))))
    emit(env)
    device = torch.device(args.device)
    shapes = load_shapes(args.shapes, args.tiny)
    timer = Timer(torch, device)
    iters = args.iters or (3 if args.tiny else 20)
    if "gemm" in kinds:
        bench_gemm(torch, device, timer, shapes, iters)
    if "attention" in kinds:
        bench_attention(torch, F, device, timer, shapes, iters)
    if "sdpa-check" in kinds:
        try:
            sdpa_check(torch, mt, device)
        except Exception as e:
            emit({"side": "torch", "kind": "sdpa-check", "name": "tiny-step-sdpa-vs-math", "error": f"failed: {type(e).__name__}: {e}"})
    if "step" in kinds:
        step = shapes["step"]
        batches = [int(b) for b in args.batches.split(",")] if args.batches else step["batches"]
        bench_step(torch, mt, device, timer, step, batches, start + args.budget_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
