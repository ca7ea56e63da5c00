package org.mettle.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.autograd.GradMode;
import org.mettle.backend.Backends;
import org.mettle.io.SafetensorsWriter;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.tensor.DType;
import org.mettle.tensor.Shape;
import org.mettle.tensor.Tensor;

/** The real vit_base_patch16_224 geometry with random weights: timm's names and shapes, strict loading, a forward. */
class VitBaseCheckpointTest {
    static final String ARCH = "vit_base_patch16_224";

    @TempDir
    Path dir;

    /** Every tensor of timm's vit_base_patch16_224 state dict except the classifier, with its shape. */
    static Map<String, int[]> timmNames() {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("cls_token", new int[] {1, 1, 768});
        m.put("pos_embed", new int[] {1, 197, 768});
        m.put("patch_embed.proj.weight", new int[] {768, 3, 16, 16});
        m.put("patch_embed.proj.bias", new int[] {768});
        for (int i = 0; i < 12; i++) {
            String b = "blocks." + i + ".";
            m.put(b + "norm1.weight", new int[] {768});
            m.put(b + "norm1.bias", new int[] {768});
            m.put(b + "attn.qkv.weight", new int[] {2304, 768});
            m.put(b + "attn.qkv.bias", new int[] {2304});
            m.put(b + "attn.proj.weight", new int[] {768, 768});
            m.put(b + "attn.proj.bias", new int[] {768});
            m.put(b + "norm2.weight", new int[] {768});
            m.put(b + "norm2.bias", new int[] {768});
            m.put(b + "mlp.fc1.weight", new int[] {3072, 768});
            m.put(b + "mlp.fc1.bias", new int[] {3072});
            m.put(b + "mlp.fc2.weight", new int[] {768, 3072});
            m.put(b + "mlp.fc2.bias", new int[] {768});
        }
        m.put("norm.weight", new int[] {768});
        m.put("norm.bias", new int[] {768});
        return m;
    }

    /** Streams floats into the file in 1 MiB chunks, so the test does not hold a second copy of 344 MB. */
    static void writeFloats(WritableByteChannel out, float[] values) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < values.length; ) {
            int n = Math.min(values.length - at, buf.capacity() / 4);
            buf.clear();
            buf.asFloatBuffer().put(values, at, n);
            buf.limit(4 * n);
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            at += n;
        }
    }

    static void addZeros(SafetensorsWriter w, String name, int[] shape) {
        long bytes = Shape.of(shape).numel() * 4;
        w.addStreamed(name, DType.F32, shape, out -> {
            ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
            for (long left = bytes; left > 0; ) {
                zeros.clear();
                zeros.limit((int) Math.min(left, zeros.capacity()));
                left -= zeros.remaining();
                while (zeros.hasRemaining()) {
                    out.write(zeros);
                }
            }
        });
    }

    @Test
    void timmNamesLoadStrictlyAndTheForwardGives197TokensOf768() {
        Map<String, int[]> expected = timmNames();
        Path good = dir.resolve("vit_base.safetensors");
        try (Backbone source = Architectures.create(ARCH, Backends.cpu(), 1)) {
            Map<String, Tensor> params = source.module().namedParameters();
            assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(params.keySet()), "timm's names in timm's order");
            for (Map.Entry<String, int[]> e : expected.entrySet()) {
                assertArrayEquals(e.getValue(), params.get(e.getKey()).shape().dims(), e.getKey());
            }
            assertEquals(85_798_656L, source.module().parameterCount(), "timm's 86,567,656 minus the 1000-class head");
            SafetensorsWriter w = new SafetensorsWriter();
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor t = e.getValue();
                w.addStreamed(e.getKey(), DType.F32, t.shape().dims(), out -> writeFloats(out, t.toFloatArray()));
            }
            float[] head = new float[1000 * 768];
            Random r = new Random(3);
            for (int i = 0; i < head.length; i++) {
                head[i] = (float) r.nextGaussian();
            }
            w.addFloats("head.weight", new int[] {1000, 768}, head);
            w.addFloats("head.bias", new int[] {1000}, new float[1000]);
            w.write(good);

            try (Backbone loaded = Architectures.create(ARCH, Backends.cpu(), 2)) {
                Architectures.loadWeights(loaded, good);
                Map<String, Tensor> got = loaded.module().namedParameters();
                for (Map.Entry<String, Tensor> e : params.entrySet()) {
                    assertArrayEquals(e.getValue().toFloatArray(), got.get(e.getKey()).toFloatArray(), e.getKey());
                }
                try (Tensor x = Tensor.randn(Backends.cpu(), new Random(4), 1f, 1, 3, 224, 224).untrack();
                     var noGrad = GradMode.noGrad()) {
                    List<Shape> layers = new ArrayList<>();
                    try (Tensor out = loaded.forward(x, o -> layers.add(o.tokens().shape()))) {
                        assertEquals(Shape.of(1, 197, 768), out.shape());
                        assertEquals(12, layers.size());
                        layers.forEach(s -> assertEquals(Shape.of(1, 197, 768), s));
                        float[] v = out.toFloatArray();
                        for (float f : v) {
                            assertTrue(Float.isFinite(f), "non-finite output");
                        }
                        // the final norm has weight 1 and bias 0 at init: every token is normalised
                        double mean = 0;
                        double sq = 0;
                        for (int i = 0; i < 768; i++) {
                            mean += v[i];
                            sq += (double) v[i] * v[i];
                        }
                        assertEquals(0, mean / 768, 1e-4);
                        assertEquals(1, sq / 768, 1e-3);
                    }
                }
            }
        }
    }

    @Test
    void missingAndMisShapedTensorsAreRejectedByName() {
        Path bad = dir.resolve("bad.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, int[]> e : timmNames().entrySet()) {
            switch (e.getKey()) {
                case "blocks.11.mlp.fc2.bias" -> { } // missing
                case "blocks.3.attn.qkv.weight" -> addZeros(w, e.getKey(), new int[] {2304, 769});
                default -> addZeros(w, e.getKey(), e.getValue());
            }
        }
        addZeros(w, "head.weight", new int[] {1000, 768});
        addZeros(w, "blocks.12.norm1.weight", new int[] {768});
        w.write(bad);
        try (Backbone model = Architectures.create(ARCH, Backends.cpu(), 1)) {
            float[] before = model.module().namedParameters().get("norm.weight").toFloatArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architectures.loadWeights(model, bad));
            String m = e.getMessage();
            assertTrue(m.contains("3 problem"), m);
            assertTrue(m.contains("missing tensor 'blocks.11.mlp.fc2.bias' [768]"), m);
            assertTrue(m.contains("'blocks.3.attn.qkv.weight' has shape [2304, 769], the model expects [2304, 768]"), m);
            assertTrue(m.contains("unexpected tensor 'blocks.12.norm1.weight'"), m);
            assertTrue(!m.contains("head.weight"), "classifier heads are ignored: " + m);
            assertArrayEquals(before, model.module().namedParameters().get("norm.weight").toFloatArray(), "nothing loaded");
        }
    }
}
