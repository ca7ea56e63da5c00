package org.mettle.backend;

import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Storage;
import org.mettle.tensor.Tensor;

/**
 * The primitives every device implements. Tensors passed here are contiguous (offset + row-major); the autograd
 * layer ({@code org.mettle.autograd}) composes them into differentiable operations, and model code never names a
 * backend. Outputs are preallocated by the caller; "accumulate" means the primitive adds into its output.
 */
public interface Backend {
    Device device();

    /** One line: which implementation runs and why (e.g. vector or scalar CPU path, GPU name). */
    String describe();

    default MemoryLedger ledger() {
        return MemoryLedger.of(device());
    }

    Storage allocate(DType dtype, long numel, MemoryCategory category);

    // ---- data movement -------------------------------------------------------------------------------------

    void write(Tensor dst, float[] src);

    void writeInts(Tensor dst, int[] src);

    float[] readFloats(Tensor src);

    int[] readInts(Tensor src);

    void fill(Tensor dst, float value);

    /** dst[dstOffset + idx.dstStrides] = src[srcOffset + idx.srcStrides] for every index of dims (element units). */
    void copyStrided(int[] dims, Tensor src, int srcOffset, int[] srcStrides, Tensor dst, int dstOffset, int[] dstStrides);

    /** out[i, :] = src[indices[i], :] for src [R, C], I32 indices [n] (each in [0, R)), out [n, C]. */
    void gatherRows(Tensor src, Tensor indices, Tensor out);

    /** dst[indices[i], :] += src[i, :] (the adjoint of gatherRows; repeated indices add up). */
    void scatterAddRows(Tensor src, Tensor indices, Tensor dst);

    /** Element-wise dtype conversion between tensors of equal size (F32 <-> BF16/F16, I32 -> F32). */
    void convert(Tensor src, Tensor dst);

    // ---- linear algebra ------------------------------------------------------------------------------------

    /**
     * c[i] = alpha * op(a[i]) * op(b[i]) + beta * c[i] for i < batch, row-major and dense (lda = k or m, ...);
     * a stride of 0 broadcasts an operand across the batch.
     */
    void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
              Tensor a, int strideA, Tensor b, int strideB, float beta, Tensor c, int strideC);

    // ---- elementwise and reductions ------------------------------------------------------------------------

    /** out = op(a, b) with numpy broadcasting; out has the broadcast shape. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    void binaryScalar(BinaryOp op, Tensor a, float scalar, Tensor out);

    void unary(UnaryOp op, Tensor x, Tensor out);

    /** gradIn = gradOut * op'(x); y = op(x) is given so ops like EXP and TANH reuse it. */
    void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, Tensor gradIn);

    /** y = alpha * x + beta * y. */
    void axpby(float alpha, Tensor x, float beta, Tensor y);

    /** Sums x into out, whose rank-aligned dims each equal x's or are 1 (reduction and gradient un-broadcast). */
    void sumTo(Tensor x, Tensor out);

    /** Max over the last axis: values and their indices. */
    void maxLastAxis(Tensor x, Tensor max, Tensor argmax);

    // ---- rows: softmax, normalisation -----------------------------------------------------------------------

    void softmax(Tensor x, Tensor y);

    void softmaxBackward(Tensor y, Tensor dy, Tensor dx);

    void logSoftmax(Tensor x, Tensor y);

    void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /** Layer norm over the last axis; gamma/beta may be null. mean and rstd (one per row) are written. */
    void layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd);

    /** dx written; dGamma and dBeta (nullable) accumulated. */
    void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma, Tensor dBeta);

    /** y = x / max(||x||_2, eps) over the last axis (F.normalize). */
    void l2Normalize(Tensor x, float eps, Tensor y);

    void l2NormalizeBackward(Tensor x, float eps, Tensor dy, Tensor dx);

    // ---- attention -----------------------------------------------------------------------------------------

    /**
     * o = softmax(q k^T * scale + bias + mask) v. bias and mask (nullable) are contiguous [Bb, Hb, Nq, Nk] with Bb
     * dividing B (row b uses b % Bb) and Hb in {1, H}; the mask is a constant. lse [B, H, Nq] receives each row's
     * log-sum-exp for the backward.
     */
    void attention(AttentionShape s, Tensor q, AttentionLayout qLayout, Tensor k, AttentionLayout kLayout, Tensor v, AttentionLayout vLayout,
                   Tensor bias, Tensor mask, Tensor o, AttentionLayout oLayout, Tensor lse);

    /**
     * Gradients of attention. dk and dv may both be null: the query-only backward (frozen keys and values).
     * dBias (nullable) is accumulated in bias's shape.
     */
    void attentionBackward(AttentionShape s, Tensor q, AttentionLayout qLayout, Tensor k, AttentionLayout kLayout, Tensor v, AttentionLayout vLayout,
                           Tensor bias, Tensor mask, Tensor o, AttentionLayout oLayout, Tensor lse, Tensor dO, AttentionLayout dOLayout,
                           Tensor dq, AttentionLayout dqLayout, Tensor dk, AttentionLayout dkLayout, Tensor dv, AttentionLayout dvLayout, Tensor dBias);

    // ---- spatial -------------------------------------------------------------------------------------------

    /** Image n of x [N, C, H, W] to columns [C*KH*KW, OH*OW]. */
    void im2col(Tensor x, int image, ConvGeometry g, Tensor cols);

    /** Adjoint of im2col, accumulated into image n of dx. */
    void col2im(Tensor cols, ConvGeometry g, Tensor dx, int image);

    /** x [N, C, H, W] -> y [N, C, OH, OW]. */
    void interpolate(Interpolation mode, boolean alignCorners, Tensor x, Tensor y);

    /** Accumulates into dx. */
    void interpolateBackward(Interpolation mode, boolean alignCorners, Tensor dy, Tensor dx);

    /** Pooling over planes of x [N, C, H, W]; argmax (I32, max pooling only) receives flat indices within a plane. */
    void maxPool2d(Tensor x, ConvGeometry g, Tensor y, Tensor argmax);

    void maxPool2dBackward(Tensor dy, Tensor argmax, Tensor dx);

    void avgPool2d(Tensor x, ConvGeometry g, boolean countIncludePad, Tensor y);

    void avgPool2dBackward(Tensor dy, ConvGeometry g, boolean countIncludePad, Tensor dx);

    // ---- losses and optimiser ------------------------------------------------------------------------------

    /**
     * Mean cross-entropy of logits [rows, classes] against I32 targets (rows whose target is ignoreIndex are skipped),
     * with label smoothing and optional class weights. loss (1 element) is written; dLogits (nullable) receives the
     * gradient of the mean loss.
     */
    void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, float labelSmoothing, Tensor classWeights,
                      Tensor loss, Tensor dLogits);

    /** Mean binary cross-entropy with logits; posWeight (per class) and weight (per element) nullable. */
    void bceWithLogits(Tensor logits, Tensor targets, Tensor posWeight, Tensor weight, Tensor loss, Tensor dLogits);

    /** One AdamW step (decoupled weight decay, bias-corrected; step counts from 1). */
    void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);
}
