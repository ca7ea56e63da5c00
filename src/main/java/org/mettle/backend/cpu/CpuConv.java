package org.mettle.backend.cpu;

import java.util.Arrays;

import static org.mettle.backend.cpu.SpatialArgs.countAtMost;
import static org.mettle.backend.cpu.SpatialArgs.firstAtLeast;
import static org.mettle.backend.cpu.SpatialArgs.grain;
import static org.mettle.backend.cpu.SpatialArgs.requirePositive;
import static org.mettle.backend.cpu.SpatialArgs.requireSpan;

/**
 * Convolution building blocks on contiguous NCHW float arrays: im2col / col2im (conv = weight x im2col, the
 * GEMM is done elsewhere), a token-major patchify for non-overlapping patch embeddings, and a direct depthwise
 * convolution. Layouts follow PyTorch: im2col rows are (c, kh, kw) in that order, columns (oh, ow), as
 * {@code F.unfold}; weights are [Cout, C, KH, KW].
 */
public final class CpuConv {
    private CpuConv() {}

    /**
     * Output length of a convolution along one axis: {@code floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1}.
     *
     * @throws IllegalArgumentException when a parameter is out of range or the (dilated) kernel does not fit
     */
    public static int outSize(int in, int k, int stride, int pad, int dil) {
        return SpatialArgs.outSize("conv", null, in, k, stride, pad, dil);
    }

    /**
     * One image: input [C, H, W] at {@code inOff} -> cols [C*KH*KW, OH*OW] (row-major) at {@code colsOff}, zeros
     * where the kernel reads padding. Overwrites cols. Stride == kernel without padding or dilation takes a
     * pure-reorder path.
     */
    public static void im2col(float[] in, int inOff, int C, int H, int W, int KH, int KW, int strideH, int strideW,
                              int padH, int padW, int dilH, int dilW, float[] cols, int colsOff) {
        int OH = SpatialArgs.outSize("im2col", "height", H, KH, strideH, padH, dilH);
        int OW = SpatialArgs.outSize("im2col", "width", W, KW, strideW, padW, dilW);
        requirePositive("im2col", "channels C", C);
        requireSpan("im2col", "input [C, H, W]", in, inOff, C, H, W);
        requireSpan("im2col", "cols [C*KH*KW, OH*OW]", cols, colsOff, C, KH, KW, OH, OW);
        int rows = C * KH * KW;
        int L = OH * OW;
        if (isPatchify(KH, KW, strideH, strideW, padH, padW, dilH, dilW)) {
            CpuParallel.parallelFor(rows, grain(L), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int c = r / (KH * KW);
                    int kh = (r / KW) % KH;
                    int kw = r % KW;
                    int dst = colsOff + r * L;
                    for (int oh = 0; oh < OH; oh++) {
                        int src = inOff + (c * H + oh * KH + kh) * W + kw;
                        for (int ow = 0; ow < OW; ow++) {
                            cols[dst++] = in[src + ow * KW];
                        }
                    }
                }
            });
            return;
        }
        CpuParallel.parallelFor(rows, grain(L), (from, to) -> {
            for (int r = from; r < to; r++) {
                int c = r / (KH * KW);
                int kh = (r / KW) % KH;
                int kw = r % KW;
                int colShift = kw * dilW - padW;
                int owStart = Math.min(OW, firstAtLeast(-colShift, strideW));
                int owEnd = Math.max(owStart, Math.min(OW, countAtMost(W - 1 - colShift, strideW)));
                for (int oh = 0; oh < OH; oh++) {
                    int dst = colsOff + r * L + oh * OW;
                    int ih = oh * strideH - padH + kh * dilH;
                    if (ih < 0 || ih >= H) {
                        Arrays.fill(cols, dst, dst + OW, 0f);
                        continue;
                    }
                    Arrays.fill(cols, dst, dst + owStart, 0f);
                    int src = inOff + (c * H + ih) * W + colShift;
                    if (strideW == 1) {
                        System.arraycopy(in, src + owStart, cols, dst + owStart, owEnd - owStart);
                    } else {
                        for (int ow = owStart; ow < owEnd; ow++) {
                            cols[dst + ow] = in[src + ow * strideW];
                        }
                    }
                    Arrays.fill(cols, dst + owEnd, dst + OW, 0f);
                }
            }
        });
    }

    /**
     * Adjoint of {@link #im2col}: ACCUMULATES cols [C*KH*KW, OH*OW] into the image gradient [C, H, W]
     * (overlapping windows add up; padding positions are dropped). Parallel over image rows, so no two
     * threads write the same element.
     */
    public static void col2im(float[] cols, int colsOff, int C, int H, int W, int KH, int KW, int strideH, int strideW,
                              int padH, int padW, int dilH, int dilW, float[] gradIn, int gradInOff) {
        int OH = SpatialArgs.outSize("col2im", "height", H, KH, strideH, padH, dilH);
        int OW = SpatialArgs.outSize("col2im", "width", W, KW, strideW, padW, dilW);
        requirePositive("col2im", "channels C", C);
        requireSpan("col2im", "cols [C*KH*KW, OH*OW]", cols, colsOff, C, KH, KW, OH, OW);
        requireSpan("col2im", "gradIn [C, H, W]", gradIn, gradInOff, C, H, W);
        int L = OH * OW;
        CpuParallel.parallelFor(C * H, grain((long) KH * KW * OW), (from, to) -> {
            for (int row = from; row < to; row++) {
                int c = row / H;
                int ih = row % H;
                int dstRow = gradInOff + row * W;
                for (int kh = 0; kh < KH; kh++) {
                    int t = ih + padH - kh * dilH;
                    if (t < 0 || t % strideH != 0 || t / strideH >= OH) {
                        continue;
                    }
                    int oh = t / strideH;
                    for (int kw = 0; kw < KW; kw++) {
                        int colShift = kw * dilW - padW;
                        int owStart = Math.min(OW, firstAtLeast(-colShift, strideW));
                        int owEnd = Math.min(OW, countAtMost(W - 1 - colShift, strideW));
                        int src = colsOff + ((c * KH + kh) * KW + kw) * L + oh * OW;
                        int dst = dstRow + colShift;
                        if (strideW == 1) { // a unit-stride loop the JIT can vectorize
                            for (int ow = owStart; ow < owEnd; ow++) {
                                gradIn[dst + ow] += cols[src + ow];
                            }
                        } else {
                            for (int ow = owStart; ow < owEnd; ow++) {
                                gradIn[dst + ow * strideW] += cols[src + ow];
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Non-overlapping patches in token-major order: input [C, H, W] -> patches [OH*OW, C*KH*KW] with
     * OH = H / KH, OW = W / KW (remainders dropped, as a stride == kernel conv does). Row t holds patch
     * (t / OW, t % OW) flattened as (c, kh, kw): the transpose of {@code im2col} with stride == kernel, so a
     * patch embedding is patches x weight^T -> [tokens, Cout] without a transpose of the result. Overwrites.
     */
    public static void patchify(float[] in, int inOff, int C, int H, int W, int KH, int KW,
                                float[] patches, int patchesOff) {
        int OH = SpatialArgs.outSize("patchify", "height", H, KH, KH, 0, 1);
        int OW = SpatialArgs.outSize("patchify", "width", W, KW, KW, 0, 1);
        requirePositive("patchify", "channels C", C);
        requireSpan("patchify", "input [C, H, W]", in, inOff, C, H, W);
        requireSpan("patchify", "patches [OH*OW, C*KH*KW]", patches, patchesOff, OH, OW, C, KH, KW);
        int patchLen = C * KH * KW;
        CpuParallel.parallelFor(OH * OW, grain(patchLen), (from, to) -> {
            for (int t = from; t < to; t++) {
                int oh = t / OW;
                int ow = t % OW;
                int dst = patchesOff + t * patchLen;
                for (int c = 0; c < C; c++) {
                    for (int kh = 0; kh < KH; kh++) {
                        System.arraycopy(in, inOff + (c * H + oh * KH + kh) * W + ow * KW, patches, dst, KW);
                        dst += KW;
                    }
                }
            }
        });
    }

    /** Adjoint of {@link #patchify}: ACCUMULATES patches [OH*OW, C*KH*KW] into the image gradient [C, H, W]. */
    public static void unpatchify(float[] patches, int patchesOff, int C, int H, int W, int KH, int KW,
                                  float[] gradIn, int gradInOff) {
        int OH = SpatialArgs.outSize("unpatchify", "height", H, KH, KH, 0, 1);
        int OW = SpatialArgs.outSize("unpatchify", "width", W, KW, KW, 0, 1);
        requirePositive("unpatchify", "channels C", C);
        requireSpan("unpatchify", "patches [OH*OW, C*KH*KW]", patches, patchesOff, OH, OW, C, KH, KW);
        requireSpan("unpatchify", "gradIn [C, H, W]", gradIn, gradInOff, C, H, W);
        int patchLen = C * KH * KW;
        // Patches do not overlap, so tokens write disjoint pixels.
        CpuParallel.parallelFor(OH * OW, grain(patchLen), (from, to) -> {
            for (int t = from; t < to; t++) {
                int oh = t / OW;
                int ow = t % OW;
                int src = patchesOff + t * patchLen;
                for (int c = 0; c < C; c++) {
                    for (int kh = 0; kh < KH; kh++) {
                        int dst = gradInOff + (c * H + oh * KH + kh) * W + ow * KW;
                        for (int kw = 0; kw < KW; kw++) {
                            gradIn[dst + kw] += patches[src++];
                        }
                    }
                }
            }
        });
    }

    /** True when im2col is a pure reorder: stride equals the kernel, no padding, no dilation. */
    public static boolean isPatchify(int KH, int KW, int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
        return strideH == KH && strideW == KW && padH == 0 && padW == 0 && dilH == 1 && dilW == 1;
    }

    /**
     * Depthwise convolution (groups == C, one filter per channel): input [N, C, H, W], weight [C, 1, KH, KW],
     * optional bias [C] (null for none) -> out [N, C, OH, OW]. Overwrites out.
     */
    public static void depthwiseConv2dForward(float[] in, int inOff, int N, int C, int H, int W,
                                              float[] weight, int weightOff, int KH, int KW,
                                              int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                                              float[] bias, int biasOff, float[] out, int outOff) {
        String op = "depthwiseConv2dForward";
        int OH = SpatialArgs.outSize("depthwiseConv2dForward", "height", H, KH, strideH, padH, dilH);
        int OW = SpatialArgs.outSize("depthwiseConv2dForward", "width", W, KW, strideW, padW, dilW);
        requirePositive(op, "batch N", N);
        requirePositive(op, "channels C", C);
        requireSpan(op, "input [N, C, H, W]", in, inOff, N, C, H, W);
        requireSpan(op, "weight [C, 1, KH, KW]", weight, weightOff, C, 1, KH, KW);
        if (bias != null) {
            requireSpan(op, "bias [C]", bias, biasOff, C);
        }
        requireSpan(op, "out [N, C, OH, OW]", out, outOff, N, C, OH, OW);
        int rows = N * C * OH;
        CpuParallel.parallelFor(rows, grain((long) KH * KW * OW), (from, to) -> {
            for (int r = from; r < to; r++) {
                int plane = r / OH;
                int oh = r % OH;
                int c = plane % C;
                int dst = outOff + r * OW;
                float b = bias == null ? 0f : bias[biasOff + c];
                Arrays.fill(out, dst, dst + OW, b);
                for (int kh = 0; kh < KH; kh++) {
                    int ih = oh * strideH - padH + kh * dilH;
                    if (ih < 0 || ih >= H) {
                        continue;
                    }
                    int srcRow = inOff + (plane * H + ih) * W;
                    for (int kw = 0; kw < KW; kw++) {
                        float w = weight[weightOff + (c * KH + kh) * KW + kw];
                        int colShift = kw * dilW - padW;
                        int owStart = Math.min(OW, firstAtLeast(-colShift, strideW));
                        int owEnd = Math.min(OW, countAtMost(W - 1 - colShift, strideW));
                        int src = srcRow + colShift;
                        if (strideW == 1) {
                            for (int ow = owStart; ow < owEnd; ow++) {
                                out[dst + ow] += w * in[src + ow];
                            }
                        } else {
                            for (int ow = owStart; ow < owEnd; ow++) {
                                out[dst + ow] += w * in[src + ow * strideW];
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * Backward of {@link #depthwiseConv2dForward}. Each of gradIn [N, C, H, W], gradWeight [C, 1, KH, KW] and
     * gradBias [C] may be null (not wanted); the others are ACCUMULATED into. {@code in} is needed only for
     * gradWeight and {@code weight} only for gradIn.
     */
    public static void depthwiseConv2dBackward(float[] in, int inOff, float[] gradOut, int gradOutOff,
                                               int N, int C, int H, int W,
                                               float[] weight, int weightOff, int KH, int KW,
                                               int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                                               float[] gradIn, int gradInOff, float[] gradWeight, int gradWeightOff,
                                               float[] gradBias, int gradBiasOff) {
        String op = "depthwiseConv2dBackward";
        int OH = SpatialArgs.outSize("depthwiseConv2dBackward", "height", H, KH, strideH, padH, dilH);
        int OW = SpatialArgs.outSize("depthwiseConv2dBackward", "width", W, KW, strideW, padW, dilW);
        requirePositive(op, "batch N", N);
        requirePositive(op, "channels C", C);
        requireSpan(op, "gradOut [N, C, OH, OW]", gradOut, gradOutOff, N, C, OH, OW);
        if (gradIn != null) {
            requireSpan(op, "weight [C, 1, KH, KW]", weight, weightOff, C, 1, KH, KW);
            requireSpan(op, "gradIn [N, C, H, W]", gradIn, gradInOff, N, C, H, W);
            // Gather form: each task owns one input row, so there are no write races.
            CpuParallel.parallelFor(N * C * H, grain((long) KH * KW * OW), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int plane = r / H;
                    int ih = r % H;
                    int c = plane % C;
                    int dstRow = gradInOff + r * W;
                    for (int kh = 0; kh < KH; kh++) {
                        int t = ih + padH - kh * dilH;
                        if (t < 0 || t % strideH != 0 || t / strideH >= OH) {
                            continue;
                        }
                        int src = gradOutOff + (plane * OH + t / strideH) * OW;
                        for (int kw = 0; kw < KW; kw++) {
                            float w = weight[weightOff + (c * KH + kh) * KW + kw];
                            int colShift = kw * dilW - padW;
                            int owStart = Math.min(OW, firstAtLeast(-colShift, strideW));
                            int owEnd = Math.min(OW, countAtMost(W - 1 - colShift, strideW));
                            int dst = dstRow + colShift;
                            if (strideW == 1) {
                                for (int ow = owStart; ow < owEnd; ow++) {
                                    gradIn[dst + ow] += w * gradOut[src + ow];
                                }
                            } else {
                                for (int ow = owStart; ow < owEnd; ow++) {
                                    gradIn[dst + ow * strideW] += w * gradOut[src + ow];
                                }
                            }
                        }
                    }
                }
            });
        }
        if (gradWeight == null && gradBias == null) {
            return;
        }
        if (gradWeight != null) {
            requireSpan(op, "input [N, C, H, W]", in, inOff, N, C, H, W);
            requireSpan(op, "gradWeight [C, 1, KH, KW]", gradWeight, gradWeightOff, C, 1, KH, KW);
        }
        if (gradBias != null) {
            requireSpan(op, "gradBias [C]", gradBias, gradBiasOff, C);
        }
        // One task per channel: it sums over the batch, so channels never share an accumulator.
        CpuParallel.parallelFor(C, grain((long) N * OH * OW * KH * KW), (from, to) -> {
            for (int c = from; c < to; c++) {
                if (gradBias != null) {
                    double sum = 0;
                    for (int n = 0; n < N; n++) {
                        int src = gradOutOff + (n * C + c) * OH * OW;
                        for (int i = 0; i < OH * OW; i++) {
                            sum += gradOut[src + i];
                        }
                    }
                    gradBias[gradBiasOff + c] += (float) sum;
                }
                if (gradWeight != null) {
                    for (int kh = 0; kh < KH; kh++) {
                        for (int kw = 0; kw < KW; kw++) {
                            gradWeight[gradWeightOff + (c * KH + kh) * KW + kw] += (float) weightGradientTap(
                                    in, inOff, gradOut, gradOutOff, N, C, H, W, OH, OW, c, kh, kw,
                                    strideH, strideW, padH, padW, dilH, dilW);
                        }
                    }
                }
            }
        });
    }

    /** sum over n, oh, ow of gradOut[n, c, oh, ow] * in[n, c, ih, iw] for one kernel tap (kh, kw). */
    private static double weightGradientTap(float[] in, int inOff, float[] gradOut, int gradOutOff,
                                            int N, int C, int H, int W, int OH, int OW, int c, int kh, int kw,
                                            int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
        int colShift = kw * dilW - padW;
        int owStart = Math.min(OW, firstAtLeast(-colShift, strideW));
        int owEnd = Math.min(OW, countAtMost(W - 1 - colShift, strideW));
        double sum = 0;
        for (int n = 0; n < N; n++) {
            int plane = n * C + c;
            for (int oh = 0; oh < OH; oh++) {
                int ih = oh * strideH - padH + kh * dilH;
                if (ih < 0 || ih >= H) {
                    continue;
                }
                int src = inOff + (plane * H + ih) * W + colShift;
                int g = gradOutOff + (plane * OH + oh) * OW;
                float rowSum = 0f;
                for (int ow = owStart; ow < owEnd; ow++) {
                    rowSum += gradOut[g + ow] * in[src + ow * strideW];
                }
                sum += rowSum;
            }
        }
        return sum;
    }
}
