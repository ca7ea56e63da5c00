#!/usr/bin/python3
"""torchaudio side of the audio front-end throughput comparison (Java side: org.mettle.data.audio.AudioBenchmark).

    /usr/bin/python3 bench/torchaudio_fbank.py [--dir DIR] [--seconds 10] [--iters 15] [--threads 1]

Reads the clips AudioBenchmark writes (run it first, same --dir and --seconds) and times the same steps, in
seconds of audio per second (median of timed runs after 1 s of warm-up): torchaudio.load (sox_io),
torchaudio.compliance.kaldi.fbank with the AST call, HTS-AT's log-mel as torchlibrosa computes it (torch.stft +
slaney mel matrix + power_to_db; torchlibrosa is not installed here, so this is the same math with torch.stft
instead of its conv1d DFT), and torchaudio.functional.resample with its defaults.
"""
import argparse
import math
import os
import statistics
import sys
import tempfile
import time

import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi
import torchaudio.functional as AF

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "python"))
from make_audio_fixtures import slaney_mel  # noqa: E402  (librosa's slaney mel filters, re-implemented)


def timed(step, audio_seconds, iters, fn):
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline:
        fn()
    ms = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(ms)
    print(f"torch {step:34s} {med:8.2f} ms median (min {min(ms):.2f})  {audio_seconds / (med / 1000):9.1f} s of audio per s")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "mettle-audio-bench"))
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--iters", type=int, default=15)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, like the Java side)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    clips = {k: os.path.join(a.dir, f"clip_{k}.wav") for k in ["16k", "44k_stereo", "32k"]}
    for path in clips.values():
        if not os.path.isfile(path):
            sys.exit(f"{path} is missing: run org.mettle.data.audio.AudioBenchmark --dir {a.dir} first")
    x16, sr16 = torchaudio.load(clips["16k"])
    x44, sr44 = torchaudio.load(clips["44k_stereo"])
    x32, sr32 = torchaudio.load(clips["32k"])
    assert (sr16, sr44, sr32) == (16000, 44100, 32000) and x16.shape[1] == 16000 * a.seconds, "clips do not match --seconds"
    x44m = x44.mean(0)
    window = torch.hann_window(1024, periodic=True)
    mel_w = torch.from_numpy(slaney_mel(32000, 1024, 64, 50.0, 14000.0))

    def htsat(x):
        spec = torch.stft(x, 1024, 320, 1024, window=window, center=True, pad_mode="reflect", return_complex=True)
        mel = torch.matmul(spec.abs().pow(2).T, mel_w.T)
        return 10.0 * torch.log10(torch.clamp(mel, min=1e-10)) - 10.0 * math.log10(max(1e-10, 1.0))

    def ast(x):
        return kaldi.fbank(x, htk_compat=True, sample_frequency=16000, use_energy=False, window_type="hanning",
                           num_mel_bins=128, dither=0.0, frame_shift=10)

    s, n = a.seconds, a.iters
    print(f"torch {torch.__version__}, torchaudio {torchaudio.__version__}, {torch.get_num_threads()} thread(s)")
    timed("decode wav 16k mono s16", s, n, lambda: torchaudio.load(clips["16k"]))
    timed("decode wav 44.1k stereo s16", s, n, lambda: torchaudio.load(clips["44k_stereo"]))
    timed("kaldi fbank 16k (AST, 128 bins)", s, n, lambda: ast(x16))
    timed("htsat log-mel 32k (64 bins)", s, n, lambda: htsat(x32[0]))
    timed("resample 44.1k -> 16k", s, n, lambda: AF.resample(x44m, 44100, 16000))
    timed("resample 44.1k -> 32k", s, n, lambda: AF.resample(x44m, 44100, 32000))
    timed("wav 44.1k -> htsat (decode+resample)", s, n,
          lambda: htsat(AF.resample(torchaudio.load(clips["44k_stereo"])[0].mean(0), 44100, 32000)))


if __name__ == "__main__":
    main()
