package org.mettle.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsWriter;
import org.mettle.io.TensorIO;
import org.mettle.nn.TransformerBlock;
import org.mettle.tensor.DType;
import org.mettle.tensor.Tensor;

class WeightsTest {
    @TempDir
    Path dir;

    @Test
    void loadsByNameIgnoringHeadsAndRejectsEveryMismatchByName() {
        Path good = dir.resolve("good.safetensors");
        try (TransformerBlock src = new TransformerBlock(Backends.cpu(), new Random(1), 8, 2, 2f);
             TransformerBlock dst = new TransformerBlock(Backends.cpu(), new Random(2), 8, 2, 2f)) {
            Map<String, Tensor> params = new LinkedHashMap<>(src.namedParameters());
            try (Tensor head = Tensor.of(new float[] {1, 2}, 2)) {
                params.put("head.weight", head);
                TensorIO.save(good, params, null, DType.F32);
            }
            Weights.load(dst, good, "head.");
            for (Map.Entry<String, Tensor> e : src.namedParameters().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), dst.namedParameters().get(e.getKey()).toFloatArray(), e.getKey());
            }

            Path bad = dir.resolve("bad.safetensors");
            SafetensorsWriter w = new SafetensorsWriter();
            for (Map.Entry<String, Tensor> e : src.namedParameters().entrySet()) {
                if (e.getKey().equals("norm1.bias")) {
                    continue; // missing
                }
                int[] shape = e.getKey().equals("attn.proj.weight") ? new int[] {8, 9} : e.getValue().shape().dims();
                w.addFloats(e.getKey(), shape, new float[(int) org.mettle.tensor.Shape.of(shape).numel()]);
            }
            w.addFloats("blocks.extra", new int[] {3}, new float[3]);
            w.write(bad);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Weights.load(dst, bad));
            String m = ex.getMessage();
            assertTrue(m.contains("bad.safetensors") && m.contains("3 problem"), m);
            assertTrue(m.contains("missing tensor 'norm1.bias'"), m);
            assertTrue(m.contains("'attn.proj.weight' has shape [8, 9], the model expects [8, 8]"), m);
            assertTrue(m.contains("unexpected tensor 'blocks.extra'"), m);
            // nothing was loaded from the bad file
            assertArrayEquals(src.namedParameters().get("attn.qkv.weight").toFloatArray(),
                    dst.namedParameters().get("attn.qkv.weight").toFloatArray());
        }
    }
}
