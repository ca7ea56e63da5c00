package org.mettle.backend.cuda;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.mettle.backend.cuda.CudaAttention.ForwardVariant;

/**
 * Every {@link CudaAttentionTest} case again with {@code -Dmettle.cuda.attention=tc}'s forward kernels (its cases are
 * fp32: the register-tiled forward for head dims up to 64), so the unchanged backward also runs on their lse.
 */
class CudaAttentionTcSuiteTest extends CudaAttentionTest {
    private CudaBackend gpu;
    private ForwardVariant before;

    @BeforeEach
    void useTheNewerForwardKernels() {
        gpu = CudaTestSupport.cudaOrSkip();
        before = gpu.attention.forwardVariant();
        gpu.attention.forwardVariant(ForwardVariant.TC);
    }

    @AfterEach
    void restoreTheVariant() {
        if (gpu != null && before != null) {
            gpu.attention.forwardVariant(before);
        }
    }
}
