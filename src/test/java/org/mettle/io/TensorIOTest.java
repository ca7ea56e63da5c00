package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.backend.Backends;
import org.mettle.memory.MemoryCategory;
import org.mettle.memory.MemoryLedger;
import org.mettle.nn.TransformerBlock;
import org.mettle.tensor.DType;
import org.mettle.tensor.Device;
import org.mettle.tensor.Tensor;

class TensorIOTest {
    @TempDir
    Path dir;

    @Test
    void moduleParametersRoundTripAndCountAsWeights() {
        Path file = dir.resolve("block.safetensors");
        try (TransformerBlock block = new TransformerBlock(Backends.cpu(), new Random(3), 16, 2, 2f)) {
            Map<String, Tensor> params = block.namedParameters();
            TensorIO.save(file, params, Map.of("arch", "test-block"), DType.F32);
            MemoryLedger ledger = MemoryLedger.of(Device.CPU);
            long weightsBefore = ledger.live(MemoryCategory.WEIGHTS);
            Map<String, Tensor> loaded = TensorIO.load(file, Backends.cpu());
            assertEquals(params.keySet(), loaded.keySet());
            long bytes = 0;
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor l = loaded.get(e.getKey());
                assertEquals(e.getValue().shape(), l.shape(), e.getKey());
                assertArrayEquals(e.getValue().toFloatArray(), l.toFloatArray(), e.getKey());
                bytes += l.bytes();
            }
            assertEquals(weightsBefore + bytes, ledger.live(MemoryCategory.WEIGHTS));
            loaded.values().forEach(Tensor::close);
            assertEquals(weightsBefore, ledger.live(MemoryCategory.WEIGHTS));
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                assertEquals("test-block", f.metadata().get("arch"));
                assertTrue(f.contains("attn.qkv.weight"));
            }
        }
    }

    @Test
    void bf16StorageRoundsAndIntsSurvive() {
        Path file = dir.resolve("mixed.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("x", Tensor.of(new float[] {1f, 1.00390625f, -3.5f}, 3));
        m.put("labels", Tensor.ofInts(new int[] {4, -1, 27}, 3));
        TensorIO.save(file, m, null, DType.BF16);
        Map<String, Tensor> back = TensorIO.load(file, Backends.cpu());
        assertArrayEquals(new float[] {1f, 1f, -3.5f}, back.get("x").toFloatArray(), "bf16 rounds 1+2^-8 to 1 (nearest even)");
        assertArrayEquals(new int[] {4, -1, 27}, back.get("labels").toIntArray());
        back.values().forEach(Tensor::close);
        m.values().forEach(Tensor::close);
    }

    @Test
    void metaTensorsCannotBeSavedAndTheFileIsUntouched() throws Exception {
        Path file = dir.resolve("keep.safetensors");
        Files.writeString(file, "previous");
        try (Tensor t = Tensor.empty(Backends.meta(), org.mettle.tensor.Shape.of(2))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> TensorIO.save(file, Map.of("w", t), null, DType.F32));
            assertTrue(e.getMessage().contains("meta"), e.getMessage());
        }
        assertEquals("previous", Files.readString(file));
    }
}
