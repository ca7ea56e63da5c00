package org.mettle.models.htsat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.mettle.backend.Backends;
import org.mettle.models.swin.Golden;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/**
 * The full-size HTS-AT has exactly the names and shapes of the AudioSet release's Lightning checkpoint as the PyTorch
 * reference produces them; everything else in that checkpoint is one of the tensors the backbone ignores.
 */
class HtsatNamesTest {
    @Test
    void fullSizeNamesAndShapesEqualTheReleaseCheckpoint() {
        Map<String, int[]> reference = Golden.names(Golden.path("htsat", "htsat.names.txt"));
        try (Htsat model = (Htsat) HtsatModels.create("htsat", Backends.meta(), 0)) {
            Map<String, Tensor> params = model.namedParameters();
            TreeSet<String> matched = new TreeSet<>();
            Map<String, Integer> ignoredKinds = new TreeMap<>();
            for (Map.Entry<String, int[]> e : reference.entrySet()) {
                String name = e.getKey();
                assertTrue(name.startsWith("sed_model."), name);
                if (Htsat.isIgnoredCheckpointTensor(name)) {
                    String n = Htsat.checkpointName(name);
                    String kind = n.contains(".") ? n.substring(n.lastIndexOf('.') + 1) : n;
                    kind = n.startsWith("layers.") ? kind : n.substring(0, n.indexOf('.'));
                    ignoredKinds.merge(kind, 1, Integer::sum);
                    continue;
                }
                Tensor p = params.get(Htsat.checkpointName(name));
                assertNotNull(p, "checkpoint tensor " + name + " has no model parameter");
                assertArrayEquals(e.getValue(), p.shape().dims(), name);
                matched.add(Htsat.checkpointName(name));
            }
            assertEquals(new TreeSet<>(params.keySet()), matched, "every model parameter is a checkpoint tensor");
            // 12 blocks carry a relative_position_index; the 5 shifted blocks on grids larger than the window an attn_mask
            assertEquals(Map.of("attn_mask", 5, "bn0", 1, "head", 2, "logmel_extractor", 1, "relative_position_index", 12,
                    "spectrogram_extractor", 2, "tscam_conv", 2), ignoredKinds);
            System.out.printf("htsat: %d checkpoint tensors, %d parameters (%.2fM values) matched, ignored %s%n", reference.size(),
                    params.size(), model.parameterCount() / 1e6, ignoredKinds);
        }
    }

    @Test
    void inputErrorsAreExplained() {
        try (Htsat model = (Htsat) HtsatModels.create("htsat", Backends.meta(), 0)) {
            try (Tensor wrongBins = Tensor.empty(Backends.meta(), Shape.of(1, 1001, 128))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(wrongBins, null));
                assertTrue(e.getMessage().contains("takes log-mel spectrograms [B, T, 64] (T <= 1024 frames), got [1, 1001, 128]"), e.getMessage());
            }
            try (Tensor tooLong = Tensor.empty(Backends.meta(), Shape.of(1, 1500, 64))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(tooLong, null));
                assertTrue(e.getMessage().contains("takes at most 1024 frames, got 1500"), e.getMessage());
            }
        }
        assertArrayEquals(new int[] {3, 1001, 64}, HtsatModels.inputShape("htsat", 3));
    }
}
