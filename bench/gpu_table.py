#!/usr/bin/env python3
"""The README's GPU table (issue 7) from gpu-compare.json (native/gpu-compare.sh) and gpu-check.json (gpu-check.sh).

  python3 bench/gpu_table.py --compare OUT/gc2/gpu-compare.json [--check OUT/gc/gpu-check.json] \
      [--raw-dir docs/gpu-results] > table.md

Prints markdown: device, driver, date, the GPU check's test counts, then one row per measurement with ours, PyTorch,
the ratio, the goal and whether it is met. Ratios: kernels ours/PyTorch throughput (= PyTorch ms / ours ms, higher is
better); step time and peak memory ours/PyTorch (lower is better); ledger plan vs device peak |device - plan| / plan.
A row whose side did not run shows "not run: <reason>". --raw-dir D copies both JSON files and the table to
D/<date>-<gpu>/ (the raw record next to the README's numbers).
Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = float(1 << 20)
GEMM_F32_V2_GOAL = 0.8  # gemm_f32_v2 (-Dmettle.cuda.gemmF32=v2) against PyTorch's (cuBLAS) fp32 GEMM


def load(path):
    with open(path) as f:
        return json.load(f)


def fmt_num(v, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}{unit}"
    if abs(v) >= 10:
        return f"{v:.1f}{unit}"
    return f"{v:.3g}{unit}"


def fmt_mib(b):
    return "n/a" if b is None else f"{b / MIB:,.1f} MiB"


class Rows:
    """The rows of gpu-compare.json, indexed by side and kind."""

    def __init__(self, compare):
        self.rows = compare.get("rows", [])
        env = [r for r in self.rows if r.get("side") == "torch" and r.get("kind") == "env"]
        self.torch_env = env[0] if env else None
        self.torch_down = next((r["error"] for r in env if "error" in r), None)

    def find(self, side, kind, **match):
        """The first row with these fields; rows with a "variant" only when match names it."""
        for r in self.rows:
            if r.get("side") == side and r.get("kind") == kind and all(r.get(k) == v for k, v in match.items()) \
                    and ("variant" not in r or "variant" in match):
                return r
        return None

    def missing(self, side, row):
        """The reason a side's row has no number, or None when it has one."""
        if row is None:
            if side == "torch" and self.torch_down:
                return self.torch_down
            return "not run: no row (out of time or not in this run)"
        if "error" in row:
            return row["error"]
        return None


def cell(reason):
    text = reason.replace("|", "/").replace("\n", " ")
    return text if len(text) <= 100 else text[:97] + "..."


def met(ratio, goal, higher_is_better):
    if ratio is None or goal is None:
        return "-"
    ok = ratio >= goal if higher_is_better else ratio <= goal
    return "yes" if ok else "**no**"


def variants(rows, kind, name, dtype):
    """Our kernel variants measured for one shape: None (the default kernel) first, then each named one in file order
    (gpu-compare.sh adds "variant":"tc" rows for attention; rows without the field are the default kernel)."""
    found = [None]
    for r in rows.rows:
        v = r.get("variant")
        if r.get("side") == "ours" and r.get("kind") == kind and r.get("name") == name and r.get("dtype") == dtype \
                and v not in (None, "classic") and v not in found:
            found.append(v)
    return found


def find_variant(rows, kind, name, dtype, variant):
    for r in rows.rows:
        if r.get("side") == "ours" and r.get("kind") == kind and r.get("name") == name and r.get("dtype") == dtype \
                and (r.get("variant") in (None, "classic") if variant is None else r.get("variant") == variant):
            return r
    return None


def kernel_rows(rows, shapes, kind, out):
    for spec in shapes.get(kind, []):
        for dtype in spec["dtypes"]:
            for variant in variants(rows, kind, spec["name"], dtype):
                kernel_row(rows, spec, kind, dtype, variant, out)


def kernel_row(rows, spec, kind, dtype, variant, out):
    ours = find_variant(rows, kind, spec["name"], dtype, variant)
    torch = rows.find("torch", kind, name=spec["name"], dtype=dtype)
    if kind == "gemm":
        what = f"GEMM {dtype} {spec['name']} ({spec['m']}x{spec['n']}x{spec['k']})"
        flops = 2.0 * spec["m"] * spec["n"] * spec["k"]
        goal = spec.get("goal_ratio") if dtype == "bf16" else None  # the goal is for bf16
    else:
        what = f"attention fwd {dtype} {spec['name']} ({spec['batch']}x{spec['heads']}x{spec['tokens']}x{spec['head_dim']})"
        flops = 4.0 * spec["batch"] * spec["heads"] * spec["tokens"] ** 2 * spec["head_dim"]
        goal = spec.get("goal_ratio")
    if variant:  # with the kernel that ran, so a variant that fell back to the default kernel shows it
        kernel = ((ours or {}).get("result") or {}).get("kernel")
        what += f" [{variant}: {kernel}]" if kernel else f" [{variant}]"
    ours_ms = None if rows.missing("ours", ours) else ours["result"].get("ms")
    torch_ms = None if rows.missing("torch", torch) else torch.get("ms")
    o = f"{fmt_num(flops / ours_ms / 1e9)} TFLOP/s" if ours_ms else cell(rows.missing("ours", ours) or "no ms")
    t = f"{fmt_num(flops / torch_ms / 1e9)} TFLOP/s" if torch_ms else cell(rows.missing("torch", torch) or "no ms")
    if torch_ms and torch.get("impl") == "math":
        t += " (math, no SDPA)"
    ratio = torch_ms / ours_ms if ours_ms and torch_ms else None
    out.append((what, o, t, fmt_num(ratio, "x") if ratio else "-", f">= {goal:.2f}x" if goal else "-", met(ratio, goal, True)))


def gemm_variant_rows(rows, shapes, out):
    """f32 GEMM rows again with gemm_f32_v2 ("variant":"v2"), against PyTorch and against our v1 row."""
    for spec in shapes.get("gemm", []):
        if "f32" not in spec["dtypes"]:
            continue
        ours = rows.find("ours", "gemm", name=spec["name"], dtype="f32", variant="v2")
        if ours is None:
            continue
        v1 = rows.find("ours", "gemm", name=spec["name"], dtype="f32")
        torch = rows.find("torch", "gemm", name=spec["name"], dtype="f32")
        flops = 2.0 * spec["m"] * spec["n"] * spec["k"]
        ours_ms = None if rows.missing("ours", ours) else ours["result"].get("ms")
        v1_ms = None if rows.missing("ours", v1) else v1["result"].get("ms")
        torch_ms = None if rows.missing("torch", torch) else torch.get("ms")
        o = f"{fmt_num(flops / ours_ms / 1e9)} TFLOP/s" if ours_ms else cell(rows.missing("ours", ours) or "no ms")
        if ours_ms and v1_ms:
            o += f" ({fmt_num(v1_ms / ours_ms, 'x')} v1)"
        t = f"{fmt_num(flops / torch_ms / 1e9)} TFLOP/s" if torch_ms else cell(rows.missing("torch", torch) or "no ms")
        ratio = torch_ms / ours_ms if ours_ms and torch_ms else None
        out.append((f"GEMM f32 {spec['name']} ({spec['m']}x{spec['n']}x{spec['k']}), gemm_f32_v2", o, t,
                    fmt_num(ratio, "x") if ratio else "-", f">= {GEMM_F32_V2_GOAL:.2f}x", met(ratio, GEMM_F32_V2_GOAL, True)))


def step_variant_rows(rows, shapes, out):
    """The Mettle step again with gemm_f32_v2 ("variant":"gemmF32=v2"): time against PyTorch and our default run."""
    step = shapes["step"]
    for b in step["batches"]:
        ours = rows.find("ours", "step", method="mettle", batch=b, variant="gemmF32=v2")
        if ours is None:
            continue
        base = rows.find("ours", "step", method="mettle", batch=b)
        torch = rows.find("torch", "step", method="mettle", batch=b)
        om = None if rows.missing("ours", ours) else (ours["result"].get("methods") or [{}])[0]
        bm = None if rows.missing("ours", base) else (base["result"].get("methods") or [{}])[0]
        o_ms, b_ms = (om or {}).get("step_ms"), (bm or {}).get("step_ms")
        t_ms = None if rows.missing("torch", torch) else torch.get("step_ms")
        o = f"{fmt_num(o_ms)} ms" if o_ms else cell(rows.missing("ours", ours) or "no step_ms")
        if o_ms and b_ms:
            o += f" (v1 {fmt_num(b_ms)} ms)"
        ratio = o_ms / t_ms if o_ms and t_ms else None
        out.append((f"Mettle step B={b} x {step['segments']} seg: time, gemm_f32_v2", o,
                    f"{fmt_num(t_ms)} ms" if t_ms else cell(rows.missing("torch", torch) or "no step_ms"),
                    fmt_num(ratio, "x") if ratio else "-", f"<= {step['goal_time_ratio']:.1f}x", met(ratio, step["goal_time_ratio"], False)))


def gemm_variant_check_lines(check):
    """gpu-check's f32 GEMM benchmarks per shape and variant (v1 = gemm_f32, v2* = gemm_f32_v2_*): which to default."""
    by_shape = {}
    for r in (check or {}).get("bench", []):
        if r.get("bench") == "gemm" and r.get("dtype") == "f32" and str(r.get("variant", "")).startswith("v"):
            by_shape.setdefault(r.get("shape"), {}).setdefault(r["variant"], r)
    if not any(v != "v1" for variants in by_shape.values() for v in variants):
        return []
    lines = ["", "fp32 GEMM variants (gpu-check, `mettle bench gemm`; _nt = B stored [n, k]; -Dmettle.cuda.gemmF32):", "",
             "| shape | variant | kernel | TFLOP/s | ms | speed-up vs v1 |", "|---|---|---|---|---|---|"]
    for shape, variants in by_shape.items():
        one = variants.get("v1")
        for name, r in variants.items():
            speed = fmt_num(one["ms"] / r["ms"], "x") if one and one.get("ms") and r.get("ms") else "-"
            kernel = str(r.get("kernel", "?")) + (f" + split-K {r['splitK']}" if (r.get("splitK") or 1) > 1 else "")
            lines.append(f"| {shape} | {name} | {kernel} | {fmt_num(r.get('tflops'))} | {fmt_num(r.get('ms'))} | {speed} |")
    return lines


def step_rows(rows, shapes, out):
    step = shapes["step"]
    for b in step["batches"]:
        ours = rows.find("ours", "step", method="mettle", batch=b)
        torch = rows.find("torch", "step", method="mettle", batch=b)
        om = None if rows.missing("ours", ours) else (ours["result"].get("methods") or [{}])[0]
        tm = None if rows.missing("torch", torch) else torch
        label = f"Mettle step B={b} x {step['segments']} seg"
        o_ms, t_ms = (om or {}).get("step_ms"), (tm or {}).get("step_ms")
        ratio = o_ms / t_ms if o_ms and t_ms else None
        out.append((label + ": time", f"{fmt_num(o_ms)} ms" if o_ms else cell(rows.missing("ours", ours) or "no step_ms"),
                    f"{fmt_num(t_ms)} ms" if t_ms else cell(rows.missing("torch", torch) or "no step_ms"),
                    fmt_num(ratio, "x") if ratio else "-", f"<= {step['goal_time_ratio']:.1f}x", met(ratio, step["goal_time_ratio"], False)))
        o_peak, t_peak = (om or {}).get("peak_bytes"), (tm or {}).get("peak_bytes")
        ratio = o_peak / t_peak if o_peak and t_peak else None
        out.append((label + ": peak memory (ledger vs torch.cuda.max_memory_allocated)",
                    fmt_mib(o_peak) if o_peak else cell(rows.missing("ours", ours) or "no peak"),
                    fmt_mib(t_peak) if t_peak else cell(rows.missing("torch", torch) or (tm or {}).get("peak_note") or "no peak"),
                    fmt_num(ratio, "x") if ratio else "-", f"<= {step['goal_memory_ratio']:.1f}x", met(ratio, step["goal_memory_ratio"], False)))
        o_dev, t_res = (om or {}).get("device_peak_bytes"), (tm or {}).get("peak_reserved_bytes")
        if o_dev or t_res:
            ratio = o_dev / t_res if o_dev and t_res else None
            out.append((label + ": device peak (driver high-water vs torch max_memory_reserved)", fmt_mib(o_dev), fmt_mib(t_res),
                        fmt_num(ratio, "x") if ratio else "-", "-", "-"))
        plan = rows.find("ours", "plan", method="mettle", batch=b)
        p_bytes = None if rows.missing("ours", plan) else plan["result"].get("peak_bytes")
        p_cell = "plan " + fmt_mib(p_bytes) if p_bytes else cell(rows.missing("ours", plan) or "no plan")
        goal = f"<= {100 * step['goal_plan_error']:.0f}%"
        # the allocator's peak of blocks handed out (rounded sizes), measured on the device run (CudaAllocator.Stats)
        in_use = ((om or {}).get("allocator") or {}).get("peakInUseBytes")
        if in_use:
            err = abs(in_use - p_bytes) / p_bytes if p_bytes else None
            out.append((label + ": ledger plan vs allocator peak in use (blocks handed out)", f"in use {fmt_mib(in_use)}", p_cell,
                        f"{100 * err:.1f}% off" if err is not None else "-", goal, met(err, step["goal_plan_error"], False)))
        err = abs(o_dev - p_bytes) / p_bytes if o_dev and p_bytes else None
        ours_cell = f"device {fmt_mib(o_dev)} (ledger {fmt_mib(o_peak)})" if o_dev else cell(rows.missing("ours", ours) or "no device peak")
        out.append((label + ": ledger plan vs driver high-water (tensors + the allocator's cache)", ours_cell, p_cell,
                    f"{100 * err:.1f}% off" if err is not None else "-", goal, met(err, step["goal_plan_error"], False)))
    for b in step.get("lavish_batches", []):
        lav = rows.find("ours", "step", method="lavish", batch=b)
        met_row = rows.find("ours", "step", method="mettle", batch=b)
        lm = None if rows.missing("ours", lav) else (lav["result"].get("methods") or [{}])[0]
        mm = None if rows.missing("ours", met_row) else (met_row["result"].get("methods") or [{}])[0]
        for what, key, unit in (("time", "step_ms", "ms"), ("peak memory", "peak_bytes", "B")):
            lv, mv = (lm or {}).get(key), (mm or {}).get(key)
            show = (lambda v: f"{fmt_num(v)} ms") if unit == "ms" else fmt_mib
            ratio = mv / lv if lv and mv else None
            out.append((f"ours: Mettle / LAVisH-style B={b}: {what}", "Mettle " + show(mv) if mv else cell(rows.missing("ours", met_row) or "n/a"),
                        "LAVisH " + show(lv) if lv else cell(rows.missing("ours", lav) or "n/a"), fmt_num(ratio, "x") if ratio else "-", "-", "-"))


def check_rows(rows, out):
    r = rows.find("torch", "sdpa-check")
    if r is None and rows.torch_down is None:
        return
    reason = rows.missing("torch", r)
    if reason:
        out.append(("PyTorch SDPA vs math attention (tiny Mettle step, worst gradient)", "-", cell(reason), "-", "<= 1e-4", "-"))
    else:
        e = r["worst_grad_rel_error"]
        out.append(("PyTorch SDPA vs math attention (tiny Mettle step, worst gradient)", "-", f"{e:.2e}", "-", "<= 1e-4", met(e, 1e-4, False)))


def kernel_tests(value):
    """gpu-check.json's kernelTests: an exit code (older runs: "0" = all passed), or a summary line."""
    if value is None:
        return "n/a"
    text = str(value).strip()
    if text.isdigit():
        return "all passed (exit 0)" if text == "0" else f"failed (exit {text})"
    return text


def render(compare, check, shapes):
    rows = Rows(compare)
    lines = []
    gpu = compare.get("gpu") or (check or {}).get("gpu", "unknown")
    lines.append(f"**Device:** {gpu}; **driver:** {compare.get('driver', 'unknown')}; **date:** {compare.get('date', 'unknown')}; "
                 f"gpu-compare took {compare.get('seconds', '?')} s of a {compare.get('budget_s', '?')} s budget.")
    env = rows.torch_env or {}
    lines.append(f"**PyTorch:** {env.get('torch', 'n/a')} (CUDA {env.get('cuda', 'n/a')}, SDPA {'yes' if env.get('sdpa') else 'no'})"
                 + (f": {rows.torch_down}" if rows.torch_down else ""))
    if check:
        j = check.get("junit", {})
        lines.append(f"**GPU check:** CUDA tests {j.get('tests', 0)} run, {j.get('failures', 0)} failures, {j.get('errors', 0)} errors, "
                     f"{j.get('skipped', 0)} skipped; kernel tests: {kernel_tests(check.get('kernelTests'))}; "
                     f"compute-sanitizer memcheck: {' '.join(str(check.get('sanitizer', 'n/a')).replace('=', ' ').split())}; "
                     f"{check.get('cudaStatus', '')}")
    else:
        lines.append("**GPU check:** gpu-check.json not given")
    lines.append("")
    lines.append("| measurement | ours | PyTorch | ratio | goal | met? |")
    lines.append("|---|---|---|---|---|---|")
    table = []
    kernel_rows(rows, shapes, "gemm", table)
    gemm_variant_rows(rows, shapes, table)
    kernel_rows(rows, shapes, "attention", table)
    step_rows(rows, shapes, table)
    step_variant_rows(rows, shapes, table)
    check_rows(rows, table)
    for t in table:
        lines.append("| " + " | ".join(t) + " |")
    lines.append("")
    lines.append("Kernel ratio = PyTorch time / ours (ours' share of PyTorch's throughput); step ratios = ours / PyTorch. Ours in fp32 "
                 "with TF32 off unless the row says tf32/bf16; PyTorch's step likewise (fp32, TF32 off). Raw JSON: docs/gpu-results/.")
    lines.extend(gemm_variant_check_lines(check))
    return "\n".join(lines) + "\n"


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compare", required=True, help="gpu-compare.json")
    ap.add_argument("--check", help="gpu-check.json")
    ap.add_argument("--shapes", default=os.path.join(HERE, "gpu_shapes.json"))
    ap.add_argument("--raw-dir", help="copy the JSON files and the table to RAW_DIR/<date>-<gpu>/")
    args = ap.parse_args(argv)
    compare = load(args.compare)
    check = load(args.check) if args.check and os.path.exists(args.check) else None
    md = render(compare, check, load(args.shapes))
    sys.stdout.write(md)
    if args.raw_dir:
        dest = os.path.join(args.raw_dir, f"{compare.get('date', 'undated')[:10]}-{slug(compare.get('gpu', 'unknown'))}")
        os.makedirs(dest, exist_ok=True)
        shutil.copy(args.compare, os.path.join(dest, "gpu-compare.json"))
        if check:
            shutil.copy(args.check, os.path.join(dest, "gpu-check.json"))
        with open(os.path.join(dest, "table.md"), "w") as f:
            f.write(md)
        print(f"raw copies in {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
