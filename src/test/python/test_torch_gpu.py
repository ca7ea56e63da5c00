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


def fake_sdpa(with_scale):
    """torch 2.x's documented semantics: softmax(q k^T * scale + attn_mask) v, scale 1/sqrt(d) by default."""
    import math

    def sdpa(q, k, v, attn_mask=None, **kw):
        scale = kw.pop("scale", None) if with_scale else None
        if kw or (not with_scale and "scale" in kw):
            raise TypeError(f"unexpected arguments {sorted(kw)}")
        s = (q @ k.transpose(-2, -1)) * (scale if scale is not None else 1.0 / math.sqrt(q.shape[-1]))
        return (s + attn_mask if attn_mask is not None else s).softmax(-1) @ v

    if with_scale:
        return sdpa
    return lambda q, k, v, attn_mask=None: sdpa(q, k, v, attn_mask=attn_mask)


@unittest.skipUnless(HAS_TORCH, "torch is not importable by " + sys.executable)
class MettleTorchSdpaPathTest(unittest.TestCase):
    """The SDPA branch of mettle_torch (window/head folding of bias + mask, the scale argument or its torch 2.0
    fallback) against the math branch the CPU parity test pins, with a stand-in SDPA of the documented semantics."""

    def loss_and_grads(self, mt):
        model = mt.build("swinv2_mini_window4_64", "htsat_mini", seed=3, meta_tokens=2, ratio=8, common_width=16)
        for m in (model, *model.backbones):
            m.double()
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(4), dtype=p.dtype))
        fs, ms = mt.input_shapes("swinv2_mini_window4_64", "htsat_mini", 2)
        g = torch.Generator().manual_seed(5)
        loss = model.loss(torch.randn(fs, generator=g).double(), torch.randn(ms, generator=g).double(), torch.tensor([1, 9]))
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters()}

    def test_sdpa_branch_equals_math_branch(self):
        sys.path.insert(0, os.path.join(ROOT, "src", "test", "python"))
        import mettle_torch as mt
        import torch.nn.functional as F
        saved = (mt.HAS_SDPA, mt.USE_SDPA, getattr(F, "scaled_dot_product_attention", None))
        try:
            mt.USE_SDPA = False
            ref_loss, ref = self.loss_and_grads(mt)
            for with_scale in (True, False):
                calls = []
                inner = fake_sdpa(with_scale)
                F.scaled_dot_product_attention = lambda *a, _f=inner, **kw: calls.append(1) or _f(*a, **kw)
                mt.HAS_SDPA = mt.USE_SDPA = True
                loss, grads = self.loss_and_grads(mt)
                self.assertGreaterEqual(len(calls), 24, "SDPA serves every block (12) and every LCD layer (12)")
                self.assertAlmostEqual(ref_loss, loss, places=10)
                for n in ref:
                    err = (grads[n] - ref[n]).abs().max().item() / ref[n].abs().max().item()
                    self.assertLess(err, 1e-9, f"{n} (scale argument: {with_scale})")
        finally:
            mt.HAS_SDPA, mt.USE_SDPA = saved[0], saved[1]
            if saved[2] is None:
                del F.scaled_dot_product_attention
            else:
                F.scaled_dot_product_attention = saved[2]
