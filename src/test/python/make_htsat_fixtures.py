#!/usr/bin/python3
"""Golden fixtures for the HTS-AT backbone (org.mettle.models.htsat).

Run from the repository root with Debian's torch:  /usr/bin/python3 src/test/python/make_htsat_fixtures.py
Writes src/test/resources/golden/htsat/. Never hand-edit the outputs.

The reference is a plain-torch HTS-AT written from the release's model/htsat.py semantics with its module names, so
state_dict() keys equal the AudioSet checkpoint's: bn0 (BatchNorm2d over mel bins, applied with the bins as channels),
reshape_wav2img (bicubic align_corners resize to spec_size * freq_ratio frames, then the fold into a square image),
PatchEmbed (conv, norm), pre-norm Swin-V1 blocks with relative position bias tables, the -100 shift mask and the
"min(resolution) <= window: no shift, window = resolution" rule, PatchMerging at the end of stages 0..2 (norm over 4C,
then reduction), final norm. torchlibrosa is not installed: the STFT/mel extractors are stand-ins with the same
parameter names and shapes (stft.conv_real/conv_imag Conv1d weights, melW), which the backbone ignores anyway.

htsat_test (16 mel bins, 64x64 image, window 4, dims 8..64):
  htsat_test.weights.safetensors  the Lightning checkpoint's layout: every key prefixed with "sed_model.", with the
                                  extractors, num_batches_tracked, relative_position_index and attn_mask buffers,
                                  tscam_conv and head; float weights fp16-exact and stored as F16
  htsat_test.io.safetensors       F32 input [B, T, 16] with T = 250 (< 256: exercises the resize), image (the folded
                                  input of patch_embed), layer.{i} [B, L, C], output [B, L, C]; input_full [1, 256, 16]
                                  and output_full (no resize)
And htsat.names.txt: the full-size AudioSet release's names/shapes as the Lightning checkpoint holds them.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_swin_fixtures import Mlp, half_exact, pair_offsets, weights_as_f16, window_partition, window_reverse, \
    write_names, write_safetensors  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "htsat"))


class STFTStub(nn.Module):
    def __init__(self, n_fft):
        super().__init__()
        self.conv_real = nn.Conv1d(1, n_fft // 2 + 1, kernel_size=n_fft, bias=False)
        self.conv_imag = nn.Conv1d(1, n_fft // 2 + 1, kernel_size=n_fft, bias=False)


class SpectrogramStub(nn.Module):
    def __init__(self, n_fft):
        super().__init__()
        self.stft = STFTStub(n_fft)


class LogmelStub(nn.Module):
    def __init__(self, n_fft, mel_bins):
        super().__init__()
        self.melW = nn.Parameter(torch.zeros(n_fft // 2 + 1, mel_bins))


class WindowAttentionV1(nn.Module):
    def __init__(self, dim, window, heads):
        super().__init__()
        self.window = window
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", pair_offsets(window, window))
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask):
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        rpb = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        attn = attn + rpb.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(bw // nw, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        attn = attn.softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(bw, n, c))


class BlockV1(nn.Module):
    def __init__(self, dim, resolution, heads, window, shift):
        super().__init__()
        self.resolution = resolution
        self.window = window
        self.shift = shift
        if resolution <= window:  # HTS-AT's rule: min(input_resolution) <= window_size
            self.shift = 0
            self.window = resolution
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttentionV1(dim, self.window, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * 4.0))
        mask = None
        if self.shift > 0:
            img = torch.zeros((1, resolution, resolution, 1))
            cnt = 0
            for h in (slice(0, -self.window), slice(-self.window, -self.shift), slice(-self.shift, None)):
                for w in (slice(0, -self.window), slice(-self.window, -self.shift), slice(-self.shift, None)):
                    img[:, h, w, :] = cnt
                    cnt += 1
            mw = window_partition(img, self.window, self.window).view(-1, self.window * self.window)
            mask = mw.unsqueeze(1) - mw.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, float(-100.0)).masked_fill(mask == 0, float(0.0))
        self.register_buffer("attn_mask", mask)

    def forward(self, x):
        h = w = self.resolution
        b, l, c = x.shape
        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        if self.shift > 0:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        windows = window_partition(x, self.window, self.window).view(-1, self.window * self.window, c)
        out = self.attn(windows, self.attn_mask).view(-1, self.window, self.window, c)
        x = window_reverse(out, self.window, self.window, h, w)
        if self.shift > 0:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = shortcut + x.reshape(b, h * w, c)
        return x + self.mlp(self.norm2(x))


class PatchMergingV1(nn.Module):
    def __init__(self, resolution, dim):
        super().__init__()
        self.resolution = resolution
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x):
        h = w = self.resolution
        b, l, c = x.shape
        x = x.view(b, h, w, c)
        x = torch.cat([x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :], x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]], -1)
        return self.reduction(self.norm(x.view(b, -1, 4 * c)))


class BasicLayer(nn.Module):
    def __init__(self, dim, resolution, depth, heads, window, downsample):
        super().__init__()
        self.blocks = nn.ModuleList([BlockV1(dim, resolution, heads, window, 0 if i % 2 == 0 else window // 2)
                                     for i in range(depth)])
        self.downsample = PatchMergingV1(resolution, dim) if downsample else None


class PatchEmbed(nn.Module):
    def __init__(self, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(1, dim, kernel_size=patch, stride=patch, padding=0)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.proj(x).flatten(2).transpose(1, 2))


class Htsat(nn.Module):
    def __init__(self, mel_bins, spec_size, patch, embed, depths, heads, window, classes, n_fft):
        super().__init__()
        self.spec_size = spec_size
        self.freq_ratio = spec_size // mel_bins
        self.spectrogram_extractor = SpectrogramStub(n_fft)
        self.logmel_extractor = LogmelStub(n_fft, mel_bins)
        self.bn0 = nn.BatchNorm2d(mel_bins)
        self.patch_embed = PatchEmbed(embed, patch)
        grid = spec_size // patch
        self.layers = nn.ModuleList([BasicLayer(embed * 2 ** i, grid // 2 ** i, depths[i], heads[i], window, i < len(depths) - 1)
                                     for i in range(len(depths))])
        features = embed * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(features)
        sf = spec_size // (2 ** (len(depths) - 1)) // patch // self.freq_ratio
        self.tscam_conv = nn.Conv2d(features, classes, kernel_size=(max(sf, 1), 3), padding=(0, 1))  # max: tiny configs
        self.head = nn.Linear(classes, classes)

    def reshape_wav2img(self, x):
        b, c, t, f = x.shape
        target_t = self.spec_size * self.freq_ratio
        if t < target_t:
            x = F.interpolate(x, (target_t, x.shape[3]), mode="bicubic", align_corners=True)
        x = x.permute(0, 1, 3, 2).contiguous()
        x = x.reshape(x.shape[0], x.shape[1], x.shape[2], self.freq_ratio, x.shape[3] // self.freq_ratio)
        x = x.permute(0, 1, 3, 2, 4).contiguous()
        return x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3], x.shape[4])

    def forward_features(self, logmel):
        """Log-mel [B, T, F] -> (image, final normed tokens [B, L, C], every block's output)."""
        x = logmel.unsqueeze(1)  # the extractor's (B, 1, T, F)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        image = self.reshape_wav2img(x)
        x = self.patch_embed(image)
        outs = []
        for layer in self.layers:
            for blk in layer.blocks:
                x = blk(x)
                outs.append(x)
            if layer.downsample is not None:
                x = layer.downsample(x)
        return image, self.norm(x), outs


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith(("spectrogram_extractor", "logmel_extractor")):
                continue
            if name.endswith("relative_position_bias_table"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias") and ("norm" in name or name.startswith("bn0")):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".weight") and ("norm" in name or name.startswith("bn0")):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                bound = 1.0 / math.sqrt(p.shape[1] if p.dim() == 2 else max(1, p[0].numel()))
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * bound)
        model.bn0.running_mean.copy_(0.5 * torch.randn(model.bn0.running_mean.shape, generator=g))
        model.bn0.running_var.copy_(0.5 + 1.5 * torch.rand(model.bn0.running_var.shape, generator=g))
        model.bn0.running_mean.copy_(model.bn0.running_mean.half().float())
        model.bn0.running_var.copy_(model.bn0.running_var.half().float())
        model.bn0.num_batches_tracked.fill_(1234)
    half_exact(model)


def main():
    torch.manual_seed(53)  # the extractor stand-ins keep torch's default init
    model = Htsat(mel_bins=16, spec_size=64, patch=4, embed=8, depths=(2, 2, 2, 2), heads=(2, 2, 4, 4), window=4, classes=5, n_fft=16)
    randomize(model, 53)
    model.eval()
    x = torch.randn(2, 250, 16, generator=torch.Generator().manual_seed(54))
    full = torch.randn(1, 256, 16, generator=torch.Generator().manual_seed(55))
    with torch.no_grad():
        image, out, layers = model.forward_features(x)
        _, out_full, _ = model.forward_features(full)
    io = {"input": x, "image": image}
    for i, t in enumerate(layers):
        io[f"layer.{i}"] = t
    io["output"] = out
    io["input_full"] = full
    io["output_full"] = out_full
    sd = {"sed_model." + k: v for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(OUT_DIR, "htsat_test.weights.safetensors"), weights_as_f16(sd), {"layout": "lightning"})
    write_safetensors(os.path.join(OUT_DIR, "htsat_test.io.safetensors"), io, {"arch": "htsat_test"})

    release = Htsat(mel_bins=64, spec_size=256, patch=4, embed=96, depths=(2, 2, 6, 2), heads=(4, 8, 16, 32), window=8, classes=527,
                    n_fft=1024)
    write_names(os.path.join(OUT_DIR, "htsat.names.txt"), {"sed_model." + k: v for k, v in release.state_dict().items()})


if __name__ == "__main__":
    main()
