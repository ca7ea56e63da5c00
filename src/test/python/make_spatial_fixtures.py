#!/usr/bin/python3
"""Golden fixtures for the CPU spatial kernels (CpuConv, CpuInterpolate, CpuPool).

Run from the repository root with Debian's torch:  /usr/bin/python3 src/test/python/make_spatial_fixtures.py
Writes src/test/resources/golden/spatial/{conv,interpolate,pool}.safetensors. Never hand-edit the outputs.

Each case is a group of tensors named "<case>.<tensor>"; the case's parameters are in the safetensors
__metadata__ under the key "<case>" as space-separated key=value pairs (the Java tests read them from there).
Every case has its own seed, so adding a case does not change the others. All math is float32, as in PyTorch.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "spatial"))


class Fixture:
    def __init__(self):
        self.tensors = {}
        self.meta = {}
        self.seed = 1000

    def case(self, name, **params):
        self.seed += 1
        torch.manual_seed(self.seed)
        self.meta[name] = " ".join(f"{k}={_fmt(v)}" for k, v in params.items())
        return name

    def put(self, case, tensor_name, t):
        key = f"{case}.{tensor_name}"
        assert key not in self.tensors, key
        self.tensors[key] = t.detach().contiguous().cpu()

    def write(self, file_name):
        header = {}
        blobs = []
        offset = 0
        for name, t in self.tensors.items():
            if t.dtype == torch.float32:
                dtype = "F32"
            elif t.dtype in (torch.int64, torch.int32):
                t = t.to(torch.int32)
                dtype = "I32"
            else:
                raise ValueError(f"unsupported dtype {t.dtype} for {name}")
            data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
            header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
        header["__metadata__"] = self.meta
        head = json.dumps(header, separators=(",", ":")).encode("utf-8")
        head += b" " * ((8 - len(head) % 8) % 8)  # safetensors aligns the data start to 8 bytes
        os.makedirs(OUT_DIR, exist_ok=True)
        path = os.path.join(OUT_DIR, file_name)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for b in blobs:
                f.write(b)
        print(f"wrote {path}: {len(self.tensors)} tensors, {os.path.getsize(path)} bytes")


def _fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def input_gradient(fn, x, grad_out):
    """Forward fn(x) and the gradient of sum(fn(x) * grad_out) with respect to x."""
    x = x.clone().requires_grad_(True)
    y = fn(x)
    (gx,) = torch.autograd.grad(y, x, grad_out)
    return y.detach(), gx


def conv_fixtures():
    fx = Fixture()
    # im2col (F.unfold) and its adjoint: N, C, H, W, KH, KW, sH, sW, pH, pW, dH, dW
    unfold_cases = [
        (2, 3, 7, 9, 3, 2, 2, 1, 1, 0, 1, 2),    # mixed everything
        (2, 2, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1),    # FPN 3x3 pad 1
        (2, 3, 13, 10, 4, 4, 4, 4, 0, 0, 1, 1),  # non-overlapping patchify, remainder rows/cols dropped
        (1, 1, 20, 12, 4, 4, 3, 2, 0, 0, 1, 1),  # overlapping audio-style patches
        (2, 5, 3, 4, 1, 1, 1, 1, 0, 0, 1, 1),    # 1x1
        (1, 2, 11, 10, 3, 3, 3, 2, 2, 2, 2, 2),  # dilation with padding
        (1, 2, 5, 6, 3, 2, 2, 3, 2, 1, 1, 1),    # padding as large as the kernel allows
    ]
    for i, (n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw) in enumerate(unfold_cases):
        case = fx.case(f"unfold{i}", N=n, C=c, H=h, W=w, KH=kh, KW=kw, sH=sh, sW=sw, pH=ph, pW=pw, dH=dh, dW=dw)
        x = torch.randn(n, c, h, w)
        cols = F.unfold(x, (kh, kw), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw))
        g = torch.randn_like(cols)
        _, gx = input_gradient(lambda t: F.unfold(t, (kh, kw), dilation=(dh, dw), padding=(ph, pw), stride=(sh, sw)), x, g)
        fx.put(case, "x", x)
        fx.put(case, "cols", cols)
        fx.put(case, "gcols", g)
        fx.put(case, "gx", gx)

    # conv2d = weight [Cout, C*KH*KW] x im2col + bias, and its input gradient
    conv_cases = [
        (2, 3, 9, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1),
        (1, 2, 10, 9, 3, 3, 2, 2, 3, 1, 0, 2, 1),
        (2, 1, 16, 12, 6, 4, 4, 4, 4, 0, 0, 1, 1),
    ]
    for i, (n, c, h, w, co, kh, kw, sh, sw, ph, pw, dh, dw) in enumerate(conv_cases):
        case = fx.case(f"conv{i}", N=n, C=c, H=h, W=w, Cout=co, KH=kh, KW=kw, sH=sh, sW=sw, pH=ph, pW=pw, dH=dh, dW=dw)
        x = torch.randn(n, c, h, w)
        weight = torch.randn(co, c, kh, kw)
        bias = torch.randn(co)
        conv = lambda t: F.conv2d(t, weight, bias, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
        y = conv(x)
        g = torch.randn_like(y)
        _, gx = input_gradient(conv, x, g)
        for name, t in (("x", x), ("weight", weight), ("bias", bias), ("y", y), ("gy", g), ("gx", gx)):
            fx.put(case, name, t)

    # depthwise conv (groups = C, weight [C, 1, KH, KW]) with all its gradients
    dw_cases = [
        (2, 3, 7, 8, 3, 3, 1, 2, 1, 1, 1, 1),
        (1, 4, 9, 10, 3, 2, 2, 2, 2, 0, 2, 1),
        (2, 2, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1),
    ]
    for i, (n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw) in enumerate(dw_cases):
        case = fx.case(f"depthwise{i}", N=n, C=c, H=h, W=w, KH=kh, KW=kw, sH=sh, sW=sw, pH=ph, pW=pw, dH=dh, dW=dw)
        x = torch.randn(n, c, h, w).requires_grad_(True)
        weight = torch.randn(c, 1, kh, kw).requires_grad_(True)
        bias = torch.randn(c).requires_grad_(True)
        y = F.conv2d(x, weight, bias, stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=c)
        g = torch.randn_like(y)
        gx, gw, gb = torch.autograd.grad(y, (x, weight, bias), g)
        for name, t in (("x", x), ("weight", weight), ("bias", bias), ("y", y), ("gy", g), ("gx", gx),
                        ("gweight", gw), ("gbias", gb)):
            fx.put(case, name, t)
    fx.write("conv.safetensors")


def interpolate_fixtures():
    fx = Fixture()
    # (H, W, OH, OW, scale_factor or None); with a scale factor the output size is floor(in * scale)
    geometries = [
        (5, 7, 11, 13, None),   # odd upsampling
        (9, 8, 4, 5, None),     # downsampling
        (6, 6, 3, 10, None),    # down in H, up in W
        (4, 5, 8, 10, 2.0),     # FPN-style x2
        (5, 7, 8, 11, 1.7),     # non-integer scale factor: source step 1/1.7, not in/out
        (3, 3, 6, 6, None),     # exactly x2 (nearest's shortcut)
        (4, 6, 4, 6, None),     # same size
        (1, 5, 3, 5, None),     # single input row
        (5, 4, 1, 1, None),     # single output pixel
    ]
    seq = 0
    for mode in ("bilinear", "bicubic", "nearest"):
        for align in ((False, True) if mode != "nearest" else (None,)):
            for (h, w, oh, ow, scale) in geometries:
                case = fx.case(f"{mode}{seq}", mode=mode, align=bool(align), H=h, W=w, OH=oh, OW=ow,
                               scale=scale if scale is not None else 0.0)
                seq += 1
                x = torch.randn(2, 3, h, w)
                if scale is None:
                    fn = lambda t: F.interpolate(t, size=(oh, ow), mode=mode, align_corners=align)
                else:
                    fn = lambda t: F.interpolate(t, scale_factor=scale, mode=mode, align_corners=align)
                y = fn(x)
                assert tuple(y.shape[2:]) == (oh, ow), (case, y.shape)
                g = torch.randn_like(y)
                _, gx = input_gradient(fn, x, g)
                fx.put(case, "x", x)
                fx.put(case, "y", y)
                fx.put(case, "gy", g)
                fx.put(case, "gx", gx)
    # HTS-AT's spectrogram resize in miniature: time stretched bicubically, frequency unchanged, align_corners
    case = fx.case("htsat_resize", mode="bicubic", align=True, H=31, W=8, OH=64, OW=8, scale=0.0)
    x = torch.randn(1, 1, 31, 8)
    fn = lambda t: F.interpolate(t, size=(64, 8), mode="bicubic", align_corners=True)
    y = fn(x)
    g = torch.randn_like(y)
    _, gx = input_gradient(fn, x, g)
    for name, t in (("x", x), ("y", y), ("gy", g), ("gx", gx)):
        fx.put(case, name, t)
    fx.write("interpolate.safetensors")


def pool_fixtures():
    fx = Fixture()
    # H, W, KH, KW, sH, sW, pH, pW
    windows = [
        (9, 8, 3, 3, 2, 2, 1, 1),
        (7, 9, 2, 3, 1, 2, 1, 1),
        (8, 6, 2, 2, 2, 2, 0, 0),
        (5, 7, 4, 3, 3, 1, 2, 0),
    ]
    for i, (h, w, kh, kw, sh, sw, ph, pw) in enumerate(windows):
        for cip in (True, False):
            case = fx.case(f"avg{i}{'i' if cip else 'e'}", H=h, W=w, KH=kh, KW=kw, sH=sh, sW=sw, pH=ph, pW=pw,
                           countIncludePad=cip)
            x = torch.randn(2, 3, h, w)
            fn = lambda t: F.avg_pool2d(t, (kh, kw), (sh, sw), (ph, pw), count_include_pad=cip)
            y = fn(x)
            g = torch.randn_like(y)
            _, gx = input_gradient(fn, x, g)
            for name, t in (("x", x), ("y", y), ("gy", g), ("gx", gx)):
                fx.put(case, name, t)
        case = fx.case(f"max{i}", H=h, W=w, KH=kh, KW=kw, sH=sh, sW=sw, pH=ph, pW=pw)
        x = torch.randn(2, 3, h, w)
        y, idx = F.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), return_indices=True)
        g = torch.randn_like(y)
        _, gx = input_gradient(lambda t: F.max_pool2d(t, (kh, kw), (sh, sw), (ph, pw)), x, g)
        for name, t in (("x", x), ("y", y), ("argmax", idx), ("gy", g), ("gx", gx)):
            fx.put(case, name, t)

    # adaptive average pooling: H, W, OH, OW (including output larger than input)
    for i, (h, w, oh, ow) in enumerate([(9, 8, 4, 3), (5, 7, 7, 9), (7, 7, 1, 1), (10, 10, 3, 3), (6, 5, 6, 5)]):
        case = fx.case(f"adaptive{i}", H=h, W=w, OH=oh, OW=ow)
        x = torch.randn(2, 3, h, w)
        fn = lambda t: F.adaptive_avg_pool2d(t, (oh, ow))
        y = fn(x)
        g = torch.randn_like(y)
        _, gx = input_gradient(fn, x, g)
        for name, t in (("x", x), ("y", y), ("gy", g), ("gx", gx)):
            fx.put(case, name, t)
    fx.write("pool.safetensors")


if __name__ == "__main__":
    torch.set_num_threads(1)
    conv_fixtures()
    interpolate_fixtures()
    pool_fixtures()
