#!/usr/bin/python3
"""PyTorch implementation of our Mettle AVE training step (org.mettle.method), importable.

Same layers and names as the Java engine, so both sides can share weights through safetensors:
  backbones  the reference Swin-V2 (make_swin_fixtures.SwinV2, timm names) and HTS-AT (make_htsat_fixtures.Htsat,
             release names without "sed_model."), frozen, run under torch.no_grad();
  LCD        per chosen layer l (LcdLayer): q = LN(Z_l) W_q^T + b_q through the layer's frozen query projection
             (Swin-V2: L2-normalised per head and times exp(min(logit_scale, log 100)); HTS-AT: logits * d^-0.5),
             the K meta queries attend over the layer's own keys and values of all N tokens (windows concatenated,
             no position bias, no mask), merged heads through the frozen W_o, b_o; x = P + Z_l;
             out = Proj(x + Up(GELU(Down(x)))) [B, K, D_c]; M = mean over the layers. Only this branch records a
             graph (torch.enable_grad() inside the backbone's no-grad forward, as Lcd.distill does);
  head       AveHead: cat(mean_K(M_audio), mean_K(M_visual)) -> fc1 -> GELU -> fc2 -> 29 logits; mean cross-entropy;
  optimiser  torch.optim.AdamW (ours has its semantics: decoupled decay, bias correction).
Trainable names: visual_lcd.layers.<i>.{meta_tokens,norm.*,down.*,up.*,proj.*}, audio_lcd.layers.<i>.*, head.fc1.*,
head.fc2.*, as MettleModel.trainableTensors() names them.

Attention runs through F.scaled_dot_product_attention where torch has it (2.x) and USE_SDPA is on, else the math
version (torch 1.13 here has no SDPA); the fixtures use the math version in float64.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_htsat_fixtures import Htsat, WindowAttentionV1  # noqa: E402
from make_swin_fixtures import SwinV2, WindowAttentionV2  # noqa: E402

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
USE_SDPA = HAS_SDPA
AVE_CLASSES = 29

# Our registry's backbones (org.mettle.models.swin.SwinModels, org.mettle.models.htsat.HtsatModels).
SWIN_ARCHS = {
    "swinv2_mini_window4_64": dict(img=64, patch=4, in_chans=3, embed=24, depths=(2, 2, 2), heads=(2, 3, 6), window=4),
    "swinv2_large_window12_192": dict(img=192, patch=4, in_chans=3, embed=192, depths=(2, 2, 18, 2), heads=(6, 12, 24, 48), window=12),
}
HTSAT_ARCHS = {
    "htsat_mini": dict(mel_bins=32, spec_size=64, patch=4, embed=24, depths=(2, 2, 2), heads=(2, 3, 6), window=4),
    "htsat": dict(mel_bins=64, spec_size=256, patch=4, embed=96, depths=(2, 2, 6, 2), heads=(4, 8, 16, 32), window=8),
}


def attention(q, k, v, scale, bias=None):
    """softmax(q k^T * scale + bias) v; SDPA when available and allowed."""
    if USE_SDPA and HAS_SDPA:
        try:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=scale)
        except TypeError:  # torch 2.0: no scale argument; SDPA divides by sqrt(d)
            return F.scaled_dot_product_attention(q * (scale * math.sqrt(q.shape[-1])), k, v, attn_mask=bias)
    logits = (q @ k.transpose(-2, -1)) * scale
    if bias is not None:
        logits = logits + bias
    return logits.softmax(-1) @ v


def windows_to_image(per_window, batch):
    """[B * nW, H, n, d] (windows image-major) -> [B, H, nW * n, d], as TapHolder.windowsToImage."""
    bw, h, n, d = per_window.shape
    return per_window.reshape(batch, bw // batch, h, n, d).permute(0, 2, 1, 3, 4).reshape(batch, h, -1, d)


class Tap:
    """What LCD reads from one block's attention (models.AttentionTap)."""

    def __init__(self, keys, values, heads, q_weight, q_bias, out_weight, out_bias, cosine, head_scale, scale):
        self.keys, self.values, self.heads = keys, values, heads
        self.q_weight, self.q_bias, self.out_weight, self.out_bias = q_weight, q_bias, out_weight, out_bias
        self.cosine, self.head_scale, self.scale = cosine, head_scale, scale


class TappedAttentionV2(WindowAttentionV2):
    """The reference Swin-V2 window attention plus the LCD tap; same result (math path) as the parent."""
    on_tap = None
    batch = None

    def forward(self, x, mask):
        bw, n, c = x.shape
        bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias).reshape(bw, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        head_scale = torch.clamp(self.logit_scale, max=math.log(1.0 / 0.01)).exp()
        qn = F.normalize(q, dim=-1) * head_scale
        kn = F.normalize(k, dim=-1)
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.heads)
        rpb = table[self.relative_position_index.view(-1)].view(n, n, -1).permute(2, 0, 1).contiguous()
        rpb = 16 * torch.sigmoid(rpb).unsqueeze(0)  # [1, H, n, n]
        if mask is None:
            out = attention(qn, kn, v, 1.0, rpb)
        else:  # fold the windows into the heads so bias + mask is one [1, nW * H, n, n] (no per-batch copy)
            nw = mask.shape[0]
            full = (rpb + mask.unsqueeze(1)).reshape(1, nw * self.heads, n, n)
            fold = lambda t: t.reshape(bw // nw, nw * self.heads, n, t.shape[-1])  # noqa: E731
            out = attention(fold(qn), fold(kn), fold(v), 1.0, full).reshape(bw, self.heads, n, -1)
        if self.on_tap is not None:
            dim = self.q_bias.shape[0]
            self.on_tap(Tap(windows_to_image(kn, self.batch), windows_to_image(v, self.batch), self.heads,
                            self.qkv.weight[:dim], self.q_bias, self.proj.weight, self.proj.bias, True,
                            head_scale.view(self.heads), 1.0))
        return self.proj(out.transpose(1, 2).reshape(bw, n, c))


class TappedAttentionV1(WindowAttentionV1):
    """The reference HTS-AT (Swin-V1) window attention plus the LCD tap."""
    on_tap = None
    batch = None

    def forward(self, x, mask):
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        rpb = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        rpb = rpb.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is None:
            out = attention(q, k, v, self.scale, rpb)
        else:
            nw = mask.shape[0]
            full = (rpb + mask.unsqueeze(1)).reshape(1, nw * self.heads, n, n)
            fold = lambda t: t.reshape(bw // nw, nw * self.heads, n, t.shape[-1])  # noqa: E731
            out = attention(fold(q), fold(k), fold(v), self.scale, full).reshape(bw, self.heads, n, -1)
        if self.on_tap is not None:
            self.on_tap(Tap(windows_to_image(k, self.batch), windows_to_image(v, self.batch), self.heads,
                            self.qkv.weight[:c], self.qkv.bias[:c], self.proj.weight, self.proj.bias, False, None,
                            self.scale))
        return self.proj(out.transpose(1, 2).reshape(bw, n, c))


def attention_modules(backbone):
    """The blocks' attention modules in our layer order (stage by stage, block by block)."""
    return [m for m in backbone.modules() if isinstance(m, (WindowAttentionV1, WindowAttentionV2))]


def build_swin(arch):
    a = SWIN_ARCHS[arch]
    model = SwinV2(a["img"], a["patch"], a["in_chans"], a["embed"], a["depths"], a["heads"], a["window"], (0,) * len(a["depths"]), classes=1)
    model.head = None  # our backbone has no classifier
    for m in attention_modules(model):
        m.__class__ = TappedAttentionV2
    return model


def build_htsat(arch):
    a = HTSAT_ARCHS[arch]
    model = Htsat(a["mel_bins"], a["spec_size"], a["patch"], a["embed"], a["depths"], a["heads"], a["window"], classes=1, n_fft=16)
    for name in ("spectrogram_extractor", "logmel_extractor", "tscam_conv", "head"):
        setattr(model, name, None)  # ours starts at the log-mel and ends at the final tokens
    for m in attention_modules(model):
        m.__class__ = TappedAttentionV1
    return model


def backbone_state(model):
    """The names our loaders read (as weights/*.safetensors hold them): parameters and bn0's running statistics."""
    sd = model.state_dict()
    keep = {n for n, _ in model.named_parameters()}
    keep |= {"bn0.running_mean", "bn0.running_var"} & set(sd)
    return {k: v for k, v in sd.items() if k in keep}


def backbone_widths(model):
    return [m.proj.weight.shape[0] for m in attention_modules(model)]


def run_backbone(model, x, on_layer):
    """The frozen backbone under no-grad; on_layer(index, tap) is called inside each block's attention."""
    mods = attention_modules(model)
    try:
        for i, m in enumerate(mods):
            m.batch = x.shape[0]
            m.on_tap = (lambda tap, i=i: on_layer(i, tap))
        with torch.no_grad():
            model.forward_features(x)
    finally:
        for m in mods:
            m.on_tap = None


class LcdLayer(nn.Module):
    def __init__(self, width, meta_tokens, ratio, common_width):
        super().__init__()
        self.meta_tokens = nn.Parameter(0.02 * torch.randn(meta_tokens, width))
        self.norm = nn.LayerNorm(width, eps=1e-5)
        hidden = max(1, width // ratio)
        self.down = nn.Linear(width, hidden)
        self.up = nn.Linear(hidden, width)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)
        self.proj = nn.Linear(width, common_width)

    def forward(self, tap):
        k_count, width = self.meta_tokens.shape
        batch, heads, _, head_dim = tap.keys.shape
        q = F.linear(self.norm(self.meta_tokens), tap.q_weight, tap.q_bias)
        per_head = q.reshape(k_count, heads, head_dim).permute(1, 0, 2)
        scale = tap.scale
        if tap.cosine:
            per_head = F.normalize(per_head, dim=-1, eps=1e-12) * tap.head_scale.view(heads, 1, 1)
            scale = 1.0
        queries = per_head.unsqueeze(0).expand(batch, heads, k_count, head_dim)
        attended = attention(queries, tap.keys, tap.values, scale)
        merged = attended.permute(0, 2, 1, 3).reshape(batch, k_count, heads * head_dim)
        x = F.linear(merged, tap.out_weight, tap.out_bias) + self.meta_tokens
        return self.proj(x + self.up(F.gelu(self.down(x))))


class Lcd(nn.Module):
    def __init__(self, widths, layers, meta_tokens, ratio, common_width):
        super().__init__()
        self.layers = nn.ModuleDict({str(l): LcdLayer(widths[l], meta_tokens, ratio, common_width) for l in layers})

    def distill(self, backbone, x):
        total = [None]

        def on_layer(i, tap):
            layer = self.layers[str(i)] if str(i) in self.layers else None
            if layer is None:
                return
            with torch.enable_grad():
                m = layer(tap)
                total[0] = m if total[0] is None else total[0] + m

        run_backbone(backbone, x, on_layer)
        return total[0] * (1.0 / len(self.layers))


class AveHead(nn.Module):
    def __init__(self, common_width, hidden=None, classes=AVE_CLASSES):
        super().__init__()
        self.fc1 = nn.Linear(2 * common_width, hidden or common_width)
        self.fc2 = nn.Linear(hidden or common_width, classes)

    def forward(self, audio, visual):
        pooled = torch.cat((audio.mean(1), visual.mean(1)), 1)
        return self.fc2(F.gelu(self.fc1(pooled)))


class MettleAve(nn.Module):
    """The trainable part (visual_lcd, audio_lcd, head); the backbones are held outside the module tree."""

    def __init__(self, visual, audio, meta_tokens=4, layers=None, ratio=16, common_width=256):
        super().__init__()
        self.backbones = (visual, audio)  # a tuple: not registered, not in parameters() or state_dict()
        vw, aw = backbone_widths(visual), backbone_widths(audio)
        self.visual_lcd = Lcd(vw, layers or range(len(vw)), meta_tokens, ratio, common_width)
        self.audio_lcd = Lcd(aw, layers or range(len(aw)), meta_tokens, ratio, common_width)
        self.head = AveHead(common_width)

    def logits(self, frames, audio_in):
        visual, audio = self.backbones
        mv = self.visual_lcd.distill(visual, frames)
        ma = self.audio_lcd.distill(audio, audio_in)
        return self.head(ma, mv)

    def loss(self, frames, audio_in, labels):
        return F.cross_entropy(self.logits(frames, audio_in), labels)


def build(visual_arch, audio_arch, device="cpu", dtype=torch.float32, seed=0, **lcd):
    """Frozen backbones with random weights (torch's default init) and a MettleAve; everything on device."""
    torch.manual_seed(seed)
    visual = build_swin(visual_arch).eval()
    audio = build_htsat(audio_arch).eval()
    for b in (visual, audio):
        b.requires_grad_(False)
        b.to(device=device, dtype=dtype)
    model = MettleAve(visual, audio, **lcd).to(device=device, dtype=dtype)
    return model


def input_shapes(visual_arch, audio_arch, rows):
    """Frames [rows, 3, S, S] and one second of log-mel [rows, ceil(T_clip / 10), mel] (MemoryPlanner.segmentFrames)."""
    s = SWIN_ARCHS[visual_arch]
    a = HTSAT_ARCHS[audio_arch]
    target = a["spec_size"] * (a["spec_size"] // a["mel_bins"])
    clip = int(math.floor(target * 1001.0 / 1024.0 + 0.5))  # HtsatModels.inputShape (Math.round)
    return (rows, s["in_chans"], s["img"], s["img"]), (rows, (clip + 9) // 10, a["mel_bins"])


def adamw(model, lr, weight_decay):
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, betas=(0.9, 0.999), eps=1e-8,
                             weight_decay=weight_decay)


def train_step(model, optimizer, frames, audio_in, labels):
    """One AdamW step, as MettleModel.trainStep(..., lowMemory = false); returns the loss tensor (not synchronised)."""
    optimizer.zero_grad(set_to_none=True)
    loss = model.loss(frames, audio_in, labels)
    loss.backward()
    optimizer.step()
    return loss.detach()
