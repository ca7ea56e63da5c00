#!/usr/bin/python3
"""Golden fixtures for the audio front end (org.mettle.data.audio): WAV decoding, resampling, Kaldi fbank, HTS-AT log-mel.

Run from the repository root with Debian's torch/torchaudio (python3-torchaudio 0.13, sox_io backend):
    /usr/bin/python3 src/test/python/make_audio_fixtures.py
Needs ffmpeg and the Debian packages alsa-utils and sound-theme-freedesktop (real recordings), and CPython's
test/audiodata (the pyenv installs have it). Writes src/test/resources/golden/audio/:
  wav/*.wav             inputs: format samples, excerpts of real recordings, synthetic signals (see SOURCES.md)
  decode.safetensors    torchaudio.load of each wav: "<stem>.mean" (channels averaged), "<stem>.ch<k>" per channel
  resample.safetensors  torchaudio.functional.resample (defaults) outputs "<case>.out" (and "<case>.out64" in float64)
  kaldi.safetensors     torchaudio.compliance.kaldi.fbank outputs "<case>.out"
  htsat.safetensors     HTS-AT log-mel reference (below) outputs "<case>.out"
Each case's parameters are in __metadata__ under its name as space-separated key=value pairs. Never hand-edit.

HTS-AT reference (torchlibrosa and librosa are not installed, so it is written here with torch + numpy):
  torchlibrosa Spectrogram(n_fft=1024, hop_length=320, win_length=1024, window='hann', center=True,
  pad_mode='reflect', power=2.0) == |torch.stft(x, 1024, 320, 1024, hann_window(1024, periodic=True),
  center=True, pad_mode='reflect')|^2 (scipy's 'hann' with fftbins=True is the periodic Hann window);
  LogmelFilterBank(sr=32000, n_fft=1024, n_mels=64, fmin=50, fmax=14000, ref=1.0, amin=1e-10, top_db=None):
  librosa.filters.mel(htk=False, norm='slaney') re-implemented in slaney_mel() (librosa 0.9/0.10 code path,
  float64 math, float32 storage as librosa does), then 10*log10(clamp(x, min=amin)) - 10*log10(max(amin, ref)).
  Computed in float32 like the real pipeline; the float64 version is compared and the difference printed.
"""
import glob
import json
import math
import os
import shutil
import struct
import subprocess
import tempfile
import wave

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi
import torchaudio.functional as AF

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "audio"))
WAV_DIR = os.path.join(ROOT, "wav")


# ---------------------------------------------------------------- writing helpers

def write_safetensors(path, tensors, meta):
    header = {"__metadata__": meta}
    blobs, offset = [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def riff(fmt_body, data, extra_chunks=b""):
    """A WAV file from a fmt chunk body and raw data bytes (odd sizes padded)."""
    def chunk(cid, body):
        return cid + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")
    body = b"WAVE" + chunk(b"fmt ", fmt_body) + extra_chunks + chunk(b"data", data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


GUID_TAIL = bytes([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])


def fmt_plain(code, channels, rate, bits, container_bytes=None):
    cb = container_bytes or (bits + 7) // 8
    return struct.pack("<HHIIHH", code, channels, rate, rate * channels * cb, channels * cb, bits)


def fmt_extensible(sub_code, channels, rate, container_bits, valid_bits):
    cb = container_bits // 8
    return struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * channels * cb, channels * cb, container_bits, 22,
                       valid_bits, 0) + struct.pack("<H", sub_code) + GUID_TAIL


def write_s16(path, x, rate):
    """float samples [channels, n] or [n] in [-1, 1) -> 16-bit PCM via the stdlib wave module."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    q = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(q.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(q.T.tobytes())


def params(**kw):
    def fmt(v):
        if isinstance(v, bool):
            return "True" if v else "False"
        return str(v)
    return " ".join(f"{k}={fmt(v)}" for k, v in kw.items())


# ---------------------------------------------------------------- inputs

def make_format_samples(rng):
    """Small files in every supported encoding, odd layouts included, plus ffmpeg-written ones."""
    n = 97  # odd on purpose
    t = np.arange(n)
    base = [0.8 * np.sin(2 * np.pi * 0.031 * t + c) * np.exp(-t / 80.0) + 0.05 * rng.standard_normal(n) for c in range(4)]
    base = np.clip(np.array(base), -0.999, 0.999)
    base[0, :6] = [-1.0, 1.0, -0.5, 0.5, 0.0, 2.0 ** -20]  # extremes and tiny values
    files = {}
    u8 = np.clip(np.round(base[:2] * 128 + 128), 0, 255).astype(np.uint8)
    files["fmt_u8_stereo"] = riff(fmt_plain(1, 2, 8000, 8), u8.T.tobytes())  # odd data size -> pad byte
    s16 = np.clip(np.round(base[:1] * 32768), -32768, 32767).astype("<i2")
    files["fmt_s16_mono"] = riff(fmt_plain(1, 1, 16000, 16), s16.T.tobytes(),
                                 extra_chunks=b"LIST" + struct.pack("<I", 5) + b"INFOx\x00")  # odd unknown chunk
    s24 = np.clip(np.round(base[:3] * 2 ** 23), -2 ** 23, 2 ** 23 - 1).astype("<i4")
    s24b = b"".join(struct.pack("<i", int(v))[:3] for v in s24.T.reshape(-1))
    files["fmt_s24_3ch"] = riff(fmt_plain(1, 3, 22050, 24), s24b)
    s32 = np.clip(np.round(base[:2] * 2 ** 31), -2 ** 31, 2 ** 31 - 1).astype(np.int64)
    s32[0, 6:12] = [2 ** 31 - 1, 2 ** 31 - 64, 2 ** 31 - 65, 63, 64, -65]  # sox's rounding and clipping edges
    files["fmt_s32_stereo"] = riff(fmt_plain(1, 2, 44100, 32), s32.astype("<i4").T.tobytes())
    f32 = base[:1].astype("<f4").copy()
    f32[0, 6:10] = [1.5, -3.0, 1e-9, 0.1234567]  # sox clips floats to [-1, 1] and rounds to 2^-24
    files["fmt_f32_mono"] = riff(fmt_plain(3, 1, 32000, 32), f32.T.tobytes(),
                                 extra_chunks=b"fact" + struct.pack("<II", 4, n))
    f64 = base[:2].astype("<f8")
    files["fmt_f64_stereo"] = riff(fmt_plain(3, 2, 48000, 64), f64.T.tobytes())
    files["fmt_ext_s16_4ch"] = riff(fmt_extensible(1, 4, 8000, 16, 16),
                                    np.clip(np.round(base * 32768), -32768, 32767).astype("<i2").T.tobytes())
    files["fmt_ext_f32_stereo"] = riff(fmt_extensible(3, 2, 16000, 32, 32), base[:2].astype("<f4").T.tobytes())
    v20 = (np.clip(np.round(base[:1] * 2 ** 19), -2 ** 19, 2 ** 19 - 1).astype(np.int64) << 4)  # 20 valid bits, left-justified
    files["fmt_ext_s24_valid20"] = riff(fmt_extensible(1, 1, 96000, 24, 20),
                                        b"".join(struct.pack("<i", int(v))[:3] for v in v20.reshape(-1)))
    for stem, data in files.items():
        with open(os.path.join(WAV_DIR, stem + ".wav"), "wb") as f:
            f.write(data)
    # ffmpeg-written headers (LIST/INFO chunk, extensible for 24-bit), from a synthetic float source
    src = os.path.join(tempfile.mkdtemp(), "src.wav")
    write_s16(src, base[:2] * 0.9, 16000)
    for stem, codec in [("ffmpeg_u8", "pcm_u8"), ("ffmpeg_s24", "pcm_s24le"), ("ffmpeg_s32", "pcm_s32le"),
                        ("ffmpeg_f32", "pcm_f32le"), ("ffmpeg_f64", "pcm_f64le")]:
        ffmpeg(["-i", src, "-c:a", codec, os.path.join(WAV_DIR, stem + ".wav")])
    # encodings the reader must refuse with the format named (checked in WavReaderTest, not decoded here)
    for stem, codec in [("unsupported_alaw", "pcm_alaw"), ("unsupported_mulaw", "pcm_mulaw"),
                        ("unsupported_ima_adpcm", "adpcm_ima_wav"), ("unsupported_ms_adpcm", "adpcm_ms")]:
        ffmpeg(["-i", src, "-ac", "1", "-ar", "8000", "-c:a", codec, os.path.join(WAV_DIR, stem + ".wav")])


def ffmpeg(args):
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + args + ["-fflags", "+bitexact"],
                   check=True)


def make_real_excerpts():
    """Short excerpts of real recordings found on a Debian system (see SOURCES.md for origin and licence)."""
    pluck = sorted(glob.glob("/root/.pyenv/versions/3.*/lib/python3.*/test/audiodata/pluck-pcm24-ext.wav"))
    assert pluck, "CPython's test/audiodata/pluck-*.wav (3.12 or later) not found"
    for kind in ["pcm8", "pcm16", "pcm24-ext"]:
        shutil.copyfile(pluck[-1].replace("pcm24-ext", kind), os.path.join(WAV_DIR, f"real_pluck_{kind.replace('-', '_')}.wav"))
    voice = "/usr/share/sounds/alsa/Front_Center.wav"  # alsa-utils
    x, sr = torchaudio.load(voice)
    assert sr == 48000
    excerpt = x[:, int(0.1 * sr):int(0.35 * sr)]  # the word "front", 0.25 s
    write_s16(os.path.join(WAV_DIR, "real_voice_48k.wav"), excerpt.numpy(), 48000)
    for rate, seconds in [(16000, 0.4), (8000, 0.4)]:
        # the end of the pause (digital silence) and the start of "centre"
        y = AF.resample(x, 48000, rate)[:, int(0.72 * rate):int((0.72 + seconds) * rate)]
        write_s16(os.path.join(WAV_DIR, f"real_voice_{rate // 1000}k.wav"), y.numpy(), rate)
    chime = "/usr/share/sounds/freedesktop/stereo/complete.oga"  # sound-theme-freedesktop, CC-BY-3.0
    ffmpeg(["-i", chime, "-ss", "0.05", "-t", "0.2", "-ac", "1", "-c:a", "pcm_s16le",
            os.path.join(WAV_DIR, "real_chime_44k.wav")])
    bell = "/usr/share/sounds/freedesktop/stereo/bell.oga"  # sound-theme-freedesktop, CC-BY-3.0
    ffmpeg(["-i", bell, "-ac", "1", "-ar", "32000", "-c:a", "pcm_s16le", os.path.join(WAV_DIR, "real_bell_32k.wav")])


def make_synthetic(rng):
    def chirp(rate, seconds, f0, f1):
        t = np.arange(int(rate * seconds)) / rate
        k = (f1 - f0) / seconds
        return 0.5 * np.sin(2 * np.pi * (f0 * t + 0.5 * k * t * t))
    write_s16(os.path.join(WAV_DIR, "synth_chirp_16k.wav"), chirp(16000, 0.4, 50, 7800), 16000)
    write_s16(os.path.join(WAV_DIR, "synth_chirp_32k.wav"), chirp(32000, 0.25, 30, 15000), 32000)
    write_s16(os.path.join(WAV_DIR, "synth_chirp_48k.wav"), chirp(48000, 0.12, 100, 23000), 48000)
    t = np.arange(4000) / 8000
    tones = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1234.5 * t) + 0.05 * rng.standard_normal(t.size)
    tones[1500:1800] = 0.0  # digital silence inside
    write_s16(os.path.join(WAV_DIR, "synth_tones_noise_8k.wav"), tones, 8000)
    t = np.arange(int(44100 * 0.2)) / 44100
    harm = sum(0.25 / h * np.sin(2 * np.pi * 220 * h * t + h) for h in range(1, 12)) + 0.01 * rng.standard_normal(t.size)
    write_s16(os.path.join(WAV_DIR, "synth_tones_44k.wav"), harm, 44100)


# ---------------------------------------------------------------- references

def load_mono(stem, offset=0, length=None):
    """torchaudio.load, channels averaged, then the slice [offset, offset + length) (the Java tests do the same)."""
    x, sr = torchaudio.load(os.path.join(WAV_DIR, stem + ".wav"))
    x = x.mean(0)
    end = x.numel() if length is None else offset + length
    assert end <= x.numel(), (stem, offset, length, x.numel())
    return x[offset:end].contiguous(), sr


def decode_fixtures():
    tensors, meta = {}, {}
    for path in sorted(glob.glob(os.path.join(WAV_DIR, "*.wav"))):
        stem = os.path.splitext(os.path.basename(path))[0]
        if not stem.startswith(("fmt_", "ffmpeg_", "real_pluck_")):
            continue  # the 16-bit excerpts are decoded on the way to every other fixture
        x, sr = torchaudio.load(path)
        info = torchaudio.info(path)
        tensors[stem + ".mean"] = x.mean(0)
        for c in range(0 if stem.startswith("real_") else x.shape[0]):  # channels: the small format samples
            tensors[f"{stem}.ch{c}"] = x[c]
        meta[stem] = params(sample_rate=sr, channels=x.shape[0], bits=info.bits_per_sample, frames=x.shape[1])
    write_safetensors(os.path.join(ROOT, "decode.safetensors"), tensors, meta)


# (case, input, first sample, samples, new rate): short slices keep the fixtures small
RESAMPLE_CASES = [
    ("tones_44k_to_16k", "synth_tones_44k", 0, 2205, 16000),
    ("chime_44k_to_16k", "real_chime_44k", 2205, 2205, 16000),
    ("chime_44k_to_32k", "real_chime_44k", 0, 2205, 32000),
    ("voice_48k_to_32k", "real_voice_48k", 4800, 2400, 32000),
    ("chirp_48k_to_32k", "synth_chirp_48k", 0, 2400, 32000),
    ("chirp_16k_to_32k", "synth_chirp_16k", 3200, 800, 32000),
    ("voice_16k_to_32k", "real_voice_16k", 1600, 800, 32000),
    ("pluck_11025_to_16k", "real_pluck_pcm16", 0, 1103, 16000),
    ("chirp_32k_to_8k", "synth_chirp_32k", 3200, 3200, 8000),
]


def resample_fixtures():
    tensors, meta = {}, {}
    for name, stem, offset, length, new in RESAMPLE_CASES:
        x, sr = load_mono(stem, offset, length)
        y = AF.resample(x, sr, new)
        y64 = AF.resample(x.double(), sr, new)
        tensors[name + ".out"] = y
        tensors[name + ".out64"] = y64.float()  # torchaudio on the float64 waveform: no float32 phase/accumulation error
        meta[name] = params(input=stem, offset=offset, length=length, orig_freq=sr, new_freq=new)
        print(f"resample {name}: {y.numel()} samples, torch float32 vs float64 max diff {(y.double() - y64).abs().max():.2e}")
    write_safetensors(os.path.join(ROOT, "resample.safetensors"), tensors, meta)


AST = dict(htk_compat=True, use_energy=False, window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10.0)

# (case, input, first sample, samples or None for all, fbank keyword arguments besides sample_frequency)
KALDI_CASES = [
    ("ast_voice_16k", "real_voice_16k", 0, None, AST),
    ("ast_chirp_16k", "synth_chirp_16k", 0, 3200, AST),
    ("ast_chime_44k", "real_chime_44k", 0, None, AST),
    ("kaldi_defaults_energy_chirp_16k", "synth_chirp_16k", 1600, 4800, dict(use_energy=True)),
    ("hamming_64_noise_8k", "synth_tones_noise_8k", 1200, 1600,
     dict(num_mel_bins=64, window_type="hamming", frame_length=20.0, frame_shift=5.0, snip_edges=False,
          use_energy=True, htk_compat=True, energy_floor=0.0, raw_energy=False)),
    ("blackman_nopow2_tones_44k", "synth_tones_44k", 0, None,
     dict(num_mel_bins=128, window_type="blackman", blackman_coeff=0.4, round_to_power_of_two=False, low_freq=100.0,
          high_freq=-500.0)),
    ("rect_magnitude_pluck_11025", "real_pluck_pcm16", 0, None,
     dict(num_mel_bins=23, window_type="rectangular", preemphasis_coefficient=0.0, remove_dc_offset=False,
          use_power=False, low_freq=50.0, high_freq=4000.0, frame_length=30.0, frame_shift=15.0)),
    ("linear_submean_voice_8k", "real_voice_8k", 0, 2400,
     dict(num_mel_bins=23, use_log_fbank=False, subtract_mean=True)),
    ("hanning_64_nosnip_bell_32k", "real_bell_32k", 0, None,
     dict(num_mel_bins=64, window_type="hanning", frame_length=32.0, frame_shift=10.0, snip_edges=False, htk_compat=True)),
    ("nopow2_128_chirp_32k", "synth_chirp_32k", 0, 6400,
     dict(num_mel_bins=128, window_type="hanning", round_to_power_of_two=False, preemphasis_coefficient=0.5,
          use_energy=True, htk_compat=False, energy_floor=2.0)),
    ("povey_64_shift25_voice_16k", "real_voice_16k", 0, None,
     dict(num_mel_bins=64, frame_length=50.0, frame_shift=25.0, low_freq=0.0, high_freq=7000.0)),
    ("nosnip_shift_gt_half_window_voice_8k", "real_voice_8k", 800, 1600,
     dict(num_mel_bins=23, frame_length=10.0, frame_shift=25.0, snip_edges=False)),
]


def kaldi_fixtures():
    """"<case>.out64": fbank of the float64 waveform (the same code; its mel banks are still built in float32).
    "<case>.out32": the usual float32 call, stored for the AST-style cases: float32 rounding moves its near-floor
    bins (log energies near log(eps) = -15.9) by up to ~1e-2 away from the exact value."""
    tensors, meta = {}, {}
    for name, stem, offset, length, kw in KALDI_CASES:
        x, sr = load_mono(stem, offset, length)
        out64 = kaldi.fbank(x[None].double(), sample_frequency=sr, **kw)
        tensors[name + ".out64"] = out64.float()
        out32 = kaldi.fbank(x[None], sample_frequency=sr, **kw)
        if name.startswith("ast_"):
            tensors[name + ".out32"] = out32
        meta[name] = params(input=stem, offset=offset, length=x.numel(), sample_frequency=sr, **kw)
        print(f"kaldi {name}: {tuple(out64.shape)}, torch float32 vs float64 max diff {(out32.double() - out64).abs().max():.2e}")
    write_safetensors(os.path.join(ROOT, "kaldi.safetensors"), tensors, meta)


def hz_to_mel_slaney(f):
    f_sp = 200.0 / 3
    mels = (f - 0.0) / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, (1000.0 - 0.0) / f_sp, np.log(6.4) / 27.0
    if f >= min_log_hz:
        mels = min_log_mel + np.log(f / min_log_hz) / logstep
    return mels


def mel_to_hz_slaney(mels):
    f_sp = 200.0 / 3
    freqs = 0.0 + f_sp * mels
    min_log_hz, min_log_mel, logstep = 1000.0, (1000.0 - 0.0) / f_sp, np.log(6.4) / 27.0
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * np.exp(logstep * (mels[log_t] - min_log_mel))
    return freqs


def slaney_mel(sr, n_fft, n_mels, fmin, fmax):
    """librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax), htk=False, norm='slaney'."""
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    mel_f = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


def htsat_logmel(x, dtype):
    x = x.to(dtype)
    window = torch.hann_window(1024, periodic=True, dtype=dtype)
    spec = torch.stft(x, n_fft=1024, hop_length=320, win_length=1024, window=window, center=True, pad_mode="reflect",
                      return_complex=True)
    power = spec.abs() ** 2  # [513, frames]
    mel_w = torch.from_numpy(slaney_mel(32000, 1024, 64, 50.0, 14000.0)).to(dtype)
    mel = torch.matmul(power.T, mel_w.T)
    amin, ref = 1e-10, 1.0
    return 10.0 * torch.log10(torch.clamp(mel, min=amin)) - 10.0 * math.log10(max(amin, ref))


# (case, input, first sample, samples or None, mode). Resampling in float32 (torchaudio's float32 vs float64 runs differ
# by ~3e-6) moves quiet mel bins by up to ~0.25 dB, so the front end itself is checked on identical 32 kHz samples:
#   native: the WAV is at 32 kHz;  stored: "<case>.input" holds torchaudio's float32 resampling to 32 kHz;
#   end_to_end: Java resamples with its own Resampler (in double); "out32" is torchaudio resample + float32 front end,
#   the pipeline as users run it, "out64" the same in float64 (torchaudio resample on the float64 waveform).
HTSAT_CASES = [
    ("chirp_32k", "synth_chirp_32k", 0, None, "native"),
    ("bell_32k", "real_bell_32k", 0, None, "native"),
    ("chime_44k_torch_resampled", "real_chime_44k", 4410, 4410, "stored"),
    ("voice_48k_torch_resampled", "real_voice_48k", 2400, 4800, "stored"),
    ("chime_44k_end_to_end", "real_chime_44k", 0, None, "end_to_end"),
    ("voice_16k_end_to_end", "real_voice_16k", 1600, 4000, "end_to_end"),
    ("voice_48k_end_to_end", "real_voice_48k", 0, 4800, "end_to_end"),
    ("pluck_11025_end_to_end", "real_pluck_pcm16", 0, None, "end_to_end"),
]


def htsat_fixtures():
    """"<case>.out64": the reference in float64; "<case>.out32": the float32 pipeline HTS-AT runs (its quiet bins
    move by up to ~0.05 dB from float32 rounding alone on identical input)."""
    tensors, meta = {}, {}
    for name, stem, offset, length, mode in HTSAT_CASES:
        x, sr = load_mono(stem, offset, length)
        if mode == "native":
            assert sr == 32000
            out64, out32 = htsat_logmel(x, torch.float64), htsat_logmel(x, torch.float32)
        elif mode == "stored":
            x32 = AF.resample(x, sr, 32000)
            tensors[name + ".input"] = x32
            out64, out32 = htsat_logmel(x32, torch.float64), htsat_logmel(x32, torch.float32)
        else:
            out64 = htsat_logmel(AF.resample(x.double(), sr, 32000), torch.float64)
            out32 = htsat_logmel(AF.resample(x, sr, 32000), torch.float32)
        tensors[name + ".out64"] = out64.float()
        tensors[name + ".out32"] = out32
        meta[name] = params(input=stem, offset=offset, length=length or 0, sample_rate=sr, mode=mode)
        print(f"htsat {name}: {tuple(out64.shape)}, float32 vs float64 max diff {(out32.double() - out64).abs().max():.2e} dB")
    write_safetensors(os.path.join(ROOT, "htsat.safetensors"), tensors, meta)


def main():
    torch.set_num_threads(1)
    if os.path.isdir(WAV_DIR):
        shutil.rmtree(WAV_DIR)
    os.makedirs(WAV_DIR)
    rng = np.random.default_rng(20240604)
    make_format_samples(rng)
    make_real_excerpts()
    make_synthetic(rng)
    decode_fixtures()
    resample_fixtures()
    kaldi_fixtures()
    htsat_fixtures()
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(ROOT, "**", "*"), recursive=True) if os.path.isfile(p))
    print(f"wrote {ROOT}: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
