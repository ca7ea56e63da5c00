package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.tensor.DType;

class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    private static float[] randomFloats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 6)));
        }
        return out;
    }

    @Test
    void everyDtypeRoundTripsWithOddShapesScalarsAndEmptyTensors() {
        float[] f32 = randomFloats(3 * 5 * 7, 1);
        f32[0] = Float.NaN;
        f32[1] = Float.NEGATIVE_INFINITY;
        f32[2] = -0f;
        f32[3] = Float.MIN_VALUE;
        float[] halfSource = randomFloats(7 * 3, 2);
        halfSource[0] = 0x1p-24f; // smallest F16 subnormal
        halfSource[1] = 1e5f;     // F16 overflow -> inf
        halfSource[2] = -0f;
        int[] i32 = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE};
        long[] i64 = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 1L << 40};
        Path file = dir.resolve("all.safetensors");
        new SafetensorsWriter()
                .addFloats("f32", new int[] {3, 5, 7}, f32)
                .addFloats("f16", new int[] {7, 1, 3}, halfSource, DType.F16)
                .addFloats("bf16", new int[] {1, 21}, halfSource, DType.BF16)
                .addInts("i32", new int[] {5}, i32)
                .addLongs("i64", new int[] {2, 3}, i64)
                .addFloats("scalar", new int[0], new float[] {2.5f})
                .addInts("scalar_i32", new int[0], new int[] {-9})
                .addFloats("empty", new int[] {0, 4}, new float[0], DType.BF16)
                .addLongs("empty_i64", new int[] {3, 0}, new long[0])
                .metadata("format", "pt")
                .metadata("config", "{\"dim\": 8, \"note\": \"quotes \\\" and \\n newlines\"}")
                .write(file);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("bf16", "empty", "empty_i64", "f16", "f32", "i32", "i64", "scalar", "scalar_i32"), f.names());
            assertEquals(Map.of("format", "pt", "config", "{\"dim\": 8, \"note\": \"quotes \\\" and \\n newlines\"}"), f.metadata());
            assertArrayEquals(bits(f32), bits(f.readFloats("f32")));
            assertArrayEquals(bits(expectedF16(halfSource)), bits(f.readFloats("f16")));
            assertArrayEquals(bits(expectedBf16(halfSource)), bits(f.readFloats("bf16")));
            assertEquals(Float.POSITIVE_INFINITY, f.readFloats("f16")[1]);
            assertEquals(0x1p-24f, f.readFloats("f16")[0]);
            assertArrayEquals(i32, f.readInts("i32"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE}, f.readLongs("i32"));
            assertArrayEquals(i64, f.readLongs("i64"));
            assertArrayEquals(new float[] {2.5f}, f.readFloats("scalar"));
            assertArrayEquals(new int[] {-9}, f.readInts("scalar_i32"));
            assertEquals(0, f.readFloats("empty").length);
            assertEquals(0, f.readLongs("empty_i64").length);
            assertEquals(0, f.bytes("empty").remaining());

            TensorInfo info = f.info("f16");
            assertEquals(DType.F16, info.dtype());
            assertArrayEquals(new int[] {7, 1, 3}, info.shape());
            assertEquals(21 * 2, info.byteLength());
            assertEquals(21, info.numel());
            assertEquals(0, f.info("scalar").shape().length);
            assertEquals(1, f.info("scalar").numel());
            for (TensorInfo t : f.tensors()) {
                assertEquals(0, t.dataOffset() % t.dtype().byteSize(), t + " is aligned to its element size");
            }
            // bytes() is a read-only little-endian view of exactly the tensor.
            ByteBuffer raw = f.bytes("i32");
            assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
            assertEquals(20, raw.remaining());
            assertEquals(Integer.MIN_VALUE, raw.getInt(0));
            assertThrows(ReadOnlyBufferException.class, () -> raw.putInt(0, 1));
            assertEquals(Integer.MAX_VALUE, f.bytes("i32", 16, 4).getInt(0));
            assertTrue(f.contains("i64"));
            assertFalse(f.contains("I64"));
        }
    }

    @Test
    void writerLayoutIsPaddedContiguousAndSortedLikeTheReference() throws Exception {
        Path file = dir.resolve("layout.safetensors");
        new SafetensorsWriter()
                .addFloats("b", new int[] {3}, new float[] {1, 2, 3}, DType.F16) // 6 bytes
                .addFloats("a", new int[] {1}, new float[] {4})
                .addLongs("c", new int[] {1}, new long[] {5})
                .metadata("k", "v")
                .write(file);
        byte[] all = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8, "header padded to a multiple of 8");
        String header = new String(all, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"k\":\"v\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[12,18]},"
                + "\"c\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        assertEquals(8 + headerLength + 18, all.length, "no holes, nothing after the last tensor");
    }

    @Test
    void unicodeNamesAndMetadataSurviveTheRoundTrip() {
        String name = "layers.0.\u00e9\u00e8.\u4e2d\u6587.\uD83D\uDE42 \"quoted\" back\\slash";
        Path file = dir.resolve("unicode \u00fc.safetensors");
        new SafetensorsWriter()
                .addFloats(name, new int[] {2}, new float[] {1, 2})
                .metadata("\u00fc\u00df", "\uD83D\uDE42\n\t\u0001")
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of(name), f.names());
            assertArrayEquals(new float[] {1, 2}, f.readFloats(name));
            assertEquals(Map.of("\u00fc\u00df", "\uD83D\uDE42\n\t\u0001"), f.metadata());
        }
    }

    @Test
    void streamedAndBufferTensorsAreWrittenAsGiven() {
        ByteBuffer direct = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN);
        direct.putInt(0).putFloat(1.5f).putFloat(-2f).putInt(99); // the first and last ints are outside the view
        direct.position(4).limit(12);
        Path file = dir.resolve("streamed.safetensors");
        new SafetensorsWriter()
                .add("view", DType.F32, new int[] {2}, direct)
                .addStreamed("streamed", DType.I32, new int[] {3}, out -> {
                    ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(8).putInt(9).flip();
                    // Written in two pieces: a source may write as it produces.
                    out.write(b.duplicate().limit(4));
                    out.write(b.position(4));
                })
                .write(file);
        assertEquals(4, direct.position(), "the caller's buffer position is untouched");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {1.5f, -2f}, f.readFloats("view"));
            assertArrayEquals(new int[] {7, 8, 9}, f.readInts("streamed"));
        }
    }

    @Test
    void aWriterCanWriteTwiceAndReplaceAFile() {
        Path file = dir.resolve("twice.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().addInts("x", new int[] {2}, new int[] {1, 2});
        w.write(file);
        w.addInts("y", new int[] {1}, new int[] {3});
        w.write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("x", "y"), f.names());
            assertArrayEquals(new int[] {1, 2}, f.readInts("x"));
        }
    }

    @Test
    void readsInSeveralWindowsWhenATensorIsLargerThanOneMapping() {
        float[] f32 = randomFloats(1001, 3);
        float[] half = randomFloats(777, 4);
        long[] longs = new long[333];
        for (int i = 0; i < longs.length; i++) {
            longs[i] = (long) i * 1_000_003L - 77;
        }
        Path file = dir.resolve("windows.safetensors");
        new SafetensorsWriter()
                .addFloats("f32", new int[] {7, 11, 13}, f32)
                .addFloats("bf16", new int[] {777}, half, DType.BF16)
                .addFloats("f16", new int[] {777}, half, DType.F16)
                .addLongs("i64", new int[] {333}, longs)
                .write(file);
        // 100-byte windows: 25 floats, 50 halves or 12 longs per mapping, with partial last windows.
        try (SafetensorsFile f = SafetensorsFile.open(file, 100)) {
            assertArrayEquals(bits(f32), bits(f.readFloats("f32")));
            assertArrayEquals(bits(expectedBf16(half)), bits(f.readFloats("bf16")));
            assertArrayEquals(bits(expectedF16(half)), bits(f.readFloats("f16")));
            assertArrayEquals(longs, f.readLongs("i64"));
            int[] narrowed = f.readInts("i64"); // every value fits an int
            for (int i = 0; i < longs.length; i++) {
                assertEquals(longs[i], narrowed[i]);
            }
        }
    }

    @Test
    void readErrorsNameTheFileTensorAndWhatToDo() {
        Path file = dir.resolve("errors.safetensors");
        new SafetensorsWriter()
                .addFloats("encoder.layers.0.attn.qkv.weight", new int[] {1}, new float[] {1})
                .addFloats("encoder.layers.0.attn.proj.weight", new int[] {1}, new float[] {1})
                .addFloats("encoder.layers.1.mlp.fc1.weight", new int[] {1}, new float[] {1})
                .addInts("counts", new int[] {1}, new int[] {1})
                .addLongs("big", new int[] {2}, new long[] {5, 1L << 33})
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            SafetensorsException unknown = assertThrows(SafetensorsException.class, () -> f.readFloats("encoder.layers.0.attn.qkv.wieght"));
            assertTrue(unknown.getMessage().contains("errors.safetensors"), unknown.getMessage());
            assertTrue(unknown.getMessage().contains("'encoder.layers.0.attn.qkv.wieght'"), unknown.getMessage());
            assertTrue(unknown.getMessage().contains("closest names: encoder.layers.0.attn.qkv.weight, encoder.layers.0.attn.proj.weight"),
                    unknown.getMessage());

            SafetensorsException intAsFloat = assertThrows(SafetensorsException.class, () -> f.readFloats("counts"));
            assertTrue(intAsFloat.getMessage().contains("'counts' has dtype I32"), intAsFloat.getMessage());
            assertTrue(intAsFloat.getMessage().contains("readInts"), intAsFloat.getMessage());
            SafetensorsException floatAsInt = assertThrows(SafetensorsException.class, () -> f.readInts("encoder.layers.1.mlp.fc1.weight"));
            assertTrue(floatAsInt.getMessage().contains("has dtype F32"), floatAsInt.getMessage());
            assertThrows(SafetensorsException.class, () -> f.readLongs("encoder.layers.1.mlp.fc1.weight"));

            SafetensorsException range = assertThrows(SafetensorsException.class, () -> f.readInts("big"));
            assertTrue(range.getMessage().contains("'big' (I64) element 1 is 8589934592"), range.getMessage());
            assertArrayEquals(new long[] {5, 1L << 33}, f.readLongs("big"));

            SafetensorsException outside = assertThrows(SafetensorsException.class, () -> f.bytes("big", 12, 8));
            assertTrue(outside.getMessage().contains("outside tensor 'big', which is 16 bytes"), outside.getMessage());
            assertThrows(SafetensorsException.class, () -> f.bytes("big", -1, 1));
        }
        SafetensorsFile closed = SafetensorsFile.open(file);
        closed.close();
        SafetensorsException afterClose = assertThrows(SafetensorsException.class, () -> closed.readInts("counts"));
        assertTrue(afterClose.getMessage().contains("closed"), afterClose.getMessage());
        SafetensorsException missing = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(dir.resolve("nope.safetensors")));
        assertTrue(missing.getMessage().contains("nope.safetensors") && missing.getMessage().contains("does not exist"), missing.getMessage());
    }

    @Test
    void writerRejectsBadInputNamingTheTensor() {
        SafetensorsWriter w = new SafetensorsWriter().addFloats("w", new int[] {1}, new float[] {1});
        assertMessage(() -> w.addFloats("w", new int[] {1}, new float[] {1}), "tensor 'w' was already added");
        assertMessage(() -> w.addFloats("", new int[] {1}, new float[] {1}), "tensor name is empty");
        assertMessage(() -> w.addFloats("__metadata__", new int[] {1}, new float[] {1}), "reserved");
        assertMessage(() -> w.addFloats("x", new int[] {2, 3}, new float[5]), "tensor 'x': shape [2, 3] has 6 elements, but 5 floats");
        assertMessage(() -> w.addInts("x", new int[] {2, -1}, new int[0]), "tensor 'x': negative dim in shape [2, -1]");
        assertMessage(() -> w.addFloats("x", new int[] {1}, new float[1], DType.I32), "addFloats stores F32, F16 or BF16");
        assertMessage(() -> w.add("x", DType.F16, new int[] {3}, ByteBuffer.allocate(5)), "needs 6 bytes, but the buffer has 5");
        assertMessage(() -> w.addLongs("x", new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, new long[0]),
                "overflows");
        assertMessage(() -> w.addFloats("bad\uD800", new int[] {1}, new float[1]), "unpaired surrogate at index 3");
        assertMessage(() -> w.addFloats("x", null, new float[1]), "use new int[0] for a scalar");
        assertMessage(() -> w.metadata("k", null), "metadata value for key 'k' is null");
        SafetensorsException noDir = assertThrows(SafetensorsException.class, () -> w.write(dir.resolve("missing/sub/w.safetensors")));
        assertTrue(noDir.getMessage().contains("does not exist"), noDir.getMessage());
    }

    private static void assertMessage(Runnable action, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void channelsFromStreamsWorkAsSources() {
        Path file = dir.resolve("stream.safetensors");
        byte[] payload = {1, 0, 2, 0, 3, 0};
        new SafetensorsWriter()
                .addStreamed("s", DType.F16, new int[] {3}, out -> Channels.newOutputStream(out).write(payload))
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertArrayEquals(new float[] {0x1p-24f, 0x2p-24f, 0x3p-24f}, f.readFloats("s"));
        }
    }

    static float[] expectedF16(float[] values) {
        return HalfFloats.fromF16(HalfFloats.toF16(values));
    }

    static float[] expectedBf16(float[] values) {
        return HalfFloats.fromBf16(HalfFloats.toBf16(values));
    }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
