#!/usr/bin/python3
"""bench/gpu_table.py on synthetic gpu-compare / gpu-check JSON: a full run and a run without a GPU.

Run from the repository root:  python3 -m unittest discover -s src/test/python -p 'test_gpu_table.py'
(standard library only; no torch needed).
"""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import gpu_table  # noqa: E402

SHAPES = gpu_table.load(os.path.join(ROOT, "bench", "gpu_shapes.json"))
MIB = 1 << 20


def full_run():
    """Every row present: ours at 80 % of PyTorch's GEMM speed, 40 % on attention, steps and peaks as set below."""
    rows = [{"side": "torch", "kind": "env", "torch": "2.9.0", "cuda": "13.0", "sdpa": True, "device": "cuda"}]
    for g in SHAPES["gemm"]:
        for d in g["dtypes"]:
            rows.append({"side": "torch", "kind": "gemm", "name": g["name"], "dtype": d, "ms": 1.0, "tflops": 1.0})
            rows.append({"side": "ours", "kind": "gemm", "name": g["name"], "dtype": d, "result": {"ms": 1.25, "tflops": 0.8}})
    for a in SHAPES["attention"]:
        for d in a["dtypes"]:
            rows.append({"side": "torch", "kind": "attention", "name": a["name"], "dtype": d, "ms": 2.0, "impl": "sdpa"})
            rows.append({"side": "ours", "kind": "attention", "name": a["name"], "dtype": d, "result": {"ms": 5.0}})
            if a["name"] != "swinv2-l-s2-window":  # the newer kernels (-Dmettle.cuda.attention=tc), 2.5x faster
                kernel = ("attn_fwd_tc%d_bf16" if d == "bf16" else "attn_fwd_tiled%d_f32") % (32 if a["head_dim"] <= 32 else 64)
                rows.append({"side": "ours", "kind": "attention", "name": a["name"], "dtype": d, "variant": "tc",
                             "result": {"ms": 2.0, "kernel": kernel}})
    for b, ours_ms, torch_ms, ours_peak, torch_peak, device_peak, plan in (
            (1, 90.0, 100.0, 1500 * MIB, 1600 * MIB, 1550 * MIB, 1500 * MIB),
            (8, 450.0, 400.0, 5000 * MIB, 4800 * MIB, 5600 * MIB, 5000 * MIB)):
        rows.append({"side": "ours", "kind": "plan", "method": "mettle", "batch": b, "result": {"peak_bytes": plan}})
        rows.append({"side": "torch", "kind": "step", "method": "mettle", "batch": b, "step_ms": torch_ms, "peak_bytes": torch_peak,
                     "peak_reserved_bytes": torch_peak + 100 * MIB})
        rows.append({"side": "ours", "kind": "step", "method": "mettle", "batch": b, "result": {
            "config": "paper", "batch": b, "segments": 10,
            "methods": [{"method": "mettle", "peak_bytes": ours_peak, "step_ms": ours_ms, "device_peak_bytes": device_peak,
                         "allocator": {"peakInUseBytes": ours_peak + 20 * MIB}}]}})
    rows.append({"side": "ours", "kind": "step", "method": "lavish", "batch": 1, "result": {
        "methods": [{"method": "lavish", "peak_bytes": 3600 * MIB, "step_ms": 180.0, "device_peak_bytes": 3700 * MIB}]}})
    rows.append({"side": "torch", "kind": "sdpa-check", "name": "tiny-step-sdpa-vs-math", "worst_grad_rel_error": 3e-6})
    return {"gpu": "NVIDIA H100 80GB HBM3", "driver": "580.65", "date": "2026-12-01T10:00:00Z", "budget_s": 300, "seconds": 250, "rows": rows}


def table_rows(md):
    """measurement -> [ours, torch, ratio, goal, met]."""
    out = {}
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith("| measurement"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[cells[0]] = cells[1:]
    return out


class GpuTableTest(unittest.TestCase):
    def test_full_run(self):
        check = {"gpu": "NVIDIA H100 80GB HBM3, 580.65", "junit": {"tests": 120, "failures": 0, "errors": 0, "skipped": 0},
                 "kernelTests": "0", "cudaStatus": "cuda: usable"}
        md = gpu_table.render(full_run(), check, SHAPES)
        self.assertIn("**Device:** NVIDIA H100 80GB HBM3; **driver:** 580.65; **date:** 2026-12-01", md)
        self.assertIn("CUDA tests 120 run, 0 failures", md)
        rows = table_rows(md)
        bf16 = rows["GEMM bf16 square-4096 (4096x4096x4096)"]
        self.assertEqual(bf16[2:], ["0.8x", ">= 0.70x", "yes"])
        self.assertEqual(rows["GEMM f32 square-4096 (4096x4096x4096)"][3:], ["-", "-"], "the GEMM goal is the bf16 one")
        att = rows["attention fwd f32 vit-b (16x12x197x64)"]
        self.assertEqual(att[2:], ["0.4x", ">= 0.50x", "**no**"])
        self.assertEqual(rows["attention fwd bf16 vit-b (16x12x197x64)"][2:], ["0.4x", ">= 0.50x", "**no**"], "the default kernel's row")
        tc = rows["attention fwd bf16 vit-b (16x12x197x64) [tc: attn_fwd_tc64_bf16]"]
        self.assertEqual(tc[2:], ["1x", ">= 0.50x", "yes"])
        self.assertIn("attention fwd bf16 swinv2-l-s0-windows (160x6x144x32) [tc: attn_fwd_tc32_bf16]", rows)
        self.assertEqual(rows["attention fwd f32 vit-b (16x12x197x64) [tc: attn_fwd_tiled64_f32]"][2:], ["1x", ">= 0.50x", "yes"])
        self.assertFalse([n for n in rows if "s2-window" in n and "[tc" in n], "no tc row where none was measured")
        names = list(rows)
        self.assertEqual(names.index("attention fwd bf16 vit-b (16x12x197x64) [tc: attn_fwd_tc64_bf16]"),
                         names.index("attention fwd bf16 vit-b (16x12x197x64)") + 1, "each variant right below its default row")
        self.assertEqual(rows["Mettle step B=1 x 10 seg: time"][1:], ["100 ms", "0.9x", "<= 1.0x", "yes"])
        self.assertEqual(rows["Mettle step B=8 x 10 seg: time"][2:], ["1.12x", "<= 1.0x", "**no**"])
        mem1 = rows["Mettle step B=1 x 10 seg: peak memory (ledger vs torch.cuda.max_memory_allocated)"]
        self.assertEqual(mem1, ["1,500.0 MiB", "1,600.0 MiB", "0.938x", "<= 1.0x", "yes"])
        plan1 = rows["Mettle step B=1 x 10 seg: ledger plan vs driver high-water (tensors + the allocator's cache)"]
        self.assertEqual(plan1, ["device 1,550.0 MiB (ledger 1,500.0 MiB)", "plan 1,500.0 MiB", "3.3% off", "<= 5%", "yes"])
        plan8 = rows["Mettle step B=8 x 10 seg: ledger plan vs driver high-water (tensors + the allocator's cache)"]
        self.assertEqual(plan8[2:], ["12.0% off", "<= 5%", "**no**"])
        in_use1 = rows["Mettle step B=1 x 10 seg: ledger plan vs allocator peak in use (blocks handed out)"]
        self.assertEqual(in_use1, ["in use 1,520.0 MiB", "plan 1,500.0 MiB", "1.3% off", "<= 5%", "yes"])
        self.assertIn("kernel tests: all passed (exit 0)", md)
        lav = rows["ours: Mettle / LAVisH-style B=1: time"]
        self.assertEqual(lav[:3], ["Mettle 90.0 ms", "LAVisH 180 ms", "0.5x"])
        self.assertEqual(rows["PyTorch SDPA vs math attention (tiny Mettle step, worst gradient)"][1:], ["3.00e-06", "-", "<= 1e-4", "yes"])

    def test_gemm_f32_v2_variant_rows(self):
        compare = full_run()
        # v2 rows first: the default rows must still come from the rows without a variant
        compare["rows"][:0] = [
            {"side": "ours", "kind": "gemm", "name": "square-4096", "dtype": "f32", "variant": "v2", "result": {"ms": 1.0}},
            {"side": "ours", "kind": "gemm", "name": "swinv2-l-s2-fc1", "dtype": "f32", "variant": "v2",
             "error": "failed (exit 1): CUDA_ERROR_ILLEGAL_ADDRESS"},
            {"side": "ours", "kind": "step", "method": "mettle", "batch": 1, "variant": "gemmF32=v2",
             "result": {"methods": [{"method": "mettle", "step_ms": 60.0, "peak_bytes": 1500 * MIB}]}}]
        check = {"junit": {}, "bench": [
            {"bench": "gemm", "shape": "4096x4096x4096", "dtype": "f32", "variant": "v1", "kernel": "gemm_f32", "ms": 6.5, "tflops": 21.1},
            {"bench": "gemm", "shape": "4096x4096x4096", "dtype": "f32", "variant": "v2", "kernel": "gemm_f32_v2_128_nn",
             "ms": 3.25, "tflops": 42.3},
            {"bench": "gemm", "shape": "1440x3072x768_nt", "dtype": "f32", "variant": "v2-64", "kernel": "gemm_f32_v2_64_nt",
             "ms": 0.5, "tflops": 13.6},
            {"bench": "gemm", "shape": "1440x768x3072_nt", "dtype": "f32", "variant": "v2", "kernel": "gemm_f32_v2_128_nt",
             "splitK": 3, "ms": 0.25, "tflops": 27.2},
            {"bench": "gemm", "shape": "4096x4096x4096", "dtype": "tf32", "kernel": "gemm_tf32", "ms": 2.0, "tflops": 68.0}]}
        md = gpu_table.render(compare, check, SHAPES)
        rows = table_rows(md)
        self.assertEqual(rows["GEMM f32 square-4096 (4096x4096x4096)"][2], "0.8x", "the v1 row is unchanged")
        self.assertEqual(rows["GEMM f32 square-4096 (4096x4096x4096), gemm_f32_v2"],
                         ["137 TFLOP/s (1.25x v1)", "137 TFLOP/s", "1x", ">= 0.80x", "yes"])
        self.assertEqual(rows["GEMM f32 swinv2-l-s2-fc1 (1440x3072x768), gemm_f32_v2"][0], "failed (exit 1): CUDA_ERROR_ILLEGAL_ADDRESS")
        self.assertEqual(rows["Mettle step B=1 x 10 seg: time"][0], "90.0 ms", "the default step row ignores the v2 run")
        self.assertEqual(rows["Mettle step B=1 x 10 seg: time, gemm_f32_v2"], ["60.0 ms (v1 90.0 ms)", "100 ms", "0.6x", "<= 1.0x", "yes"])
        self.assertNotIn("Mettle step B=8 x 10 seg: time, gemm_f32_v2", rows, "no v2 step row at batch 8")
        self.assertIn("| 4096x4096x4096 | v1 | gemm_f32 | 21.1 | 6.5 | 1x |", md)
        self.assertIn("| 4096x4096x4096 | v2 | gemm_f32_v2_128_nn | 42.3 | 3.25 | 2x |", md)
        self.assertIn("| 1440x3072x768_nt | v2-64 | gemm_f32_v2_64_nt | 13.6 | 0.5 | - |", md)
        self.assertIn("| 1440x768x3072_nt | v2 | gemm_f32_v2_128_nt + split-K 3 | 27.2 | 0.25 | - |", md)
        self.assertNotIn("gemm_tf32", md)
        self.assertNotIn("fp32 GEMM variants", gpu_table.render(full_run(), {"junit": {}, "bench": check["bench"][:1]}, SHAPES),
                         "no variant table without v2 rows")

    def test_run_without_gpu_says_why_in_every_row(self):
        compare = {"gpu": "nvidia-smi not on PATH", "driver": "unknown", "date": "2026-11-26T08:24:55Z", "rows": [
            {"side": "torch", "kind": "env", "torch": "1.13.0", "error": "not run: torch.cuda.is_available() is False"},
            {"side": "ours", "kind": "plan", "method": "mettle", "batch": 1, "result": {"peak_bytes": 1565903156}},
            {"side": "ours", "kind": "gemm", "name": "square-4096", "dtype": "bf16", "error": "failed (exit 1): CUDA not available"},
            {"side": "ours", "kind": "step", "method": "mettle", "batch": 1, "error": "failed (exit 1): CUDA not available"}]}
        rows = table_rows(gpu_table.render(compare, None, SHAPES))
        self.assertEqual(rows["GEMM bf16 square-4096 (4096x4096x4096)"],
                         ["failed (exit 1): CUDA not available", "not run: torch.cuda.is_available() is False", "-", ">= 0.70x", "-"])
        self.assertEqual(rows["GEMM bf16 vit-b-qkv (3152x2304x768)"][0], "not run: no row (out of time or not in this run)")
        plan = rows["Mettle step B=1 x 10 seg: ledger plan vs driver high-water (tensors + the allocator's cache)"]
        self.assertEqual(plan[:2], ["failed (exit 1): CUDA not available", "plan 1,493.4 MiB"])
        for name, cells in rows.items():
            self.assertNotIn("yes", cells, name + ": nothing is met without numbers")
        self.assertFalse([n for n in rows if "[tc" in n], "a run without variant rows shows none")

    def test_raw_copies(self):
        with tempfile.TemporaryDirectory() as tmp:
            cpath = os.path.join(tmp, "gpu-compare.json")
            with open(cpath, "w") as f:
                json.dump(full_run(), f)
            raw = os.path.join(tmp, "raw")
            with redirect_stdout(io.StringIO()) as out:
                self.assertEqual(0, gpu_table.main(["--compare", cpath, "--raw-dir", raw]))
            dest = os.path.join(raw, "2026-12-01-nvidia-h100-80gb-hbm3")
            self.assertEqual(sorted(os.listdir(dest)), ["gpu-compare.json", "table.md"])
            with open(os.path.join(dest, "table.md")) as f:
                self.assertEqual(f.read(), out.getvalue())


if __name__ == "__main__":
    unittest.main()
