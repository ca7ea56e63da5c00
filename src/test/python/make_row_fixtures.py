#!/usr/bin/python3
"""Golden outputs for the CPU row/pointwise/loss/AdamW kernels (org.mettle.backend.cpu).

Run with Debian's PyTorch:  /usr/bin/python3 src/test/python/make_row_fixtures.py
Writes src/test/resources/golden/rows/<name>.bin (raw little-endian float32 or int32, row-major) and index.json
({"name": {"dtype": "f32"|"i32", "shape": [...]}}). Regenerate, never hand-edit.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "rows")
index = {}


def save(name, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if a.dtype.kind in "iu":
        a, dtype = a.astype("<i4"), "i32"
    else:
        a, dtype = a.astype("<f4"), "f32"
    a.tofile(os.path.join(OUT, name + ".bin"))
    index[name] = {"dtype": dtype, "shape": list(a.shape)}


def leaf(t):
    return t.clone().requires_grad_(True)


def gelu_family():
    x = torch.cat([torch.linspace(-7, 7, 141), torch.randn(116) * 2.5])
    dy = torch.randn_like(x)
    save("act_x", x)
    save("act_dy", dy)
    for name, fn in [("gelu", lambda v: F.gelu(v)), ("gelu_tanh", lambda v: F.gelu(v, approximate="tanh")),
                     ("silu", F.silu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
        xl = leaf(x)
        y = fn(xl)
        y.backward(dy)
        save(name + "_y", y)
        save(name + "_dx", xl.grad)


def softmax_family():
    x = torch.randn(7, 33) * 3
    x[1, 5] = float("-inf")
    x[4, :20] = float("-inf")  # a row with mostly masked entries (not all: torch gives NaN there)
    dy = torch.randn(7, 33)
    save("softmax_x", x)
    save("softmax_dy", dy)
    xl = leaf(x)
    y = torch.softmax(xl, dim=-1)
    y.backward(dy)
    save("softmax_y", y)
    save("softmax_dx", xl.grad)
    xl = leaf(x)
    y = torch.log_softmax(xl, dim=-1)
    # -inf outputs make dy * y meaningless only for the masked entries; the gradient itself is finite
    y.backward(dy)
    save("log_softmax_y", y)
    save("log_softmax_dx", xl.grad)


def layer_norm_family():
    rows, cols = 6, 40
    x = torch.randn(rows, cols) * 2 + 3
    gamma = torch.randn(cols)
    beta = torch.randn(cols)
    dy = torch.randn(rows, cols)
    eps = 1e-5
    xl, gl, bl = leaf(x), leaf(gamma), leaf(beta)
    y = F.layer_norm(xl, (cols,), gl, bl, eps)
    y.backward(dy)
    _, mean, rstd = torch.native_layer_norm(x, (cols,), gamma, beta, eps)
    for name, t in [("ln_x", x), ("ln_gamma", gamma), ("ln_beta", beta), ("ln_dy", dy), ("ln_y", y),
                    ("ln_mean", mean.reshape(rows)), ("ln_rstd", rstd.reshape(rows)), ("ln_dx", xl.grad),
                    ("ln_dgamma", gl.grad), ("ln_dbeta", bl.grad)]:
        save(name, t)


def cross_entropy_family():
    rows, classes = 9, 7
    logits = torch.randn(rows, classes) * 2
    targets = torch.tensor([0, 3, -100, 6, 2, 2, -100, 5, 1], dtype=torch.int64)
    weights = torch.rand(classes) + 0.25
    save("ce_logits", logits)
    save("ce_targets", targets.to(torch.int32))
    save("ce_weights", weights)
    cases = {
        "ce_plain": dict(ignore_index=-100),
        "ce_smooth": dict(ignore_index=-100, label_smoothing=0.15),
        "ce_weighted": dict(ignore_index=-100, weight=weights),
        "ce_weighted_smooth": dict(ignore_index=-100, weight=weights, label_smoothing=0.15),
    }
    for name, kw in cases.items():
        xl = leaf(logits)
        loss = F.cross_entropy(xl, targets, **kw)
        loss.backward()
        save(name + "_loss", loss.reshape(1))
        save(name + "_dlogits", xl.grad)
    probs = torch.softmax(torch.randn(rows, classes), dim=-1)
    xl = leaf(logits)
    loss = F.cross_entropy(xl, probs)
    loss.backward()
    save("soft_ce_probs", probs)
    save("soft_ce_loss", loss.reshape(1))
    save("soft_ce_dlogits", xl.grad)


def bce_family():
    rows, classes = 5, 6
    logits = torch.randn(rows, classes) * 4
    targets = (torch.rand(rows, classes) > 0.5).float()
    targets[0] = torch.rand(classes)  # soft targets too
    pos_weight = torch.rand(classes) * 3 + 0.1
    weight = torch.rand(rows, classes)
    for name, t in [("bce_logits", logits), ("bce_targets", targets), ("bce_pos_weight", pos_weight),
                    ("bce_weight", weight)]:
        save(name, t)
    for name, kw in [("bce_plain", {}), ("bce_pos", dict(pos_weight=pos_weight)),
                     ("bce_pos_weighted", dict(pos_weight=pos_weight, weight=weight))]:
        xl = leaf(logits)
        loss = F.binary_cross_entropy_with_logits(xl, targets, **kw)
        loss.backward()
        save(name + "_loss", loss.reshape(1))
        save(name + "_dlogits", xl.grad)


def normalize_family():
    x = torch.randn(5, 16)
    x[2] = 0.0
    x[3] = x[3] * 1e-14  # norm below eps: clamped branch
    dy = torch.randn(5, 16)
    xl = leaf(x)
    y = F.normalize(xl, p=2.0, dim=-1, eps=1e-12)
    y.backward(dy)
    save("l2_x", x)
    save("l2_dy", dy)
    save("l2_y", y)
    save("l2_dx", xl.grad)


def adamw_family():
    n = 37
    p = torch.randn(n)
    grads = [torch.randn(n) for _ in range(3)]
    param = torch.nn.Parameter(p.clone())
    opt = torch.optim.AdamW([param], lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
    save("adamw_p0", p)
    for i, g in enumerate(grads, start=1):
        param.grad = g.clone()
        opt.step()
        save("adamw_g%d" % i, g)
        save("adamw_p%d" % i, param.detach())
    state = opt.state[param]
    save("adamw_m3", state["exp_avg"])
    save("adamw_v3", state["exp_avg_sq"])


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(1234)
    gelu_family()
    softmax_family()
    layer_norm_family()
    cross_entropy_family()
    bce_family()
    normalize_family()
    adamw_family()
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump({"torch": torch.__version__, "tensors": index}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
