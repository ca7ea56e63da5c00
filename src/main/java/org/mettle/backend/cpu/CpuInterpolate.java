package org.mettle.backend.cpu;

import static org.mettle.backend.cpu.SpatialArgs.grain;
import static org.mettle.backend.cpu.SpatialArgs.requirePositive;
import static org.mettle.backend.cpu.SpatialArgs.requireSpan;

/**
 * 2-D resampling of {@code planes} contiguous [H, W] planes (NCHW with planes = N*C) with the semantics of
 * PyTorch's {@code F.interpolate} (modes nearest, bilinear, bicubic; no antialias). Index arithmetic is done
 * in float exactly as PyTorch's CPU kernels do, so the discontinuous nearest mode picks the same pixels.
 *
 * <p>Sizes follow the array they describe: (H, W) for the input, (OH, OW) for the output. Backward methods
 * ACCUMULATE into gradIn. The overloads with {@code scaleH, scaleW} take F.interpolate's {@code scale_factor}
 * (output size = floor(input * scale)): when given (> 0) and align_corners is false the source step is
 * 1 / scale rather than in / out, as in PyTorch; pass 0 to derive the step from the sizes.
 */
public final class CpuInterpolate {
    /** The cubic convolution parameter PyTorch uses for bicubic. */
    public static final float CUBIC_A = -0.75f;

    private CpuInterpolate() {}

    // ---------------------------------------------------------------- bilinear

    public static void bilinearForward(float[] in, int inOff, int planes, int H, int W,
                                       float[] out, int outOff, int OH, int OW, boolean alignCorners) {
        bilinearForward(in, inOff, planes, H, W, out, outOff, OH, OW, alignCorners, 0, 0);
    }

    public static void bilinearForward(float[] in, int inOff, int planes, int H, int W,
                                       float[] out, int outOff, int OH, int OW, boolean alignCorners,
                                       double scaleH, double scaleW) {
        checkForward("bilinearForward", in, inOff, planes, H, W, out, outOff, OH, OW);
        Taps rows = Taps.linear(H, OH, alignCorners, scaleH);
        Taps cols = Taps.linear(W, OW, alignCorners, scaleW);
        resampleForward(in, inOff, H, W, out, outOff, OH, OW, planes, rows, cols);
    }

    public static void bilinearBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                        float[] gradIn, int gradInOff, int H, int W, boolean alignCorners) {
        bilinearBackward(gradOut, gradOutOff, planes, OH, OW, gradIn, gradInOff, H, W, alignCorners, 0, 0);
    }

    public static void bilinearBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                        float[] gradIn, int gradInOff, int H, int W, boolean alignCorners,
                                        double scaleH, double scaleW) {
        checkBackward("bilinearBackward", gradOut, gradOutOff, planes, OH, OW, gradIn, gradInOff, H, W);
        Taps rows = Taps.linear(H, OH, alignCorners, scaleH);
        Taps cols = Taps.linear(W, OW, alignCorners, scaleW);
        resampleBackward(gradOut, gradOutOff, OH, OW, gradIn, gradInOff, H, W, planes, rows, cols);
    }

    // ---------------------------------------------------------------- bicubic

    /** Cubic convolution with A = -0.75 over a 4x4 neighbourhood, indices clamped to the border (PyTorch). */
    public static void bicubicForward(float[] in, int inOff, int planes, int H, int W,
                                      float[] out, int outOff, int OH, int OW, boolean alignCorners) {
        bicubicForward(in, inOff, planes, H, W, out, outOff, OH, OW, alignCorners, 0, 0);
    }

    public static void bicubicForward(float[] in, int inOff, int planes, int H, int W,
                                      float[] out, int outOff, int OH, int OW, boolean alignCorners,
                                      double scaleH, double scaleW) {
        checkForward("bicubicForward", in, inOff, planes, H, W, out, outOff, OH, OW);
        Taps rows = Taps.cubic(H, OH, alignCorners, scaleH);
        Taps cols = Taps.cubic(W, OW, alignCorners, scaleW);
        resampleForward(in, inOff, H, W, out, outOff, OH, OW, planes, rows, cols);
    }

    public static void bicubicBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                       float[] gradIn, int gradInOff, int H, int W, boolean alignCorners) {
        bicubicBackward(gradOut, gradOutOff, planes, OH, OW, gradIn, gradInOff, H, W, alignCorners, 0, 0);
    }

    public static void bicubicBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                       float[] gradIn, int gradInOff, int H, int W, boolean alignCorners,
                                       double scaleH, double scaleW) {
        checkBackward("bicubicBackward", gradOut, gradOutOff, planes, OH, OW, gradIn, gradInOff, H, W);
        Taps rows = Taps.cubic(H, OH, alignCorners, scaleH);
        Taps cols = Taps.cubic(W, OW, alignCorners, scaleW);
        resampleBackward(gradOut, gradOutOff, OH, OW, gradIn, gradInOff, H, W, planes, rows, cols);
    }

    // ---------------------------------------------------------------- nearest

    /** PyTorch's mode="nearest": source = min(floor(dst * in / out), in - 1) (not "nearest-exact"). */
    public static void nearestForward(float[] in, int inOff, int planes, int H, int W,
                                      float[] out, int outOff, int OH, int OW) {
        nearestForward(in, inOff, planes, H, W, out, outOff, OH, OW, 0, 0);
    }

    public static void nearestForward(float[] in, int inOff, int planes, int H, int W,
                                      float[] out, int outOff, int OH, int OW, double scaleH, double scaleW) {
        checkForward("nearestForward", in, inOff, planes, H, W, out, outOff, OH, OW);
        int[] srcRow = nearestIndices(H, OH, scaleH);
        int[] srcCol = nearestIndices(W, OW, scaleW);
        CpuParallel.parallelFor(planes * OH, grain(OW), (from, to) -> {
            for (int r = from; r < to; r++) {
                int plane = r / OH;
                int src = inOff + (plane * H + srcRow[r % OH]) * W;
                int dst = outOff + r * OW;
                for (int ow = 0; ow < OW; ow++) {
                    out[dst + ow] = in[src + srcCol[ow]];
                }
            }
        });
    }

    public static void nearestBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                       float[] gradIn, int gradInOff, int H, int W) {
        nearestBackward(gradOut, gradOutOff, planes, OH, OW, gradIn, gradInOff, H, W, 0, 0);
    }

    public static void nearestBackward(float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                       float[] gradIn, int gradInOff, int H, int W, double scaleH, double scaleW) {
        checkBackward("nearestBackward", gradOut, gradOutOff, planes, OH, OW, gradIn, gradInOff, H, W);
        int[] srcRow = nearestIndices(H, OH, scaleH);
        int[] srcCol = nearestIndices(W, OW, scaleW);
        // One task per plane: output rows of a plane may share a source row.
        CpuParallel.parallelFor(planes, grain((long) OH * OW), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                for (int oh = 0; oh < OH; oh++) {
                    int dst = gradInOff + (plane * H + srcRow[oh]) * W;
                    int src = gradOutOff + (plane * OH + oh) * OW;
                    for (int ow = 0; ow < OW; ow++) {
                        gradIn[dst + srcCol[ow]] += gradOut[src + ow];
                    }
                }
            }
        });
    }

    /** Source index of every output position for mode="nearest" along one axis. */
    static int[] nearestIndices(int in, int out, double scaleFactor) {
        int[] idx = new int[out];
        if (out == in) {
            for (int i = 0; i < out; i++) {
                idx[i] = i;
            }
        } else if (out == 2 * in) {
            for (int i = 0; i < out; i++) {
                idx[i] = i >> 1;
            }
        } else {
            float scale = stepFromScaleOrSizes(in, out, scaleFactor);
            for (int i = 0; i < out; i++) {
                idx[i] = Math.min((int) Math.floor(i * scale), in - 1);
            }
        }
        return idx;
    }

    // ---------------------------------------------------------------- shared machinery

    /**
     * Separable interpolation weights along one axis: output position o reads input indices
     * index[o * taps + j] with weights weight[o * taps + j], j < taps.
     */
    static final class Taps {
        final int taps;
        final int[] index;
        final float[] weight;

        private Taps(int taps, int out) {
            this.taps = taps;
            this.index = new int[out * taps];
            this.weight = new float[out * taps];
        }

        static Taps linear(int in, int out, boolean alignCorners, double scaleFactor) {
            Taps t = new Taps(2, out);
            float step = sourceStep(in, out, alignCorners, scaleFactor);
            for (int o = 0; o < out; o++) {
                int i0;
                int i1;
                float lambda1;
                if (out == in) {
                    i0 = o;
                    i1 = o;
                    lambda1 = 0f;
                } else {
                    float real = sourceIndex(step, o, alignCorners, false);
                    i0 = (int) real;
                    i1 = i0 < in - 1 ? i0 + 1 : i0;
                    lambda1 = Math.min(Math.max(real - i0, 0f), 1f);
                }
                t.index[2 * o] = i0;
                t.index[2 * o + 1] = i1;
                t.weight[2 * o] = 1f - lambda1;
                t.weight[2 * o + 1] = lambda1;
            }
            return t;
        }

        static Taps cubic(int in, int out, boolean alignCorners, double scaleFactor) {
            Taps t = new Taps(4, out);
            float step = sourceStep(in, out, alignCorners, scaleFactor);
            for (int o = 0; o < out; o++) {
                float real = sourceIndex(step, o, alignCorners, true);
                int base = (int) Math.floor(real);
                float frac = real - base;
                t.weight[4 * o] = cubicFar(frac + 1f);
                t.weight[4 * o + 1] = cubicNear(frac);
                t.weight[4 * o + 2] = cubicNear(1f - frac);
                t.weight[4 * o + 3] = cubicFar((1f - frac) + 1f);
                for (int j = 0; j < 4; j++) {
                    t.index[4 * o + j] = Math.max(0, Math.min(base - 1 + j, in - 1));
                }
            }
            return t;
        }
    }

    /** Cubic convolution kernel for |x| <= 1. */
    private static float cubicNear(float x) {
        return ((CUBIC_A + 2f) * x - (CUBIC_A + 3f)) * x * x + 1f;
    }

    /** Cubic convolution kernel for 1 < |x| < 2. */
    private static float cubicFar(float x) {
        return ((CUBIC_A * x - 5f * CUBIC_A) * x + 8f * CUBIC_A) * x - 4f * CUBIC_A;
    }

    /** Distance in input pixels between neighbouring output pixels (PyTorch's area_pixel_compute_scale). */
    static float sourceStep(int in, int out, boolean alignCorners, double scaleFactor) {
        if (alignCorners) {
            return out > 1 ? (float) (in - 1) / (out - 1) : 0f;
        }
        return stepFromScaleOrSizes(in, out, scaleFactor);
    }

    private static float stepFromScaleOrSizes(int in, int out, double scaleFactor) {
        return scaleFactor > 0 ? (float) (1.0 / scaleFactor) : (float) in / out;
    }

    /** Real-valued source coordinate of output index o (PyTorch's area_pixel_compute_source_index). */
    static float sourceIndex(float step, int o, boolean alignCorners, boolean cubic) {
        if (alignCorners) {
            return step * (float) o;
        }
        float real = (float) (step * (o + 0.5) - 0.5); // PyTorch evaluates this in double, then rounds
        return !cubic && real < 0f ? 0f : real;
    }

    /** out[p, oh, ow] = sum_i rowW[oh, i] * (sum_j colW[ow, j] * in[p, rowIdx[oh, i], colIdx[ow, j]]). */
    private static void resampleForward(float[] in, int inOff, int H, int W, float[] out, int outOff, int OH, int OW,
                                        int planes, Taps rows, Taps cols) {
        int rt = rows.taps;
        int ct = cols.taps;
        int[] rowIndex = rows.index;
        float[] rowWeight = rows.weight;
        int[] colIndex = cols.index;
        float[] colWeight = cols.weight;
        CpuParallel.parallelFor(planes * OH, grain((long) OW * rt * ct), (from, to) -> {
            for (int r = from; r < to; r++) {
                int plane = r / OH;
                int oh = r % OH;
                int planeBase = inOff + plane * H * W;
                int dst = outOff + r * OW;
                if (rt == 2 && ct == 2) {
                    int top = planeBase + rowIndex[2 * oh] * W;
                    int bottom = planeBase + rowIndex[2 * oh + 1] * W;
                    float wTop = rowWeight[2 * oh];
                    float wBottom = rowWeight[2 * oh + 1];
                    for (int ow = 0; ow < OW; ow++) {
                        int left = colIndex[2 * ow];
                        int right = colIndex[2 * ow + 1];
                        float wLeft = colWeight[2 * ow];
                        float wRight = colWeight[2 * ow + 1];
                        out[dst + ow] = wTop * (wLeft * in[top + left] + wRight * in[top + right])
                                + wBottom * (wLeft * in[bottom + left] + wRight * in[bottom + right]);
                    }
                    continue;
                }
                for (int ow = 0; ow < OW; ow++) {
                    float acc = 0f;
                    for (int i = 0; i < rt; i++) {
                        int src = planeBase + rowIndex[oh * rt + i] * W;
                        float rowAcc = 0f;
                        for (int j = 0; j < ct; j++) {
                            rowAcc += colWeight[ow * ct + j] * in[src + colIndex[ow * ct + j]];
                        }
                        acc += rowWeight[oh * rt + i] * rowAcc;
                    }
                    out[dst + ow] = acc;
                }
            }
        });
    }

    /** Adjoint of {@link #resampleForward}, accumulating; one task per plane so scatters never race. */
    private static void resampleBackward(float[] gradOut, int gradOutOff, int OH, int OW, float[] gradIn, int gradInOff,
                                         int H, int W, int planes, Taps rows, Taps cols) {
        int rt = rows.taps;
        int ct = cols.taps;
        int[] rowIndex = rows.index;
        float[] rowWeight = rows.weight;
        int[] colIndex = cols.index;
        float[] colWeight = cols.weight;
        CpuParallel.parallelFor(planes, grain((long) OH * OW * rt * ct), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int planeBase = gradInOff + plane * H * W;
                for (int oh = 0; oh < OH; oh++) {
                    int src = gradOutOff + (plane * OH + oh) * OW;
                    for (int i = 0; i < rt; i++) {
                        int dstRow = planeBase + rowIndex[oh * rt + i] * W;
                        float wRow = rowWeight[oh * rt + i];
                        if (ct == 2) {
                            for (int ow = 0; ow < OW; ow++) {
                                float g = wRow * gradOut[src + ow];
                                gradIn[dstRow + colIndex[2 * ow]] += colWeight[2 * ow] * g;
                                gradIn[dstRow + colIndex[2 * ow + 1]] += colWeight[2 * ow + 1] * g;
                            }
                            continue;
                        }
                        for (int ow = 0; ow < OW; ow++) {
                            float g = wRow * gradOut[src + ow];
                            for (int j = 0; j < ct; j++) {
                                gradIn[dstRow + colIndex[ow * ct + j]] += colWeight[ow * ct + j] * g;
                            }
                        }
                    }
                }
            }
        });
    }

    private static void checkForward(String op, float[] in, int inOff, int planes, int H, int W,
                                     float[] out, int outOff, int OH, int OW) {
        checkSizes(op, planes, H, W, OH, OW);
        requireSpan(op, "input [planes, H, W]", in, inOff, planes, H, W);
        requireSpan(op, "out [planes, OH, OW]", out, outOff, planes, OH, OW);
    }

    private static void checkBackward(String op, float[] gradOut, int gradOutOff, int planes, int OH, int OW,
                                      float[] gradIn, int gradInOff, int H, int W) {
        checkSizes(op, planes, H, W, OH, OW);
        requireSpan(op, "gradOut [planes, OH, OW]", gradOut, gradOutOff, planes, OH, OW);
        requireSpan(op, "gradIn [planes, H, W]", gradIn, gradInOff, planes, H, W);
    }

    private static void checkSizes(String op, int planes, int H, int W, int OH, int OW) {
        requirePositive(op, "planes", planes);
        requirePositive(op, "input height H", H);
        requirePositive(op, "input width W", W);
        requirePositive(op, "output height OH", OH);
        requirePositive(op, "output width OW", OW);
    }
}
