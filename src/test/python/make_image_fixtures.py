#!/usr/bin/python3
"""Golden fixtures for org.mettle.data.image (decoding, resize, center crop, normalisation).

Run from the repository root with Debian's PIL/torch/torchvision:
    /usr/bin/python3 src/test/python/make_image_fixtures.py [--photos DIR]

Inputs (committed next to the goldens in src/test/resources/golden/image/):
  photo_*.jpg   small crops of real photographs. With --photos DIR pointing at the unpacked
                Debian package mate-backgrounds 1.26.0 (usr/share/backgrounds/mate/nature, GPL-2+;
                LadyBird.jpg by Charles Barbin, Storm.jpg by Sergey Nazarov, FreshFlower.jpg by Jens Ansorg)
                the crops are cut again; without it the committed JPEGs are reused as they are.
  photo_*.png   the JPEG crops as PIL decodes them (lossless): the decode golden and the resize input.
  pattern_*.png synthetic patterns (checkerboard, zone plate, noisy gradient) generated here.
  decode_*      small files in every PNG/JPEG colour type the decoder must handle.
Outputs: image.safetensors. uint8 images are stored as F16 holding 0..255 (exact), HWC; float tensors
as F32, CHW. Tensor names: "<group>/<input>/<filter>/<W>x<H>". Never hand-edit the outputs.
"""
import argparse
import json
import os
import struct

import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "image"))

# (output name, source file, integer reduce factor, crop box in the reduced image, save options)
PHOTOS = [
    ("photo_ladybird", "LadyBird.jpg", 8, (176, 52, 304, 148), dict(quality=90, subsampling=2)),
    ("photo_storm", "Storm.jpg", 6, (96, 100, 224, 196), dict(quality=90, subsampling=1)),
    ("photo_flower", "FreshFlower.jpg", 5, (80, 80, 208, 176), dict(quality=88, subsampling=2, progressive=True)),
]
FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
TV_FILTERS = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}


class Golden:
    def __init__(self):
        self.tensors = {}

    def u8(self, name, arr):
        arr = np.asarray(arr)
        assert arr.dtype == np.uint8, (name, arr.dtype)
        self._put(name, arr.astype(np.float16), "F16")

    def f32(self, name, arr):
        self._put(name, np.asarray(arr, dtype=np.float32), "F32")

    def _put(self, name, arr, dtype):
        assert name not in self.tensors, name
        self.tensors[name] = (dtype, arr)

    def write(self, path):
        header, blobs, offset = {}, [], 0
        for name, (dtype, arr) in self.tensors.items():
            data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
            header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
        header["__metadata__"] = {"generator": "src/test/python/make_image_fixtures.py",
                                  "pil": Image.__version__, "torch": torch.__version__,
                                  "torchvision": torchvision.__version__}
        head = json.dumps(header, separators=(",", ":")).encode("utf-8")
        head += b" " * ((8 - len(head) % 8) % 8)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for b in blobs:
                f.write(b)


def cut_photos(photo_dir):
    for name, src, factor, box, opts in PHOTOS:
        im = Image.open(os.path.join(photo_dir, src)).convert("RGB").reduce(factor).crop(box)
        im.save(os.path.join(OUT, name + ".jpg"), "JPEG", **opts)


def make_patterns():
    h, w = 61, 97
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    checker = (((x // 1 + y // 1) % 2) * 255).astype(np.uint8)
    coarse = (((x // 3 + y // 3) % 2) * 255).astype(np.uint8)
    pats = {"pattern_checker": np.stack([checker, coarse, 255 - checker], -1)}
    r2 = (x - w / 2) ** 2 + (y - h / 2) ** 2
    zone = (127.5 + 127.5 * np.cos(r2 * np.pi / 40.0))
    pats["pattern_zone"] = np.stack([zone, zone[::-1], zone[:, ::-1]], -1).round().astype(np.uint8)
    rng = np.random.default_rng(7)
    grad = np.stack([x / (w - 1) * 255, y / (h - 1) * 255, (x + y) / (w + h - 2) * 255], -1)
    grad = np.clip(grad + rng.normal(0, 30, grad.shape), 0, 255).round().astype(np.uint8)
    pats["pattern_noise"] = grad
    for name, arr in pats.items():
        Image.fromarray(arr, "RGB").save(os.path.join(OUT, name + ".png"))
    return list(pats)


def make_decode_inputs():
    """One small file per colour type; returns the file names."""
    rng = np.random.default_rng(11)
    h, w = 30, 40
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 6, y * 8, (x * y) % 256], -1).astype(np.uint8)
    rgb[5:12, 5:30] = rng.integers(0, 256, (7, 25, 3), dtype=np.uint8)
    base = Image.fromarray(rgb, "RGB")
    files = {}
    base.convert("L").save(os.path.join(OUT, "decode_gray.png")); files["decode_gray.png"] = None
    la = base.convert("LA")
    la.putalpha(Image.fromarray((x * 6).astype(np.uint8), "L"))
    la.save(os.path.join(OUT, "decode_gray_alpha.png")); files["decode_gray_alpha.png"] = None
    rgba = base.copy()
    rgba.putalpha(Image.fromarray((y * 8).astype(np.uint8), "L"))
    rgba.save(os.path.join(OUT, "decode_rgba.png")); files["decode_rgba.png"] = None
    pal = base.quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    pal.save(os.path.join(OUT, "decode_palette.png")); files["decode_palette.png"] = None
    pal256 = base.quantize(colors=200, method=Image.Quantize.MEDIANCUT)  # stored with 8 bits per index
    pal256.save(os.path.join(OUT, "decode_palette_8bit.png")); files["decode_palette_8bit.png"] = None
    pal_t = pal.copy()
    pal_t.info["transparency"] = 3
    pal_t.save(os.path.join(OUT, "decode_palette_trns.png"), transparency=3); files["decode_palette_trns.png"] = None
    base.convert("1").save(os.path.join(OUT, "decode_bilevel.png")); files["decode_bilevel.png"] = None
    base.save(os.path.join(OUT, "decode_rgb.jpg"), "JPEG", quality=92, subsampling=0); files["decode_rgb.jpg"] = None
    base.convert("L").save(os.path.join(OUT, "decode_gray.jpg"), "JPEG", quality=92); files["decode_gray.jpg"] = None
    # not decoded by us (javax.imageio has no CMYK JPEG support): the test expects a clear error
    base.convert("CMYK").save(os.path.join(OUT, "unsupported_cmyk.jpg"), "JPEG", quality=90)
    return list(files)


def tv_tensor_resize(u8_hwc, w, h, filt, as_float):
    t = torch.from_numpy(np.array(u8_hwc, copy=True)).permute(2, 0, 1).contiguous()
    if as_float:
        t = t.float() / 255.0
    out = TF.resize(t, [h, w], interpolation=TV_FILTERS[filt], antialias=True)
    return out.numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", help="directory holding LadyBird.jpg, Storm.jpg, FreshFlower.jpg (mate-backgrounds)")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.photos:
        cut_photos(args.photos)
    g = Golden()

    photos = []
    for name, *_ in PHOTOS:
        im = Image.open(os.path.join(OUT, name + ".jpg")).convert("RGB")
        im.save(os.path.join(OUT, name + ".png"))  # decode golden and resize input in one file
        photos.append(name)
    patterns = make_patterns()
    for f in make_decode_inputs():
        g.u8("decode/" + f, np.asarray(Image.open(os.path.join(OUT, f)).convert("RGB")))

    def load(name):
        return Image.open(os.path.join(OUT, name + ".png")).convert("RGB")

    def cases(src, sizes, tv_float_sizes=()):
        im = load(src) if isinstance(src, str) else src[1]
        key = src if isinstance(src, str) else src[0]
        arr = np.asarray(im)
        for filt in FILTERS:
            for (w, h) in sizes:
                g.u8(f"pil/{key}/{filt}/{w}x{h}", np.asarray(im.resize((w, h), FILTERS[filt])))
                g.u8(f"tv_u8/{key}/{filt}/{w}x{h}", tv_tensor_resize(arr, w, h, filt, False).transpose(1, 2, 0))
                if (w, h) in tv_float_sizes:
                    g.f32(f"tv_f32/{key}/{filt}/{w}x{h}", tv_tensor_resize(arr, w, h, filt, True))

    for i, p in enumerate(photos):  # 128x96 crops: fractional and strong downscaling
        cases(p, [(53, 37), (25, 19)], tv_float_sizes=[(53, 37)] if i == 0 else [])
    # a 64x48 window of the first photo: upscaling, mixed (up in x, down in y), one axis only
    sub = load(photos[0]).crop((32, 24, 96, 72))
    sub.save(os.path.join(OUT, "photo_ladybird_window.png"))
    cases(("photo_ladybird_window", sub), [(80, 60), (90, 30), (64, 20)], tv_float_sizes=[(80, 60), (90, 30)])
    for p in patterns:  # 97x61: odd sizes, hard edges where antialiasing matters most
        cases(p, [(40, 25), (31, 53)])

    # the frame pipeline: Resize(shorter side 80) + CenterCrop(56) + ToTensor + Normalize(ImageNet), on PIL images
    for filt in FILTERS:
        tf = T.Compose([T.Resize(80, interpolation=TV_FILTERS[filt]), T.CenterCrop(56), T.ToTensor(),
                        T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
        g.f32(f"pipeline/{photos[1]}/{filt}/56x56", tf(load(photos[1])).numpy())
    # odd crop offsets: torchvision rounds (H - h) / 2 half to even
    g.u8(f"crop/{photos[2]}/none/41x50", np.asarray(T.CenterCrop((50, 41))(load(photos[2]))))
    # larger than the image in both axes: torchvision pads with zeros first
    g.u8(f"crop/{photos[2]}/none/131x101", np.asarray(T.CenterCrop((101, 131))(load(photos[2]))))

    g.write(os.path.join(OUT, "image.safetensors"))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(g.tensors)} tensors; golden/image holds {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
