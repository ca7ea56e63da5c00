package org.mettle.backend.cpu;

import org.mettle.backend.AttentionLayout;

/** Argument checks of {@link CpuAttention}, with messages that name the operand and say what was expected. */
final class AttentionChecks {
    private AttentionChecks() {}

    static void sizes(int B, int H, int Nq, int Nk, int D, float scale) {
        if (B < 1 || H < 1 || Nq < 1 || Nk < 1 || D < 1) {
            throw new IllegalArgumentException("attention sizes must all be >= 1, got B=" + B + " H=" + H + " Nq=" + Nq
                    + " Nk=" + Nk + " D=" + D);
        }
        if ((long) B * H * Nq > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attention: B*H*Nq = " + (long) B * H * Nq + " rows exceed 2^31-1");
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("attention scale must be finite, got " + scale);
        }
    }

    /** A [B, H, N, D] operand: present, and every element its layout addresses lies inside the array. */
    static void operand(String name, float[] data, AttentionLayout layout, int B, int H, int N, int D) {
        if (data == null) {
            throw new IllegalArgumentException("attention " + name + " is null; expected a [B=" + B + ", H=" + H
                    + ", N=" + N + ", D=" + D + "] operand");
        }
        if (layout == null) {
            throw new IllegalArgumentException("attention " + name + ": layout is null (use AttentionLayout.contiguous("
                    + H + ", " + N + ", " + D + ") for a contiguous [B, H, N, D] array)");
        }
        long last = layout.lastIndex(B, H, N, D);
        if (last >= data.length) {
            throw new IllegalArgumentException("attention " + name + ": " + layout + " for [B=" + B + ", H=" + H
                    + ", N=" + N + ", D=" + D + "] reaches index " + last + " but the array has " + data.length
                    + " elements");
        }
        if (N > 1 && layout.sN() < D) {
            throw new IllegalArgumentException("attention " + name + ": token stride sN=" + layout.sN()
                    + " is smaller than the head dim D=" + D + ", so rows overlap");
        }
    }

    /** A contiguous [Bb, Hb, Nq, Nk] bias, mask or bias gradient shared across heads by the b % Bb rule. */
    static void shared(String name, float[] data, int sharedB, int sharedH, int B, int H, int Nq, int Nk) {
        if (sharedB < 1 || B % sharedB != 0) {
            throw new IllegalArgumentException("attention " + name + ": batch count " + sharedB
                    + " must be >= 1 and divide B=" + B + " (head b uses slice b % " + sharedB + ")");
        }
        if (sharedH != 1 && sharedH != H) {
            throw new IllegalArgumentException("attention " + name + ": head count " + sharedH
                    + " must be 1 (shared by all heads) or H=" + H);
        }
        long need = (long) sharedB * sharedH * Nq * Nk;
        if (data.length < need) {
            throw new IllegalArgumentException("attention " + name + ": expected [" + sharedB + ", " + sharedH + ", "
                    + Nq + ", " + Nk + "] = " + need + " floats, got " + data.length);
        }
    }

    /** The per-row log-sum-exp, contiguous [B, H, Nq]. */
    static void rowStats(String name, float[] data, int B, int H, int Nq) {
        long need = (long) B * H * Nq;
        if (data == null || data.length < need) {
            throw new IllegalArgumentException("attention " + name + ": expected a contiguous [B=" + B + ", H=" + H
                    + ", Nq=" + Nq + "] array of " + need + " floats, got "
                    + (data == null ? "null" : data.length + " floats"));
        }
    }
}
