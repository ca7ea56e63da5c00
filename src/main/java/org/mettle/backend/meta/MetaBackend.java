package org.mettle.backend.meta;

import org.mettle.backend.AttentionLayout;
import org.mettle.backend.AttentionShape;
import org.mettle.backend.Backend;
import org.mettle.backend.BinaryOp;
import org.mettle.backend.ConvGeometry;
import org.mettle.backend.Interpolation;
import org.mettle.backend.UnaryOp;
import org.mettle.memory.MemoryCategory;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Storage;
import org.mettle.tensor.Tensor;

/**
 * Shapes and allocations only: every allocation is counted by the ledger exactly as on a real device, nothing
 * is stored or computed. Plans the memory of paper-scale runs on any machine in seconds.
 */
public final class MetaBackend implements Backend {
    private static final class MetaStorage extends Storage {
        MetaStorage(long bytes, MemoryCategory category) {
            super(Device.META, bytes, category);
        }

        @Override
        protected void free() {
            // nothing to return: meta storage holds no memory
        }
    }

    @Override
    public Device device() {
        return Device.META;
    }

    @Override
    public String describe() {
        return "meta: shapes and allocations only, no data";
    }

    @Override
    public Storage allocate(DType dtype, long numel, MemoryCategory category) {
        return new MetaStorage(Math.multiplyExact(numel, (long) dtype.byteSize()), category);
    }

    private static IllegalStateException noData(Tensor t) {
        return new IllegalStateException("tensor " + t.describeShort() + " lives on the meta device and has no data;"
                + " run on --device cpu or cuda to read values");
    }

    @Override
    public void write(Tensor dst, float[] src) {
        // data written to a meta tensor is dropped: only shapes matter here
    }

    @Override
    public void writeInts(Tensor dst, int[] src) {
        // as write()
    }

    @Override
    public float[] readFloats(Tensor src) {
        throw noData(src);
    }

    @Override
    public int[] readInts(Tensor src) {
        throw noData(src);
    }

    @Override public void fill(Tensor dst, float value) {}
    @Override public void copyStrided(int[] dims, Tensor src, int srcOffset, int[] srcStrides, Tensor dst, int dstOffset, int[] dstStrides) {}
    @Override public void convert(Tensor src, Tensor dst) {}
    @Override public void gatherRows(Tensor src, Tensor indices, Tensor out) {}
    @Override public void scatterAddRows(Tensor src, Tensor indices, Tensor dst) {}
    @Override public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha, Tensor a, int strideA,
                               Tensor b, int strideB, float beta, Tensor c, int strideC) {}
    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {}
    @Override public void binaryScalar(BinaryOp op, Tensor a, float scalar, Tensor out) {}
    @Override public void unary(UnaryOp op, Tensor x, Tensor out) {}
    @Override public void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, Tensor gradIn) {}
    @Override public void axpby(float alpha, Tensor x, float beta, Tensor y) {}
    @Override public void sumTo(Tensor x, Tensor out) {}
    @Override public void maxLastAxis(Tensor x, Tensor max, Tensor argmax) {}
    @Override public void softmax(Tensor x, Tensor y) {}
    @Override public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {}
    @Override public void logSoftmax(Tensor x, Tensor y) {}
    @Override public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {}
    @Override public void layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {}
    @Override public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma, Tensor dBeta) {}
    @Override public void l2Normalize(Tensor x, float eps, Tensor y) {}
    @Override public void l2NormalizeBackward(Tensor x, float eps, Tensor dy, Tensor dx) {}
    @Override public void attention(AttentionShape s, Tensor q, AttentionLayout qLayout, Tensor k, AttentionLayout kLayout, Tensor v, AttentionLayout vLayout,
                                    Tensor bias, Tensor mask, Tensor o, AttentionLayout oLayout, Tensor lse) {}
    @Override public void attentionBackward(AttentionShape s, Tensor q, AttentionLayout qLayout, Tensor k, AttentionLayout kLayout, Tensor v, AttentionLayout vLayout,
                                            Tensor bias, Tensor mask, Tensor o, AttentionLayout oLayout, Tensor lse, Tensor dO, AttentionLayout dOLayout,
                                            Tensor dq, AttentionLayout dqLayout, Tensor dk, AttentionLayout dkLayout, Tensor dv, AttentionLayout dvLayout, Tensor dBias) {}
    @Override public void im2col(Tensor x, int image, ConvGeometry g, Tensor cols) {}
    @Override public void col2im(Tensor cols, ConvGeometry g, Tensor dx, int image) {}
    @Override public void interpolate(Interpolation mode, boolean alignCorners, Tensor x, Tensor y) {}
    @Override public void interpolateBackward(Interpolation mode, boolean alignCorners, Tensor dy, Tensor dx) {}
    @Override public void maxPool2d(Tensor x, ConvGeometry g, Tensor y, Tensor argmax) {}
    @Override public void maxPool2dBackward(Tensor dy, Tensor argmax, Tensor dx) {}
    @Override public void avgPool2d(Tensor x, ConvGeometry g, boolean countIncludePad, Tensor y) {}
    @Override public void avgPool2dBackward(Tensor dy, ConvGeometry g, boolean countIncludePad, Tensor dx) {}
    @Override public void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, float labelSmoothing, Tensor classWeights,
                                       Tensor loss, Tensor dLogits) {}
    @Override public void bceWithLogits(Tensor logits, Tensor targets, Tensor posWeight, Tensor weight, Tensor loss, Tensor dLogits) {}
    @Override public void adamW(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                                float weightDecay, int step) {}
}
