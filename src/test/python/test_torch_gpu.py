#!/usr/bin/python3
"""bench/torch_gpu.py's CPU smoke run (--device cpu --tiny): every row kind prints valid JSON with numbers or a reason.

Run from the repository root with a python that has torch:  /usr/bin/python3 -m unittest discover -s src/test/python -p 'test_torch_gpu.py'
Skipped (with the reason) where torch is not importable.
"""
import json
import os
import subprocess
import sys
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
try:
    import torch  # noqa: F401
    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False


@unittest.skipUnless(HAS_TORCH, "torch is not importable by " + sys.executable)
class TorchGpuSmokeTest(unittest.TestCase):
    def run_rows(self, *args):
        out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_gpu.py"), *args], capture_output=True, text=True,
                             timeout=300, check=True).stdout
        return [json.loads(line) for line in out.splitlines()]

    def test_cpu_tiny_rows(self):
        rows = self.run_rows("--device", "cpu", "--tiny")
        kinds = {r["kind"] for r in rows}
        self.assertEqual({"env", "gemm", "attention", "sdpa-check", "step"}, kinds)
        for r in rows:
            if r["kind"] in ("gemm", "attention"):
                if r["dtype"] == "f32":
                    self.assertGreater(r["ms"], 0, r)
                else:
                    self.assertTrue(r["error"].startswith("not run: "), r)
        steps = [r for r in rows if r["kind"] == "step"]
        self.assertEqual([1, 2], [r["batch"] for r in steps])
        for r in steps:
            self.assertGreater(r["step_ms"], 0, r)
            self.assertTrue(2.0 < r["loss"] < 5.0, "near ln 29 at random weights: " + str(r))
            self.assertEqual(324581, r["trainable_params"], "Mettle's trainable count at the tiny archs (K 4, r 16, D_c 256)")

    def test_cuda_without_gpu_is_one_reasoned_row(self):
        if torch.cuda.is_available():
            self.skipTest("a GPU is present")
        rows = self.run_rows("--device", "cuda", "--tiny", "--only", "gemm")
        self.assertEqual(1, len(rows), rows)
        self.assertTrue(rows[0]["error"].startswith("not run: torch.cuda.is_available() is False"), rows)


if __name__ == "__main__":
    unittest.main()
