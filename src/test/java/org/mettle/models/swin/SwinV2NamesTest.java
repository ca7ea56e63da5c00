package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsFile;
import org.mettle.io.SafetensorsWriter;
import org.mettle.tensor.Tensor;

/**
 * The full-size swinv2_large_window12_192 has exactly the checkpoint names and shapes that the PyTorch reference (with
 * timm's names) produces, and the loader rejects a bad checkpoint naming every offending tensor.
 */
class SwinV2NamesTest {
    @TempDir
    Path dir;

    @Test
    void fullSizeNamesAndShapesEqualTheReference() {
        Map<String, int[]> reference = Golden.names(Golden.path("swin", "swinv2_large_window12_192.names.txt"));
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create("swinv2_large_window12_192", Backends.meta(), 0)) {
            Map<String, Tensor> params = model.namedParameters();
            Function<String, String> rename = SwinTransformerV2.checkpointRename(reference.keySet());
            TreeSet<String> matched = new TreeSet<>();
            List<String> ignored = new ArrayList<>();
            for (Map.Entry<String, int[]> e : reference.entrySet()) {
                if (SwinTransformerV2.isIgnoredCheckpointTensor(e.getKey())) {
                    ignored.add(e.getKey());
                    continue;
                }
                Tensor p = params.get(rename.apply(e.getKey()));
                assertNotNull(p, "reference tensor " + e.getKey() + " has no model parameter");
                assertArrayEquals(e.getValue(), p.shape().dims(), e.getKey());
                matched.add(rename.apply(e.getKey()));
            }
            assertEquals(new TreeSet<>(params.keySet()), matched, "every model parameter is a checkpoint tensor");
            assertEquals(List.of("head.fc.weight", "head.fc.bias"), ignored);
            System.out.printf("swinv2_large_window12_192: %d checkpoint tensors, %d parameters (%.1fM values) matched%n",
                    reference.size(), params.size(), model.parameterCount() / 1e6);
        }
    }

    @Test
    void badCheckpointErrorsNameEveryTensor() {
        String arch = "swinv2_test_window4_64";
        Path bad = dir.resolve("bad.safetensors");
        try (SafetensorsFile good = SafetensorsFile.open(Golden.path("swin", arch + ".weights.safetensors"));
             SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create(arch, Backends.cpu(), 1)) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String n : good.names()) {
                if (n.equals("layers.1.blocks.0.attn.q_bias")) {
                    continue;
                }
                int[] shape = n.equals("layers.2.downsample.reduction.weight") ? new int[] {64, 60} : good.info(n).shape();
                w.addFloats(n, shape, new float[(int) java.util.Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)]);
            }
            w.addFloats("layers.0.blocks.0.attn.extra", new int[] {2}, new float[2]);
            w.write(bad);
            float[] before = model.namedParameters().get("norm.weight").toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.load(bad));
            String m = e.getMessage();
            assertTrue(m.contains("missing tensor 'layers.1.blocks.0.attn.q_bias'"), m);
            assertTrue(m.contains("'layers.2.downsample.reduction.weight' has shape [64, 60], the model expects [32, 64]"), m);
            assertTrue(m.contains("unexpected tensor 'layers.0.blocks.0.attn.extra'"), m);
            assertArrayEquals(before, model.namedParameters().get("norm.weight").toFloatArray(), "nothing loaded from a bad file");
        }
    }

    @Test
    void wrongInputShapeIsExplained() {
        try (SwinTransformerV2 model = (SwinTransformerV2) SwinModels.create("swinv2_test_window4_64", Backends.meta(), 1);
             Tensor x = Tensor.empty(Backends.meta(), org.mettle.tensor.Shape.of(1, 3, 60, 64))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(x, null));
            assertTrue(e.getMessage().contains("takes images [B, 3, 64, 64], got [1, 3, 60, 64]"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SwinModels.create("swinv2_huge", Backends.meta(), 1));
        assertTrue(e.getMessage().contains("unknown Swin-V2 architecture 'swinv2_huge'; known: swinv2_large_window12_192"), e.getMessage());
        IllegalArgumentException grid = assertThrows(IllegalArgumentException.class, () -> new SwinTransformerV2(
                new SwinV2Config("odd", 40, 4, 3, 8, new int[] {2, 2}, new int[] {2, 2}, 4, 4f, new int[2]), Backends.meta(), 1));
        assertTrue(grid.getMessage().contains("does not tile the 10x10 token grid"), grid.getMessage());
    }
}
