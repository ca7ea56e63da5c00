package org.mettle.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backend;
import org.mettle.backend.Backends;
import org.mettle.backend.cpu.CpuPointwise;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.models.LayerConsumer;
import org.mettle.tensor.DType;
import org.mettle.tensor.Scope;
import org.mettle.tensor.Tensor;

/**
 * Tiny backbones with their Linear weights stored in BF16: outputs within 1e-2 of F32, checkpoint names unchanged,
 * the ledger's WEIGHTS drop by exactly half the converted bytes, the meta backend counts the same bytes as the
 * CPU (conversion and a forward), and trainable weights are refused.
 */
class FrozenWeightsTest {
    private static final String[] ARCHS = {"vit_test_patch8_32", "swinv2_test_window4_64", "htsat_test"};

    @ParameterizedTest
    @ValueSource(strings = {"vit_test_patch8_32", "swinv2_test_window4_64", "htsat_test"})
    void convertedBackboneMatchesF32AndHalvesItsWeightMatrices(String arch) {
        Backend cpu = Backends.cpu();
        MemoryLedger ledger = cpu.ledger();
        try (Backbone reference = Architectures.create(arch, cpu, 3); Backbone converted = Architectures.create(arch, cpu, 3);
             Scope scope = Scope.open(); var g = GradMode.noGrad()) {
            Map<String, Tensor> before = converted.module().namedParameters();
            List<String> names = new ArrayList<>(before.keySet());
            long parameterBytes = before.values().stream().mapToLong(Tensor::bytes).sum();
            long weightsBefore = ledger.live(MemoryCategory.WEIGHTS);

            FrozenWeights.Conversion c = FrozenWeights.toBf16(converted.module());

            long weightsAfter = ledger.live(MemoryCategory.WEIGHTS);
            assertFalse(c.converted().isEmpty(), arch + ": nothing converted");
            assertEquals(c.bytesBefore(), 2 * c.bytesAfter(), "BF16 is half of F32");
            assertEquals(c.bytesSaved(), weightsBefore - weightsAfter, arch + ": the ledger's live WEIGHTS drop by the saved bytes");
            System.out.printf("%s: %d weight matrices to BF16, %d of %d parameter bytes saved (%.0f%%)%n", arch,
                    c.converted().size(), c.bytesSaved(), parameterBytes, 100.0 * c.bytesSaved() / parameterBytes);

            Map<String, Tensor> after = converted.module().namedParameters();
            assertEquals(names, new ArrayList<>(after.keySet()), "checkpoint names and order are unchanged");
            for (String name : names) {
                boolean wanted = c.converted().contains(name);
                assertEquals(wanted ? DType.BF16 : DType.F32, after.get(name).dtype(), name);
                assertEquals(before.get(name).shape(), after.get(name).shape(), name);
                if (wanted) {
                    assertTrue(name.endsWith(".weight") && !name.contains("cpb_mlp"), name);
                    assertTrue(before.get(name).isClosed(), name + ": the F32 copy was released");
                }
            }

            Tensor input = Tensor.randn(cpu, new Random(11), 1f, Architectures.inputShape(arch, 2).dims());
            float[] want = reference.forward(input, LayerConsumer.NONE).toFloatArray();
            float[] got = converted.forward(input, LayerConsumer.NONE).toFloatArray();
            double err = relativeError(want, got);
            System.out.printf("%s: BF16 weights vs F32, max |diff| / max |F32| = %.2e%n", arch, err);
            assertTrue(err < 1e-2, arch + ": relative error " + err);
            assertTrue(err > 0, arch + ": BF16 rounding should change something (was anything converted?)");
        }
    }

    @Test
    void inputGradientFlowsThroughBf16Weights() {
        Backend cpu = Backends.cpu();
        String arch = "vit_test_patch8_32";
        try (Backbone reference = Architectures.create(arch, cpu, 5); Backbone converted = Architectures.create(arch, cpu, 5);
             Scope scope = Scope.open()) {
            FrozenWeights.toBf16(converted.module());
            float[] v = Tensor.randn(cpu, new Random(2), 1f, Architectures.inputShape(arch, 1).dims()).toFloatArray();
            float[] want = inputGradient(reference, v, arch);
            float[] got = inputGradient(converted, v, arch);
            double err = relativeError(want, got);
            System.out.printf("%s: input gradient with BF16 weights vs F32: %.2e%n", arch, err);
            assertTrue(err < 2e-2 && err > 0, "input gradient relative error " + err);
        }
    }

    private static float[] inputGradient(Backbone model, float[] values, String arch) {
        Tensor x = Tensor.of(values, Architectures.inputShape(arch, 1).dims()).requiresGrad(true);
        Tensor out = model.forward(x, LayerConsumer.NONE);
        // A random weighting: the plain sum of a layer-normed output has a near-zero gradient.
        Tensor weights = Tensor.randn(Backends.cpu(), new Random(9), 1f, out.shape().dims());
        out.mul(weights).sum().backward();
        return x.grad().toFloatArray();
    }

    @Test
    void metaBackendCountsWhatTheCpuAllocates() {
        for (String arch : ARCHS) {
            long[] cpu = plan(Backends.cpu(), arch);
            long[] meta = plan(Backends.meta(), arch);
            assertEquals(cpu[0], meta[0], arch + ": weights after conversion, CPU vs meta");
            assertEquals(cpu[1], meta[1], arch + ": forward peak above live, CPU vs meta");
        }
    }

    /** {weights held after construction and conversion, peak bytes of a no-grad forward above what was live}. */
    private static long[] plan(Backend backend, String arch) {
        MemoryLedger ledger = backend.ledger();
        long weights0 = ledger.live(MemoryCategory.WEIGHTS);
        try (Backbone model = Architectures.create(arch, backend, 1); var g = GradMode.noGrad();
             Tensor input = Tensor.zeros(backend, Architectures.inputShape(arch, 2)).untrack()) {
            FrozenWeights.toBf16(model.module());
            long weights = ledger.live(MemoryCategory.WEIGHTS) - weights0;
            model.forward(input, LayerConsumer.NONE).close(); // builds cached constants
            long live = ledger.liveTotal();
            ledger.resetPeaks();
            model.forward(input, LayerConsumer.NONE).close();
            return new long[] {weights, ledger.peakTotal() - live};
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit_test_patch8_32", "swinv2_test_window4_64", "htsat_test"})
    void buildingInBf16EqualsConvertingAndNeverHoldsTheF32Model(String arch) {
        Backend cpu = Backends.cpu();
        MemoryLedger ledger = cpu.ledger();
        try (Backbone converted = Architectures.create(arch, cpu, 4)) {
            FrozenWeights.toBf16(converted.module());
            long live0 = ledger.live(MemoryCategory.WEIGHTS);
            ledger.resetPeaks();
            try (Backbone built = FrozenWeights.buildInBf16(() -> Architectures.create(arch, cpu, 4), Backbone::module)) {
                long added = ledger.live(MemoryCategory.WEIGHTS) - live0;
                long peakAdded = ledger.peak(MemoryCategory.WEIGHTS) - live0;
                Map<String, Tensor> want = converted.module().namedParameters();
                Map<String, Tensor> got = built.module().namedParameters();
                assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(got.keySet()), arch + ": names");
                long widened = 0;
                for (String name : want.keySet()) {
                    assertEquals(want.get(name).dtype(), got.get(name).dtype(), name);
                    float[] expected = want.get(name).toFloatArray();
                    if (name.contains("cpb_mlp") && name.endsWith(".weight")) {
                        // built in BF16, widened back: the initial draws stay rounded (pretrained weights load afterwards)
                        widened = Math.max(widened, got.get(name).bytes());
                        for (int i = 0; i < expected.length; i++) {
                            expected[i] = CpuPointwise.fromBf16(CpuPointwise.toBf16(expected[i]));
                        }
                    }
                    assertTrue(java.util.Arrays.equals(expected, got.get(name).toFloatArray()), name + ": same draws, same rounding");
                }
                // At most one position-bias MLP weight is held in both dtypes while it is widened back to F32.
                assertTrue(peakAdded <= added + widened / 2, arch + ": peak " + peakAdded + " vs held " + added);
            }
        }
    }

    @Test
    void pretrainedWeightsLoadIntoABf16BuiltBackbone(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Backend cpu = Backends.cpu();
        String arch = "swinv2_test_window4_64";
        java.nio.file.Path file = dir.resolve("swin.safetensors");
        try (Backbone source = Architectures.create(arch, cpu, 8)) {
            org.mettle.io.TensorIO.save(file, source.module().namedParameters(), Map.of(), DType.F32);
            try (Backbone built = FrozenWeights.buildInBf16(() -> Architectures.create(arch, cpu, 99), Backbone::module)) {
                Architectures.loadWeights(built, file);
                Map<String, Tensor> want = source.module().namedParameters();
                built.module().namedParameters().forEach((name, t) -> {
                    float[] expected = want.get(name).toFloatArray();
                    if (t.dtype() == DType.BF16) {
                        for (int i = 0; i < expected.length; i++) {
                            expected[i] = CpuPointwise.fromBf16(CpuPointwise.toBf16(expected[i]));
                        }
                    }
                    // F32 tensors (cpb_mlp included) hold the file's values exactly; BF16 ones their rounding
                    assertTrue(java.util.Arrays.equals(expected, t.toFloatArray()), name + " " + t.dtype());
                });
            }
        }
    }

    @Test
    void trainableWeightsAreRefusedAndNothingChanges() {
        try (Backbone model = Architectures.create("vit_test_patch8_32", Backends.cpu(), 1)) {
            Tensor qkv = model.module().namedParameters().get("blocks.0.attn.qkv.weight");
            qkv.requiresGrad(true);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> FrozenWeights.toBf16(model.module()));
            assertTrue(e.getMessage().contains("blocks.0.attn.qkv.weight"), e.getMessage());
            for (Tensor t : model.module().parameters()) {
                assertEquals(DType.F32, t.dtype(), "nothing converted after a refusal");
            }
            qkv.requiresGrad(false);
            FrozenWeights.Conversion first = FrozenWeights.toBf16(model.module());
            FrozenWeights.Conversion again = FrozenWeights.toBf16(model.module());
            assertTrue(again.converted().isEmpty() && again.bytesSaved() == 0 && !first.converted().isEmpty(),
                    "converting twice changes nothing the second time");
        }
    }

    private static double relativeError(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            double d = Math.abs(want[i] - got[i]);
            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
        }
        return worst / Math.max(scale, 1e-30);
    }

}
