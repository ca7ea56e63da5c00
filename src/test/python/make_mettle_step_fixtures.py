#!/usr/bin/python3
"""Golden fixtures for the Mettle AVE training step: mettle_torch.py against org.mettle.method (MettleTorchParityTest).

Run from the repository root with Debian's torch:  /usr/bin/python3 src/test/python/make_mettle_step_fixtures.py
Writes src/test/resources/golden/mettle_step/. Never hand-edit the outputs.

Setting: swinv2_mini_window4_64 + htsat_mini (our shipped tiny archs, seeded random weights), batch 2 x 2 segments
(4 rows), K = 4 meta-tokens on every layer, bottleneck ratio 8, D_c = 32 (head hidden = D_c). Every trainable
tensor is random and non-zero (the up-projections too, which MettleModel zero-initialises), so every gradient is
informative. Computed in float64 (the reference's own rounding is then far below the Java float32 error we test).

  visual.safetensors     the Swin-V2 backbone, audio.safetensors the HTS-AT backbone, under our loaders' names
                         (as weights/*.safetensors), values fp16-exact and stored as F16 (no loss)
  step.safetensors       frames [4, 3, 64, 64] and audio [4, 13, 32] (fp16-exact, F16), labels I64 [4],
                         param.<trainable name> (fp16-exact, F16: the values the step starts from), loss [1],
                         grad.<trainable name> (dL/dparam), updated.<trainable name> (after one AdamW step,
                         lr 1e-2, weight decay 0.05, betas 0.9/0.999, eps 1e-8)
metadata: visual, audio, batch, segments, meta_tokens, bottleneck_ratio, common_width, lr, weight_decay.
  paper_trainable.txt    "name<TAB>d0,d1,..." of every trainable tensor of mettle_torch's model at the paper setting
                         (swinv2_large_window12_192 + htsat, K 4, r 16, D_c 256): the GPU comparison's model
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_htsat_fixtures  # noqa: E402
import make_swin_fixtures  # noqa: E402
import mettle_torch  # noqa: E402
from make_swin_fixtures import write_safetensors  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "mettle_step"))
VISUAL, AUDIO = "swinv2_mini_window4_64", "htsat_mini"
BATCH, SEGMENTS = 2, 2
META_TOKENS, RATIO, COMMON_WIDTH = 4, 8, 32
LR, WEIGHT_DECAY = 1e-2, 0.05


def randomize_trainable(model, seed):
    """Every trainable tensor random and non-zero; values fp16-exact so the F32 copy the Java side reads is exact."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("meta_tokens"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif ".norm." in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif ".norm." in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p.shape[1] if p.dim() == 2 else model.get_parameter(name[:-len("bias")] + "weight").shape[1]
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) / math.sqrt(fan_in))
            p.copy_(p.half().double())


def main():
    torch.manual_seed(71)
    mettle_torch.USE_SDPA = False
    model = mettle_torch.build(VISUAL, AUDIO, seed=71, meta_tokens=META_TOKENS, ratio=RATIO, common_width=COMMON_WIDTH)
    visual, audio = model.backbones
    make_swin_fixtures.randomize(visual, 72)
    make_htsat_fixtures.randomize(audio, 73)
    randomize_trainable(model, 74)
    rows = BATCH * SEGMENTS
    frame_shape, mel_shape = mettle_torch.input_shapes(VISUAL, AUDIO, rows)
    g = torch.Generator().manual_seed(75)
    frames = torch.randn(frame_shape, generator=g).half().float()
    mel = torch.randn(mel_shape, generator=g).half().float()
    labels = torch.randint(0, mettle_torch.AVE_CLASSES, (rows,), generator=g)

    for m in (visual, audio, model):
        m.double()
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = mettle_torch.adamw(model, LR, WEIGHT_DECAY)
    opt.zero_grad()
    loss = model.loss(frames.double(), mel.double(), labels)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    missing = [n for n, gr in grads.items() if gr is None or gr.abs().max() == 0]
    assert not missing, f"uninformative gradients: {missing}"
    opt.step()

    meta = {"visual": VISUAL, "audio": AUDIO, "batch": str(BATCH), "segments": str(SEGMENTS), "meta_tokens": str(META_TOKENS),
            "bottleneck_ratio": str(RATIO), "common_width": str(COMMON_WIDTH), "lr": str(LR), "weight_decay": str(WEIGHT_DECAY)}
    for name, b in (("visual", visual), ("audio", audio)):
        weights = {k: v.float().half() for k, v in mettle_torch.backbone_state(b).items()}
        write_safetensors(os.path.join(OUT_DIR, name + ".safetensors"), weights, meta)
    step = {"frames": frames.half(), "audio": mel.half(), "labels": labels, "loss": loss.detach().float().reshape(1)}
    for n, p in params.items():
        step["param." + n] = p.float().half()  # fp16-exact: no loss
    for n, gr in grads.items():
        step["grad." + n] = gr.float()
    for n, p in model.named_parameters():
        step["updated." + n] = p.detach().float()
    write_safetensors(os.path.join(OUT_DIR, "step.safetensors"), step, meta)
    print(f"loss {loss.item():.6f}; {len(params)} trainable tensors, {sum(p.numel() for p in params.values())} values")

    paper = mettle_torch.build("swinv2_large_window12_192", "htsat")
    path = os.path.join(OUT_DIR, "paper_trainable.txt")
    with open(path, "w") as f:
        for n, p in paper.named_parameters():
            f.write(f"{n}\t{','.join(str(d) for d in p.shape)}\n")
    print(f"wrote {path}: {sum(1 for _ in paper.parameters())} tensors, {sum(p.numel() for p in paper.parameters())} values")


if __name__ == "__main__":
    main()
