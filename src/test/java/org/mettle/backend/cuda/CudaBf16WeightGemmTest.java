package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mettle.backend.cuda.CudaTestSupport.assertClose;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * F32 activations times a BF16 weight on CUDA (widened on the device, not a host fallback) against the CPU's BF16-B
 * GEMM, both transposes of B, a batch with a broadcast weight. Skipped, with the reason, where CUDA is unusable.
 */
class CudaBf16WeightGemmTest {
    @Test
    void f32TimesBf16WeightMatchesCpu() {
        CudaBackend gpu = CudaTestSupport.cudaOrSkip();
        Backend cpu = Backends.cpu();
        Random r = new Random(4);
        long fallbacksBefore = gpu.fallbackCount();
        int batch = 2, m = 37, n = 53, k = 70;
        for (boolean transB : new boolean[] {true, false}) {
            try (Scope scope = Scope.open()) {
                Tensor aCpu = Tensor.randn(cpu, r, 1f, batch, m, k);
                Tensor wCpu = Tensor.randn(cpu, r, 1f, transB ? n : k, transB ? k : n).toType(DType.BF16);
                Tensor aGpu = aCpu.toDevice(gpu);
                Tensor wGpu = wCpu.toDevice(gpu);
                assertEquals(DType.BF16, wGpu.dtype());
                Tensor want = Tensor.zeros(cpu, Shape.of(batch, m, n));
                Tensor got = Tensor.zeros(gpu, Shape.of(batch, m, n));
                cpu.gemm(false, transB, batch, m, n, k, 1f, aCpu, m * k, wCpu, 0, 0f, want, m * n);
                gpu.gemm(false, transB, batch, m, n, k, 1f, aGpu, m * k, wGpu, 0, 0f, got, m * n);
                assertClose("cuda gemm F32 x BF16 transB=" + transB, want, got, 1e-4 * Math.sqrt(k));
            }
        }
        assertEquals(fallbacksBefore, gpu.fallbackCount(), "the BF16 weight is widened on the device, not on the host");
    }
}
