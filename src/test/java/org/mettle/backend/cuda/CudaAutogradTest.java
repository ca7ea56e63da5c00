package org.mettle.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.mettle.backend.cuda.CudaTestSupport.assertClose;

import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.LinalgOps;
import org.mettle.autograd.LossOps;
import org.mettle.autograd.NnOps;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/** Autograd ops composed on the CUDA backend: forward and backward against the same graph on the CPU backend. */
class CudaAutogradTest {
    private static CudaBackend gpu;
    private final Random r = new Random(11);

    /** Per test, so that each test is reported as skipped with the reason when CUDA is unusable. */
    @BeforeEach
    void requireCuda() {
        gpu = CudaTestSupport.cudaOrSkip();
    }

    /** Runs f (a scalar loss of the inputs) on both backends and compares the loss and every input's gradient. */
    private void check(String name, Function<Tensor[], Tensor> f, int[][] shapes, double tol) {
        float[][] data = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            int n = 1;
            for (int d : shapes[i]) {
                n *= d;
            }
            data[i] = CudaTestSupport.values(r, n, -1, 1, true);
        }
        float[][] lossAndGrads = new float[shapes.length + 1][];
        for (Backend backend : new Backend[] {Backends.cpu(), gpu}) {
            try (Scope scope = Scope.open()) {
                Tensor[] in = new Tensor[shapes.length];
                for (int i = 0; i < shapes.length; i++) {
                    in[i] = Tensor.of(backend, data[i], shapes[i]).requiresGrad(true);
                }
                Tensor loss = f.apply(in);
                loss.backward();
                float[][] got = new float[shapes.length + 1][];
                got[0] = loss.toFloatArray();
                for (int i = 0; i < shapes.length; i++) {
                    assertNotNull(in[i].grad(), name + ": input " + i + " got no gradient");
                    got[i + 1] = in[i].grad().toFloatArray();
                }
                if (backend == gpu) {
                    for (int i = 0; i < got.length; i++) {
                        assertClose(name + (i == 0 ? " loss" : " grad of input " + (i - 1)), lossAndGrads[i], got[i], tol);
                    }
                } else {
                    lossAndGrads = got;
                }
            }
        }
    }

    @Test
    void transformerBlockPieces() {
        int b = 2, n = 19, c = 48, heads = 3;
        check("linear+gelu+layerNorm", t -> NnOps.layerNorm(LinalgOps.linear(t[0], t[1], t[2]).gelu(), t[3], t[4], 1e-6f)
                        .mul(t[5]).sum(),
                new int[][] {{b, n, c}, {2 * c + 1, c}, {2 * c + 1}, {2 * c + 1}, {2 * c + 1}, {b, n, 2 * c + 1}}, 2e-4);
        check("attentionPacked", t -> NnOps.attentionPacked(LinalgOps.linear(t[0], t[1], null), heads, null, null, 0.25f).mul(t[2]).sum(),
                new int[][] {{b, n, c}, {3 * c, c}, {b, n, c}}, 2e-4);
        check("softmax+matMul", t -> t[0].matMul(t[1]).softmax(-1).mul(t[2]).sum(),
                new int[][] {{3, 5, 7}, {7, 9}, {3, 5, 9}}, 2e-4);
    }

    @Test
    void crossEntropyHead() {
        int rows = 13, classes = 37;
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = (i * 5) % classes;
        }
        check("linear+crossEntropy", t -> {
            Tensor tg = Tensor.ofInts(targets, rows);
            Tensor tgOn = t[0].backend() == Backends.cpu() ? tg : tg.toDevice(t[0].backend());
            return LossOps.crossEntropy(LinalgOps.linear(t[0], t[1], t[2]), tgOn);
        }, new int[][] {{rows, 24}, {classes, 24}, {classes}}, 1e-4);
    }
}
