#!/usr/bin/python3
"""Golden LLP/AVVP scores for org.mettle.train.metrics.AvvpMetrics, from an independent numpy implementation
of the public LLP evaluation semantics (threshold 0.5, segment mask by video-level prediction, per-class F1
averaged over active classes with 1.0 for none, event IoU >= 0.5, mean over videos).

Run:  /usr/bin/python3 src/test/python/make_avvp_metrics_fixtures.py
Writes src/test/resources/golden/avvp_metrics/avvp_metrics.safetensors. Regenerate, never hand-edit.
"""
import json
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "avvp_metrics")
VIDEOS, SEGMENTS, CLASSES = 40, 10, 25
rng = np.random.default_rng(20201)


def random_truth():
    truth = np.zeros((CLASSES, SEGMENTS), dtype=np.int64)
    for c in rng.choice(CLASSES, size=rng.integers(0, 4), replace=False):
        for _ in range(rng.integers(1, 3)):
            onset = rng.integers(0, SEGMENTS)
            truth[c, onset:rng.integers(onset + 1, SEGMENTS + 1)] = 1
    return truth


def noisy_probs(truth):
    # [segment][class]: truth pushed up, plus noise so predictions miss, overshoot and split events.
    p = 0.35 * truth.T + rng.uniform(0.0, 0.65, size=(SEGMENTS, CLASSES)) * (rng.uniform(size=(1, CLASSES)) < 0.06)
    return np.clip(p + 0.5 * truth.T * rng.uniform(size=(SEGMENTS, CLASSES)), 0, 1)


def runs(row):
    padded = np.concatenate([[0], row, [0]])
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2], edges[1::2]))


def matched(event, others):
    for other in others:
        inter = max(0, min(event[1], other[1]) - max(event[0], other[0]))
        union = (event[1] - event[0]) + (other[1] - other[0]) - inter
        if inter >= 0.5 * union:
            return True
    return False


def segment_counts(pred, truth):
    return np.stack([(pred * truth).sum(1), (pred * (1 - truth)).sum(1), ((1 - pred) * truth).sum(1)], axis=1)


def event_counts(pred, truth):
    counts = np.zeros((CLASSES, 3), dtype=np.int64)
    for c in range(CLASSES):
        p, t = runs(pred[c]), runs(truth[c])
        tp = sum(matched(e, t) for e in p)
        counts[c] = [tp, len(p) - tp, sum(not matched(e, p) for e in t)]
    return counts


def mean_f1(counts):
    active = counts.sum(1) > 0
    if not active.any():
        return 1.0
    tp, errors = counts[active, 0], counts[active, 1] + counts[active, 2]
    return float(np.mean(2.0 * tp / (2.0 * tp + errors)))


def level(counter, pa, pv, ta, tv):
    a, v, av = counter(pa, ta), counter(pv, tv), counter(pa * pv, ta * tv)
    return [mean_f1(a), mean_f1(v), mean_f1(av), mean_f1(a + v)]


tensors = {k: [] for k in ["seg_audio", "seg_visual", "video_audio", "video_visual", "truth_audio", "truth_visual"]}
seg_scores, event_scores = [], []
for _ in range(VIDEOS):
    ta, tv = random_truth(), random_truth()
    if rng.uniform() < 0.5:  # make audio and visual share events often, so audio-visual truth is non-trivial
        tv = np.maximum(tv, ta * (rng.uniform(size=(CLASSES, 1)) < 0.7))
    sa, sv = noisy_probs(ta), noisy_probs(tv)
    va = np.clip(sa.max(0) + rng.uniform(-0.3, 0.1, size=CLASSES), 0, 1)
    vv = np.clip(sv.max(0) + rng.uniform(-0.3, 0.1, size=CLASSES), 0, 1)
    sa, sv, va, vv = (x.astype(np.float32) for x in (sa, sv, va, vv))
    pa = ((sa >= 0.5) & (va[None, :] >= 0.5)).T.astype(np.int64)
    pv = ((sv >= 0.5) & (vv[None, :] >= 0.5)).T.astype(np.int64)
    seg_scores.append(level(segment_counts, pa, pv, ta, tv))
    event_scores.append(level(event_counts, pa, pv, ta, tv))
    for name, value in zip(tensors, (sa, sv, va, vv, ta, tv)):
        tensors[name].append(value)

arrays = {k: np.stack(v).astype("<f4") for k, v in tensors.items()}
# Expected dataset means, in order: audio, visual, audio-visual, Event@AV (Type@AV is derived in Java).
arrays["expected_segment"] = np.mean(seg_scores, axis=0).astype("<f4")
arrays["expected_event"] = np.mean(event_scores, axis=0).astype("<f4")

header, offset, blobs = {}, 0, []
for name, a in arrays.items():
    data = a.tobytes()
    header[name] = {"dtype": "F32", "shape": list(a.shape),
                    "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
header_bytes = json.dumps(header).encode()
header_bytes += b" " * (-len(header_bytes) % 8)
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "avvp_metrics.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(blobs))
print("segment", arrays["expected_segment"], "event", arrays["expected_event"])
