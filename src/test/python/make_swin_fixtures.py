#!/usr/bin/python3
"""Golden fixtures for the Swin-V2 backbone (org.mettle.models.swin).

Run from the repository root with Debian's torch:  /usr/bin/python3 src/test/python/make_swin_fixtures.py
Writes src/test/resources/golden/swin/. Never hand-edit the outputs.

timm cannot be installed here, so the reference below is a plain-torch Swin-V2 written from timm's
SwinTransformerV2 semantics (swin_transformer_v2.py) with timm's parameter names, so that state_dict() keys equal a
real timm checkpoint's: res-post-norm blocks, scaled cosine attention with a clamped logit scale, q/v biases (zero k
bias), continuous position bias (cpb_mlp over log-spaced relative coordinates, 16 * sigmoid), cyclic shift with the
-100 region mask, timm's window/shift clamping where the resolution is at most the window, patch merging at the start
of stages 1.. (reduction, then norm), final norm over NHWC tokens (forward_features).

Per tiny configuration <arch>:
  <arch>.weights.safetensors  weights rounded to fp16-exact values and stored as F16 (half the bytes, no loss);
                              swinv2_test_window4_64 in timm's layout with a head.fc classifier,
                              swinv2_test_window6_96 in the original Microsoft layout (downsample at the end of stages
                              0..2, head.*, persistent buffers) to exercise the loader's remapping.
  <arch>.io.safetensors       F32 input [B, 3, S, S], layer.{i} [B, L, C] every block's output (natural token order),
                              output [B, L, C] after the final norm; for window4 also grad.<param> = d sum(output * G)
                              / d param for a few parameters, with G = grad_output.
And the full-size name/shape list of swinv2_large_window12_192 (names.txt: "name<TAB>dtype<TAB>d0,d1,...").
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "swin"))


# ---- safetensors writer (F32, F16, I64) -----------------------------------------------------------------------

def write_safetensors(path, tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.float32:
            dtype = "F32"
        elif t.dtype == torch.float16:
            dtype = "F16"
        elif t.dtype == torch.int64:
            dtype = "I64"
        else:
            raise ValueError(f"unsupported dtype {t.dtype} for {name}")
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def write_names(path, state_dict):
    names = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}
    with open(path, "w") as f:
        for name, t in state_dict.items():
            f.write(f"{name}\t{names[t.dtype]}\t{','.join(str(d) for d in t.shape)}\n")
    print(f"wrote {path}: {len(state_dict)} names")


def half_exact(module):
    """Rounds every parameter to a value that fp16 holds exactly, so F16 storage loses nothing."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())


def weights_as_f16(state_dict):
    return {k: (v.half() if v.dtype == torch.float32 else v) for k, v in state_dict.items()}


# ---- reference Swin-V2 (timm semantics and names) -------------------------------------------------------------

def window_partition(x, wh, ww):
    b, h, w, c = x.shape
    x = x.view(b, h // wh, wh, w // ww, ww, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, wh, ww, c)


def window_reverse(windows, wh, ww, h, w):
    c = windows.shape[-1]
    x = windows.view(-1, h // wh, w // ww, wh, ww, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, h, w, c)


def pair_offsets(wh, ww):
    coords = torch.stack(torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += wh - 1
    rel[:, :, 1] += ww - 1
    rel[:, :, 0] *= 2 * ww - 1
    return rel.sum(-1)  # [N, N] row of the relative table


class WindowAttentionV2(nn.Module):
    def __init__(self, dim, window, heads, pretrained_window, device=None):
        super().__init__()
        self.window = window
        self.heads = heads
        self.logit_scale = nn.Parameter(torch.full((heads, 1, 1), math.log(10.0), device=device))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True, device=device), nn.ReLU(inplace=True),
                                     nn.Linear(512, heads, bias=False, device=device))
        self.qkv = nn.Linear(dim, dim * 3, bias=False, device=device)
        self.q_bias = nn.Parameter(torch.zeros(dim, device=device))
        self.register_buffer("k_bias", torch.zeros(dim, device=device), persistent=False)
        self.v_bias = nn.Parameter(torch.zeros(dim, device=device))
        self.proj = nn.Linear(dim, dim, device=device)
        wh, ww = window
        if device != "meta":
            th = torch.arange(-(wh - 1), wh, dtype=torch.float32)
            tw = torch.arange(-(ww - 1), ww, dtype=torch.float32)
            table = torch.stack(torch.meshgrid(th, tw, indexing="ij")).permute(1, 2, 0).contiguous().unsqueeze(0)
            if pretrained_window > 0:
                table[:, :, :, 0] /= pretrained_window - 1
                table[:, :, :, 1] /= pretrained_window - 1
            else:
                table[:, :, :, 0] /= wh - 1
                table[:, :, :, 1] /= ww - 1
            table *= 8
            table = torch.sign(table) * torch.log2(torch.abs(table) + 1.0) / math.log2(8)
            self.register_buffer("relative_coords_table", table, persistent=False)
            self.register_buffer("relative_position_index", pair_offsets(wh, ww), persistent=False)

    def forward(self, x, mask):
        bw, n, c = x.shape
        bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias).reshape(bw, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * torch.clamp(self.logit_scale, max=math.log(1.0 / 0.01)).exp()
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.heads)
        rpb = table[self.relative_position_index.view(-1)].view(n, n, -1).permute(2, 0, 1).contiguous()
        attn = attn + 16 * torch.sigmoid(rpb).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(-1, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        attn = attn.softmax(-1)
        x = (attn @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden, device=None):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, device=device)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim, device=device)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class BlockV2(nn.Module):
    def __init__(self, dim, resolution, heads, window, shifted, pretrained_window, mlp_ratio, device=None):
        super().__init__()
        self.resolution = resolution
        # timm's rule: where the resolution is at most the window, the window is the resolution and nothing shifts
        self.window = (min(resolution, window),) * 2
        self.shift = (0 if (not shifted or resolution <= window) else window // 2,) * 2
        self.attn = WindowAttentionV2(dim, self.window, heads, pretrained_window, device)
        self.norm1 = nn.LayerNorm(dim, device=device)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), device)
        self.norm2 = nn.LayerNorm(dim, device=device)
        self.register_buffer("attn_mask", None if device == "meta" else self.make_mask(), persistent=False)

    def make_mask(self):
        if not any(self.shift):
            return None
        h = w = self.resolution
        wh, ww = self.window
        img = torch.zeros((1, h, w, 1))
        cnt = 0
        for hs in ((0, -wh), (-wh, -self.shift[0]), (-self.shift[0], None)):
            for ws in ((0, -ww), (-ww, -self.shift[1]), (-self.shift[1], None)):
                img[:, hs[0]:hs[1], ws[0]:ws[1], :] = cnt
                cnt += 1
        mw = window_partition(img, wh, ww).view(-1, wh * ww)
        m = mw.unsqueeze(1) - mw.unsqueeze(2)
        return m.masked_fill(m != 0, float(-100.0)).masked_fill(m == 0, float(0.0))

    def forward(self, x):  # B, H, W, C
        b, h, w, c = x.shape
        wh, ww = self.window
        shifted = torch.roll(x, shifts=(-self.shift[0], -self.shift[1]), dims=(1, 2)) if any(self.shift) else x
        windows = window_partition(shifted, wh, ww).view(-1, wh * ww, c)
        out = self.attn(windows, self.attn_mask).view(-1, wh, ww, c)
        shifted = window_reverse(out, wh, ww, h, w)
        a = torch.roll(shifted, shifts=self.shift, dims=(1, 2)) if any(self.shift) else shifted
        x = x + self.norm1(a)
        x = x.reshape(b, -1, c)
        x = x + self.norm2(self.mlp(x))
        return x.reshape(b, h, w, c)


class PatchMergingV2(nn.Module):
    def __init__(self, dim, device=None):
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False, device=device)
        self.norm = nn.LayerNorm(2 * dim, device=device)

    def forward(self, x):
        b, h, w, c = x.shape
        x = x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).flatten(3)
        return self.norm(self.reduction(x))


class StageV2(nn.Module):
    def __init__(self, dim, out_dim, resolution, depth, heads, window, downsample, pretrained_window, mlp_ratio, device=None):
        super().__init__()
        self.downsample = PatchMergingV2(dim, device) if downsample else nn.Identity()
        res = resolution // 2 if downsample else resolution
        self.blocks = nn.ModuleList([BlockV2(out_dim, res, heads, window, i % 2 == 1, pretrained_window, mlp_ratio, device)
                                     for i in range(depth)])


class PatchEmbed(nn.Module):
    def __init__(self, in_chans, dim, patch, device=None):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch, device=device)
        self.norm = nn.LayerNorm(dim, device=device)

    def forward(self, x):
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


class ClassifierHead(nn.Module):
    def __init__(self, dim, classes, device=None):
        super().__init__()
        self.fc = nn.Linear(dim, classes, device=device)


class SwinV2(nn.Module):
    def __init__(self, img, patch, in_chans, embed, depths, heads, window, pretrained_windows, classes, mlp_ratio=4.0, device=None):
        super().__init__()
        dims = [embed * 2 ** i for i in range(len(depths))]
        self.patch_embed = PatchEmbed(in_chans, embed, patch, device)
        grid = img // patch
        stages = []
        for i in range(len(depths)):
            res = grid // (2 ** max(i - 1, 0))
            stages.append(StageV2(dims[max(i - 1, 0)], dims[i], res, depths[i], heads[i], window, i > 0, pretrained_windows[i],
                                  mlp_ratio, device))
        self.layers = nn.Sequential(*stages)
        self.norm = nn.LayerNorm(dims[-1], device=device)
        self.head = ClassifierHead(dims[-1], classes, device)

    def forward_features(self, x):
        """Final normed tokens [B, L, C] and every block's output [B, L, C]."""
        x = self.patch_embed(x)
        outs = []
        for stage in self.layers:
            x = stage.downsample(x)
            for blk in stage.blocks:
                x = blk(x)
                outs.append(x.reshape(x.shape[0], -1, x.shape[-1]))
        x = self.norm(x)
        return x.reshape(x.shape[0], -1, x.shape[-1]), outs


# ---- fixtures ---------------------------------------------------------------------------------------------------

def randomize(model, seed):
    """Random weights that make every part matter (timm would zero the post-norms and biases)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                # moderate scales: a head at the clamp (scale 100) makes fp32 itself drift by ~5e-6 from the exact
                # result, too close to the 1e-5 bar; the clamp has its own test (SwinV2AttentionTest)
                p.copy_(math.log(10.0) + 0.25 * torch.randn(p.shape, generator=g))
            elif name.endswith(("q_bias", "v_bias")) or (name.endswith(".bias") and "norm" in name):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".weight") and "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                bound = 1.0 / math.sqrt(p.shape[1] if p.dim() == 2 else max(1, p[0].numel()))
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
    half_exact(model)


def original_layout(model):
    """The state dict as Microsoft's release names it: downsample at the end of stages 0..2, head.*, buffers kept."""
    out = {}
    for k, v in model.state_dict().items():
        if k.startswith("layers.") and ".downsample." in k:
            s = int(k.split(".")[1])
            k = k.replace(f"layers.{s}.downsample.", f"layers.{s - 1}.downsample.", 1)
        k = k.replace("head.fc.", "head.")
        out[k] = v
    for name, m in model.named_modules():
        if isinstance(m, WindowAttentionV2):
            out[name + ".relative_coords_table"] = m.relative_coords_table
            out[name + ".relative_position_index"] = m.relative_position_index
        if isinstance(m, BlockV2) and m.attn_mask is not None:
            out[name + ".attn_mask"] = m.attn_mask
    return out


def tiny(arch, img, window, heads, pretrained, batch, seed, layout, grads):
    torch.manual_seed(seed)
    model = SwinV2(img, 4, 3, 8, (2, 2, 2, 2), heads, window, pretrained, classes=5)
    randomize(model, seed)
    model.eval()
    x = torch.randn(batch, 3, img, img, generator=torch.Generator().manual_seed(seed + 1))
    io = {"input": x}
    if grads:
        for p in model.parameters():
            p.requires_grad_(True)
        out, layers = model.forward_features(x)
        gout = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 2))
        (out * gout).sum().backward()
        io["grad_output"] = gout
        params = dict(model.named_parameters())
        for name in grads:
            io["grad." + name] = params[name].grad
    else:
        with torch.no_grad():
            out, layers = model.forward_features(x)
    for i, t in enumerate(layers):
        io[f"layer.{i}"] = t
    io["output"] = out
    sd = model.state_dict() if layout == "timm" else original_layout(model)
    write_safetensors(os.path.join(OUT_DIR, f"{arch}.weights.safetensors"), weights_as_f16(sd), {"layout": layout})
    write_safetensors(os.path.join(OUT_DIR, f"{arch}.io.safetensors"), {k: v.detach().float() for k, v in io.items()}, {"arch": arch})


def main():
    tiny("swinv2_test_window4_64", 64, 4, (2, 2, 4, 4), (0, 0, 0, 0), batch=2, seed=31, layout="timm",
         grads=["layers.0.blocks.1.attn.logit_scale", "layers.0.blocks.1.attn.q_bias", "layers.0.blocks.1.attn.v_bias",
                "layers.1.blocks.1.attn.cpb_mlp.2.weight", "layers.2.downsample.reduction.weight", "layers.3.blocks.0.norm1.weight",
                "patch_embed.norm.bias", "norm.weight"])
    tiny("swinv2_test_window6_96", 96, 6, (1, 2, 2, 4), (4, 4, 4, 2), batch=1, seed=47, layout="original", grads=None)
    # the real model's names and shapes (params built on the meta device: nothing is allocated)
    large = SwinV2(192, 4, 3, 192, (2, 2, 18, 2), (6, 12, 24, 48), 12, (0, 0, 0, 0), classes=21841, device="meta")
    write_names(os.path.join(OUT_DIR, "swinv2_large_window12_192.names.txt"), large.state_dict())


if __name__ == "__main__":
    main()
