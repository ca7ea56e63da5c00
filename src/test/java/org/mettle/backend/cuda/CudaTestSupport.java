package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** Paired CPU / CUDA tensors and comparisons for the CUDA tests (skipped, with the reason, when CUDA is unusable). */
final class CudaTestSupport {
    static final double F32_TOL = 1e-4;
    static final double BF16_TOL = 2e-2;

    private CudaTestSupport() {}

    static CudaBackend cudaOrSkip() {
        Assumptions.assumeTrue(CudaRuntime.isUsable(), () -> "CUDA " + CudaRuntime.status());
        return (CudaBackend) Backends.cuda();
    }

    /** The same data on both backends. */
    record Pair(Tensor cpu, Tensor gpu) implements AutoCloseable {
        @Override
        public void close() {
            cpu.close();
            gpu.close();
        }
    }

    static Pair pair(Backend gpu, float[] data, int... dims) {
        return new Pair(Tensor.of(Backends.cpu(), data, dims), Tensor.of(gpu, data, dims));
    }

    static Pair randn(Backend gpu, Random r, int... dims) {
        return pair(gpu, values(r, Shape.of(dims).numelInt(), -1, 1, true), dims);
    }

    static Pair uniform(Backend gpu, Random r, double lo, double hi, int... dims) {
        return pair(gpu, values(r, Shape.of(dims).numelInt(), lo, hi, false), dims);
    }

    static Pair ints(Backend gpu, int[] data, int... dims) {
        Tensor c = Tensor.ofInts(data, dims);
        return new Pair(c, c.toDevice(gpu));
    }

    static Pair empty(Backend gpu, DType dtype, int... dims) {
        Pair p = new Pair(Tensor.empty(Backends.cpu(), Shape.of(dims), dtype), Tensor.empty(gpu, Shape.of(dims), dtype));
        if (dtype == DType.I32) {
            Backends.cpu().fill(p.cpu, 0);
            gpu.fill(p.gpu, 0);
        } else {
            // NaN so that an output the kernel forgets to write shows up
            Backends.cpu().fill(p.cpu, 0);
            gpu.fill(p.gpu, Float.NaN);
        }
        return p;
    }

    static Pair zeros(Backend gpu, int... dims) {
        Pair p = new Pair(Tensor.empty(Backends.cpu(), Shape.of(dims), DType.F32), Tensor.empty(gpu, Shape.of(dims), DType.F32));
        Backends.cpu().fill(p.cpu, 0);
        gpu.fill(p.gpu, 0);
        return p;
    }

    static float[] values(Random r, int n, double lo, double hi, boolean gaussian) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian ? r.nextGaussian() : lo + (hi - lo) * r.nextDouble());
        }
        return v;
    }

    /** Max abs error relative to max(1, max |expected|). */
    static void assertClose(String what, Tensor expectedCpu, Tensor actualGpu, double tol) {
        assertClose(what, expectedCpu.toFloatArray(), actualGpu.toFloatArray(), tol);
    }

    static void assertClose(String what, Pair p, double tol) {
        assertClose(what, p.cpu, p.gpu, tol);
    }

    static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        double scale = 1;
        for (float e : expected) {
            if (Float.isFinite(e)) {
                scale = Math.max(scale, Math.abs(e));
            }
        }
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            boolean same = Float.isNaN(e) ? Float.isNaN(a) : Float.isInfinite(e) ? e == a : Math.abs(a - e) <= tol * scale;
            if (!same) {
                fail(String.format("%s: element %d of %d is %.8g, expected %.8g (tolerance %.3g)", what, i, expected.length, a, e, tol * scale));
            }
        }
    }

    /** An additive attention mask [nq, nk]: every fifth-ish key -inf, but key 0 kept in every row. */
    static float[] sparseMask(int nq, int nk) {
        float[] m = new float[nq * nk];
        for (int i = 0; i < m.length; i++) {
            m[i] = (i * 7) % 5 == 0 ? Float.NEGATIVE_INFINITY : 0f;
        }
        for (int q = 0; q < nq; q++) {
            m[q * nk] = 0f; // every row keeps at least one key
        }
        return m;
    }
}
