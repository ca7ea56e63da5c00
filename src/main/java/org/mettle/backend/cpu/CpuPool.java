package org.mettle.backend.cpu;

import static org.mettle.backend.cpu.SpatialArgs.grain;
import static org.mettle.backend.cpu.SpatialArgs.requireNonNegative;
import static org.mettle.backend.cpu.SpatialArgs.requirePositive;
import static org.mettle.backend.cpu.SpatialArgs.requireSpan;

/**
 * 2-D pooling over {@code planes} contiguous [H, W] planes (NCHW with planes = N*C), with PyTorch's semantics
 * for {@code F.avg_pool2d}, {@code F.max_pool2d} and {@code F.adaptive_avg_pool2d} (floor mode, no dilation,
 * no divisor override). Backward methods ACCUMULATE into gradIn and run one task per plane.
 */
public final class CpuPool {
    private CpuPool() {}

    /**
     * Pooled length along one axis, {@code floor((in + 2 pad - k) / stride) + 1}; like PyTorch, padding may be
     * at most half the window.
     */
    public static int outSize(int in, int k, int stride, int pad) {
        return outSize("pool", null, in, k, stride, pad);
    }

    private static int outSize(String op, String axis, int in, int k, int stride, int pad) {
        String where = axis == null ? op : op + " (" + axis + ")";
        requirePositive(where, "window size", k);
        requireNonNegative(where, "padding", pad);
        if (pad > k / 2) {
            throw new IllegalArgumentException(where + ": padding " + pad + " is more than half the window " + k
                    + "; use padding <= " + (k / 2));
        }
        return SpatialArgs.outSize(op, axis, in, k, stride, pad, 1);
    }

    // ---------------------------------------------------------------- average

    /**
     * Mean over each window. With {@code countIncludePad} the divisor counts padding positions (but not
     * positions past the padded border), otherwise only the input pixels in the window. Overwrites out.
     */
    public static void avgPool2dForward(float[] in, int inOff, int planes, int H, int W, int KH, int KW,
                                        int strideH, int strideW, int padH, int padW, boolean countIncludePad,
                                        float[] out, int outOff) {
        String op = "avgPool2dForward";
        int OH = outSize(op, "height", H, KH, strideH, padH);
        int OW = outSize(op, "width", W, KW, strideW, padW);
        requirePositive(op, "planes", planes);
        requireSpan(op, "input [planes, H, W]", in, inOff, planes, H, W);
        requireSpan(op, "out [planes, OH, OW]", out, outOff, planes, OH, OW);
        CpuParallel.parallelFor(planes * OH, grain((long) OW * KH * KW), (from, to) -> {
            for (int r = from; r < to; r++) {
                int plane = r / OH;
                int oh = r % OH;
                int h0 = oh * strideH - padH;
                int h1 = Math.min(h0 + KH, H + padH);
                int rowsCounted = h1 - h0;
                h0 = Math.max(h0, 0);
                h1 = Math.min(h1, H);
                int planeBase = inOff + plane * H * W;
                int dst = outOff + r * OW;
                for (int ow = 0; ow < OW; ow++) {
                    int w0 = ow * strideW - padW;
                    int w1 = Math.min(w0 + KW, W + padW);
                    int colsCounted = w1 - w0;
                    w0 = Math.max(w0, 0);
                    w1 = Math.min(w1, W);
                    if (h0 >= h1 || w0 >= w1) {
                        out[dst + ow] = 0f;
                        continue;
                    }
                    float sum = 0f;
                    for (int h = h0; h < h1; h++) {
                        int src = planeBase + h * W;
                        for (int w = w0; w < w1; w++) {
                            sum += in[src + w];
                        }
                    }
                    int divisor = countIncludePad ? rowsCounted * colsCounted : (h1 - h0) * (w1 - w0);
                    out[dst + ow] = sum / divisor;
                }
            }
        });
    }

    /** Backward of {@link #avgPool2dForward}: each window's gradient spread evenly over its input pixels. */
    public static void avgPool2dBackward(float[] gradOut, int gradOutOff, int planes, int H, int W, int KH, int KW,
                                         int strideH, int strideW, int padH, int padW, boolean countIncludePad,
                                         float[] gradIn, int gradInOff) {
        String op = "avgPool2dBackward";
        int OH = outSize(op, "height", H, KH, strideH, padH);
        int OW = outSize(op, "width", W, KW, strideW, padW);
        requirePositive(op, "planes", planes);
        requireSpan(op, "gradOut [planes, OH, OW]", gradOut, gradOutOff, planes, OH, OW);
        requireSpan(op, "gradIn [planes, H, W]", gradIn, gradInOff, planes, H, W);
        CpuParallel.parallelFor(planes, grain((long) OH * OW * KH * KW), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int planeBase = gradInOff + plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = oh * strideH - padH;
                    int h1 = Math.min(h0 + KH, H + padH);
                    int rowsCounted = h1 - h0;
                    h0 = Math.max(h0, 0);
                    h1 = Math.min(h1, H);
                    int src = gradOutOff + (plane * OH + oh) * OW;
                    for (int ow = 0; ow < OW; ow++) {
                        int w0 = ow * strideW - padW;
                        int w1 = Math.min(w0 + KW, W + padW);
                        int colsCounted = w1 - w0;
                        w0 = Math.max(w0, 0);
                        w1 = Math.min(w1, W);
                        if (h0 >= h1 || w0 >= w1) {
                            continue;
                        }
                        int divisor = countIncludePad ? rowsCounted * colsCounted : (h1 - h0) * (w1 - w0);
                        float g = gradOut[src + ow] / divisor;
                        for (int h = h0; h < h1; h++) {
                            int dst = planeBase + h * W;
                            for (int w = w0; w < w1; w++) {
                                gradIn[dst + w] += g;
                            }
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- max

    /**
     * Maximum over each window (padding never wins). {@code argmax}, when not null, receives the flat index
     * h * W + w of the chosen pixel within its plane, as PyTorch's return_indices; ties keep the first pixel in
     * row-major order and a NaN in the window wins (the last NaN), as in PyTorch.
     */
    public static void maxPool2dForward(float[] in, int inOff, int planes, int H, int W, int KH, int KW,
                                        int strideH, int strideW, int padH, int padW,
                                        float[] out, int outOff, int[] argmax, int argmaxOff) {
        String op = "maxPool2dForward";
        int OH = outSize(op, "height", H, KH, strideH, padH);
        int OW = outSize(op, "width", W, KW, strideW, padW);
        requirePositive(op, "planes", planes);
        requireSpan(op, "input [planes, H, W]", in, inOff, planes, H, W);
        requireSpan(op, "out [planes, OH, OW]", out, outOff, planes, OH, OW);
        if (argmax != null) {
            requireSpan(op, "argmax [planes, OH, OW]", argmax, argmaxOff, planes, OH, OW);
        }
        CpuParallel.parallelFor(planes * OH, grain((long) OW * KH * KW), (from, to) -> {
            for (int r = from; r < to; r++) {
                int plane = r / OH;
                int oh = r % OH;
                int h0 = Math.max(oh * strideH - padH, 0);
                int h1 = Math.min(oh * strideH - padH + KH, H);
                int planeBase = inOff + plane * H * W;
                for (int ow = 0; ow < OW; ow++) {
                    int w0 = Math.max(ow * strideW - padW, 0);
                    int w1 = Math.min(ow * strideW - padW + KW, W);
                    int best = h0 * W + w0;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int h = h0; h < h1; h++) {
                        for (int w = w0; w < w1; w++) {
                            float v = in[planeBase + h * W + w];
                            if (v > max || Float.isNaN(v)) {
                                max = v;
                                best = h * W + w;
                            }
                        }
                    }
                    out[outOff + r * OW + ow] = max;
                    if (argmax != null) {
                        argmax[argmaxOff + r * OW + ow] = best;
                    }
                }
            }
        });
    }

    /** Backward of {@link #maxPool2dForward}: each output gradient goes to its argmax pixel. */
    public static void maxPool2dBackward(float[] gradOut, int gradOutOff, int[] argmax, int argmaxOff,
                                         int planes, int OH, int OW, float[] gradIn, int gradInOff, int H, int W) {
        String op = "maxPool2dBackward";
        requirePositive(op, "planes", planes);
        requirePositive(op, "output height OH", OH);
        requirePositive(op, "output width OW", OW);
        requirePositive(op, "input height H", H);
        requirePositive(op, "input width W", W);
        requireSpan(op, "gradOut [planes, OH, OW]", gradOut, gradOutOff, planes, OH, OW);
        requireSpan(op, "argmax [planes, OH, OW]", argmax, argmaxOff, planes, OH, OW);
        requireSpan(op, "gradIn [planes, H, W]", gradIn, gradInOff, planes, H, W);
        int planeSize = H * W;
        CpuParallel.parallelFor(planes, grain((long) OH * OW), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int src = plane * OH * OW;
                int dst = gradInOff + plane * planeSize;
                for (int i = 0; i < OH * OW; i++) {
                    int at = argmax[argmaxOff + src + i];
                    if (at < 0 || at >= planeSize) {
                        throw new IllegalArgumentException(op + ": argmax " + at + " at plane " + plane + ", output "
                                + i + " is outside the [" + H + ", " + W + "] input plane; pass the indices that "
                                + "maxPool2dForward produced for this input size");
                    }
                    gradIn[dst + at] += gradOut[gradOutOff + src + i];
                }
            }
        });
    }

    // ---------------------------------------------------------------- adaptive average

    /**
     * Mean over adaptive windows: output (oh, ow) averages rows [floor(oh H / OH), ceil((oh + 1) H / OH)) and
     * the same rule for columns, as PyTorch (windows may overlap, and OH may exceed H).
     */
    public static void adaptiveAvgPool2dForward(float[] in, int inOff, int planes, int H, int W,
                                                float[] out, int outOff, int OH, int OW) {
        String op = "adaptiveAvgPool2dForward";
        checkAdaptive(op, planes, H, W, OH, OW);
        requireSpan(op, "input [planes, H, W]", in, inOff, planes, H, W);
        requireSpan(op, "out [planes, OH, OW]", out, outOff, planes, OH, OW);
        long window = (long) ceilDiv(H, OH) * ceilDiv(W, OW) + 1;
        CpuParallel.parallelFor(planes * OH, grain(OW * window), (from, to) -> {
            for (int r = from; r < to; r++) {
                int plane = r / OH;
                int oh = r % OH;
                int h0 = windowStart(oh, OH, H);
                int h1 = windowEnd(oh, OH, H);
                int planeBase = inOff + plane * H * W;
                for (int ow = 0; ow < OW; ow++) {
                    int w0 = windowStart(ow, OW, W);
                    int w1 = windowEnd(ow, OW, W);
                    float sum = 0f;
                    for (int h = h0; h < h1; h++) {
                        for (int w = w0; w < w1; w++) {
                            sum += in[planeBase + h * W + w];
                        }
                    }
                    out[outOff + r * OW + ow] = sum / ((h1 - h0) * (w1 - w0));
                }
            }
        });
    }

    /** Backward of {@link #adaptiveAvgPool2dForward}. */
    public static void adaptiveAvgPool2dBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                                 float[] gradIn, int gradInOff, int H, int W) {
        String op = "adaptiveAvgPool2dBackward";
        checkAdaptive(op, planes, H, W, OH, OW);
        requireSpan(op, "gradOut [planes, OH, OW]", gradOut, gradOutOff, planes, OH, OW);
        requireSpan(op, "gradIn [planes, H, W]", gradIn, gradInOff, planes, H, W);
        long window = (long) ceilDiv(H, OH) * ceilDiv(W, OW) + 1;
        CpuParallel.parallelFor(planes, grain(OH * OW * window), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int planeBase = gradInOff + plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int h0 = windowStart(oh, OH, H);
                    int h1 = windowEnd(oh, OH, H);
                    for (int ow = 0; ow < OW; ow++) {
                        int w0 = windowStart(ow, OW, W);
                        int w1 = windowEnd(ow, OW, W);
                        float g = gradOut[gradOutOff + (plane * OH + oh) * OW + ow] / ((h1 - h0) * (w1 - w0));
                        for (int h = h0; h < h1; h++) {
                            for (int w = w0; w < w1; w++) {
                                gradIn[planeBase + h * W + w] += g;
                            }
                        }
                    }
                }
            }
        });
    }

    /** floor(o * in / out), computed without overflow. */
    static int windowStart(int o, int out, int in) {
        return (int) ((long) o * in / out);
    }

    /** ceil((o + 1) * in / out), computed without overflow. */
    static int windowEnd(int o, int out, int in) {
        return (int) (((long) (o + 1) * in + out - 1) / out);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void checkAdaptive(String op, int planes, int H, int W, int OH, int OW) {
        requirePositive(op, "planes", planes);
        requirePositive(op, "input height H", H);
        requirePositive(op, "input width W", W);
        requirePositive(op, "output height OH", OH);
        requirePositive(op, "output width OW", OW);
    }
}
