#!/usr/bin/python3
"""Golden fixtures for the ViT backbones (org.mettle.models.vit).

Run from the repository root with Debian's torch:  /usr/bin/python3 src/test/python/make_vit_fixtures.py
Writes src/test/resources/golden/vit/<arch>.weights.safetensors and <arch>.io.safetensors. Never hand-edit them.

The reference is written here in plain PyTorch from timm's VisionTransformer semantics (timm is not installed):
conv patch embed -> flatten(2).transpose(1, 2) -> cat(cls[, dist], patches) -> + pos_embed -> pre-norm blocks
(LayerNorm eps 1e-6, fused qkv reshaped to [B, N, 3, H, d], softmax(q k^T / sqrt(d)) v, proj, exact GELU MLP)
-> final norm. The audio config follows AST's ASTModel.forward: x [B, T, F] -> unsqueeze(1).transpose(2, 3) ->
[B, 1, F, T], 16x16 patches with stride 10, cls + dist tokens.

As a second check, the image reference is compared with torchvision's VisionTransformer encoder (same weights
mapped to torchvision's names); the script fails if they disagree.

Files per architecture (the configs must match org.mettle.models.vit.VitConfig's named test configs):
  <arch>.weights.safetensors  the model's weights under the names a real checkpoint uses: timm's names plus a
                              classifier head (vit), or AST's released names with the DataParallel "module.v."
                              prefix, head, head_dist and mlp_head (ast) -- the Java loader must ignore the heads.
  <arch>.io.safetensors       input, layer.{i} (every block's output) and output (the final normed tokens).
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "vit"))

# name: (spectrogram, channels, height (F for audio), width (T for audio), patch, stride, dim, depth, heads, prefix)
CONFIGS = {
    "vit_test_patch8_32": (False, 3, 32, 32, 8, 8, 32, 3, 4, 1),
    "ast_test_patch16_32x57": (True, 1, 32, 57, 16, 10, 32, 2, 2, 2),
}
BATCH = 2
EPS = 1e-6


def random_weights(cfg, gen):
    spectrogram, chans, height, width, patch, stride, dim, depth, heads, prefix = cfg
    grid = ((height - patch) // stride + 1) * ((width - patch) // stride + 1)
    hidden = 4 * dim

    def randn(*shape, std=1.0):
        return torch.randn(*shape, generator=gen) * std

    w = {"cls_token": randn(1, 1, dim, std=0.5)}
    if prefix == 2:
        w["dist_token"] = randn(1, 1, dim, std=0.5)
    w["pos_embed"] = randn(1, prefix + grid, dim, std=0.5)
    w["patch_embed.proj.weight"] = randn(dim, chans, patch, patch, std=1.0 / math.sqrt(chans * patch * patch))
    w["patch_embed.proj.bias"] = randn(dim, std=0.1)
    for i in range(depth):
        p = f"blocks.{i}."
        for norm in ("norm1", "norm2"):
            w[p + norm + ".weight"] = 1.0 + randn(dim, std=0.2)
            w[p + norm + ".bias"] = randn(dim, std=0.2)
        # weights a little larger than default init, so attention is far from uniform and every term matters
        w[p + "attn.qkv.weight"] = randn(3 * dim, dim, std=2.0 / math.sqrt(dim))
        w[p + "attn.qkv.bias"] = randn(3 * dim, std=0.2)
        w[p + "attn.proj.weight"] = randn(dim, dim, std=1.0 / math.sqrt(dim))
        w[p + "attn.proj.bias"] = randn(dim, std=0.1)
        w[p + "mlp.fc1.weight"] = randn(hidden, dim, std=1.0 / math.sqrt(dim))
        w[p + "mlp.fc1.bias"] = randn(hidden, std=0.1)
        w[p + "mlp.fc2.weight"] = randn(dim, hidden, std=1.0 / math.sqrt(hidden))
        w[p + "mlp.fc2.bias"] = randn(dim, std=0.1)
    w["norm.weight"] = 1.0 + randn(dim, std=0.2)
    w["norm.bias"] = randn(dim, std=0.2)
    return w


def reference_forward(cfg, w, x):
    """timm/AST forward; returns (every block's output, final normed tokens)."""
    spectrogram, chans, height, width, patch, stride, dim, depth, heads, prefix = cfg
    if spectrogram:
        x = x.unsqueeze(1).transpose(2, 3)  # AST: [B, T, F] -> [B, 1, F, T]
    b = x.shape[0]
    t = F.conv2d(x, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=stride)
    t = t.flatten(2).transpose(1, 2)
    parts = [w["cls_token"].expand(b, -1, -1)]
    if prefix == 2:
        parts.append(w["dist_token"].expand(b, -1, -1))
    t = torch.cat(parts + [t], dim=1) + w["pos_embed"]
    hd = dim // heads
    layers = []
    for i in range(depth):
        p = f"blocks.{i}."
        n = t.shape[1]
        h = F.layer_norm(t, (dim,), w[p + "norm1.weight"], w[p + "norm1.bias"], EPS)
        qkv = F.linear(h, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])
        qkv = qkv.reshape(b, n, 3, heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * (hd ** -0.5)
        o = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, dim)
        t = t + F.linear(o, w[p + "attn.proj.weight"], w[p + "attn.proj.bias"])
        h = F.layer_norm(t, (dim,), w[p + "norm2.weight"], w[p + "norm2.bias"], EPS)
        h = F.gelu(F.linear(h, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"]))
        t = t + F.linear(h, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])
        layers.append(t)
    out = F.layer_norm(t, (dim,), w["norm.weight"], w["norm.bias"], EPS)
    return layers, out


def torchvision_check(cfg, w, x, ours):
    """Runs torchvision's VisionTransformer encoder with the same weights; fails unless it matches ours."""
    import torchvision

    spectrogram, chans, height, width, patch, stride, dim, depth, heads, prefix = cfg
    assert not spectrogram and chans == 3 and height == width and stride == patch
    tv = torchvision.models.VisionTransformer(image_size=height, patch_size=patch, num_layers=depth, num_heads=heads,
                                              hidden_dim=dim, mlp_dim=4 * dim).eval()
    with torch.no_grad():
        tv.class_token.copy_(w["cls_token"])
        tv.conv_proj.weight.copy_(w["patch_embed.proj.weight"])
        tv.conv_proj.bias.copy_(w["patch_embed.proj.bias"])
        tv.encoder.pos_embedding.copy_(w["pos_embed"])
        for i, layer in enumerate(tv.encoder.layers):
            p = f"blocks.{i}."
            layer.ln_1.weight.copy_(w[p + "norm1.weight"])
            layer.ln_1.bias.copy_(w[p + "norm1.bias"])
            layer.self_attention.in_proj_weight.copy_(w[p + "attn.qkv.weight"])
            layer.self_attention.in_proj_bias.copy_(w[p + "attn.qkv.bias"])
            layer.self_attention.out_proj.weight.copy_(w[p + "attn.proj.weight"])
            layer.self_attention.out_proj.bias.copy_(w[p + "attn.proj.bias"])
            layer.ln_2.weight.copy_(w[p + "norm2.weight"])
            layer.ln_2.bias.copy_(w[p + "norm2.bias"])
            layer.mlp[0].weight.copy_(w[p + "mlp.fc1.weight"])
            layer.mlp[0].bias.copy_(w[p + "mlp.fc1.bias"])
            layer.mlp[3].weight.copy_(w[p + "mlp.fc2.weight"])
            layer.mlp[3].bias.copy_(w[p + "mlp.fc2.bias"])
        tv.encoder.ln.weight.copy_(w["norm.weight"])
        tv.encoder.ln.bias.copy_(w["norm.bias"])
        t = tv._process_input(x)
        t = torch.cat([tv.class_token.expand(x.shape[0], -1, -1), t], dim=1)
        theirs = tv.encoder(t)
    err = (theirs - ours).abs().max().item() / ours.abs().max().item()
    assert err < 1e-5, f"reference and torchvision's ViT disagree: relative error {err}"
    print(f"  torchvision VisionTransformer agrees with the reference: relative error {err:.2e}")


def checkpoint_names(arch, cfg, w, gen):
    """The weights under the names of a real checkpoint, classifier heads included (the loader ignores them)."""
    dim = cfg[6]
    if arch.startswith("ast_"):
        named = {"module.v." + k: v for k, v in w.items()}
        named["module.v.head.weight"] = torch.randn(5, dim, generator=gen)
        named["module.v.head.bias"] = torch.randn(5, generator=gen)
        named["module.v.head_dist.weight"] = torch.randn(5, dim, generator=gen)
        named["module.v.head_dist.bias"] = torch.randn(5, generator=gen)
        named["module.mlp_head.0.weight"] = torch.randn(dim, generator=gen)
        named["module.mlp_head.0.bias"] = torch.randn(dim, generator=gen)
        named["module.mlp_head.1.weight"] = torch.randn(5, dim, generator=gen)
        named["module.mlp_head.1.bias"] = torch.randn(5, generator=gen)
        return named
    named = dict(w)
    named["head.weight"] = torch.randn(10, dim, generator=gen)
    named["head.bias"] = torch.randn(10, generator=gen)
    return named


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().to(torch.float32)
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for seed, (arch, cfg) in enumerate(CONFIGS.items(), start=300):
        gen = torch.Generator().manual_seed(seed)
        spectrogram, chans, height, width = cfg[:4]
        w = random_weights(cfg, gen)
        x = torch.randn(BATCH, width, height, generator=gen) if spectrogram else torch.randn(BATCH, chans, height, width, generator=gen)
        with torch.no_grad():
            layers, out = reference_forward(cfg, w, x)
        print(f"{arch}: input {list(x.shape)}, output {list(out.shape)}")
        if not spectrogram:
            torchvision_check(cfg, w, x, out)
        meta = {"arch": arch, "seed": str(seed), "torch": torch.__version__}
        write_safetensors(os.path.join(OUT_DIR, f"{arch}.weights.safetensors"), checkpoint_names(arch, cfg, w, gen), meta)
        io = {"input": x}
        for i, t in enumerate(layers):
            io[f"layer.{i}"] = t
        io["output"] = out
        write_safetensors(os.path.join(OUT_DIR, f"{arch}.io.safetensors"), io, meta)


if __name__ == "__main__":
    main()
