package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed files must fail at open with a SafetensorsException naming the file and, where relevant, the tensor. */
class SafetensorsCorruptFileTest {
    @TempDir
    Path dir;

    /** A file with the given header text (length prefix computed) followed by dataBytes zero bytes. */
    private Path file(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(name, prefix(h.length), h, new byte[dataBytes]);
    }

    private Path raw(String name, byte[]... parts) throws IOException {
        Path p = dir.resolve(name + ".safetensors");
        int n = 0;
        for (byte[] part : parts) {
            n += part.length;
        }
        ByteBuffer all = ByteBuffer.allocate(n);
        for (byte[] part : parts) {
            all.put(part);
        }
        Files.write(p, all.array());
        return p;
    }

    private static byte[] prefix(long headerLength) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    /** Opening p fails with a SafetensorsException whose message contains p's file name and every fragment. */
    private static SafetensorsException assertRejected(Path p, String... fragments) {
        SafetensorsException e;
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            fail("opened " + p.getFileName() + " with tensors " + f.names() + " but it should have been rejected");
            return null;
        } catch (SafetensorsException thrown) {
            e = thrown;
        }
        String m = e.getMessage();
        assertTrue(m.contains(p.getFileName().toString()), "message should name the file: " + m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), "message should contain '" + fragment + "': " + m);
        }
        return e;
    }

    @Test
    void truncatedOrTinyFiles() throws IOException {
        assertRejected(raw("empty"), "0 bytes, shorter than the 8-byte header length");
        assertRejected(raw("five", new byte[5]), "5 bytes");
        Path good = dir.resolve("good.safetensors");
        new SafetensorsWriter().addFloats("weight", new int[] {4, 4}, new float[16]).write(good);
        byte[] all = Files.readAllBytes(good);
        byte[] cut = java.util.Arrays.copyOf(all, all.length - 3);
        assertRejected(raw("truncated_data", cut), "'weight'", "past the end of the data section");
        byte[] cutHeader = java.util.Arrays.copyOf(all, 20);
        assertRejected(raw("truncated_header", cutHeader), "larger than the 12 bytes after the length prefix");
    }

    @Test
    void headerLengthsThatCannotBeRight() throws IOException {
        assertRejected(raw("huge_header", prefix(200L * 1024 * 1024), "{}".getBytes(StandardCharsets.UTF_8)),
                "header length 209715200 exceeds the limit of 104857600");
        assertRejected(raw("all_ones_header", prefix(-1L), new byte[16]), "header length 18446744073709551615 exceeds");
        assertRejected(raw("header_past_end", prefix(1000), "{}".getBytes(StandardCharsets.UTF_8)),
                "header length 1000 is larger than the 2 bytes");
        assertRejected(raw("zero_header", prefix(0)), "not valid JSON", "unexpected end of input");
    }

    @Test
    void headersThatAreNotAJsonObject() throws IOException {
        assertRejected(file("not_json", "hello, world", 0), "header is not valid JSON", "at character 0");
        assertRejected(file("trailing_garbage", "{} x", 0), "header is not valid JSON", "after the end");
        assertRejected(file("array_header", "[1, 2]", 0), "header is a JSON array, expected a JSON object");
        assertRejected(file("deep_header", "{\"a\":" + "[".repeat(500), 0), "nesting deeper than");
        byte[] badUtf8 = {'{', '"', 'a', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertRejected(raw("bad_utf8", prefix(badUtf8.length), badUtf8), "not valid UTF-8", "offset 3");
        assertRejected(file("lone_surrogate", "{\"\\ud800\":1}", 0), "lone high surrogate");
    }

    @Test
    void entriesMissingFieldsOrOfWrongType() throws IOException {
        assertRejected(file("entry_number", "{\"w\": 5}", 0), "tensor 'w' is a JSON number, expected an object");
        assertRejected(file("no_dtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'w' has no 'dtype'");
        assertRejected(file("no_shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "tensor 'w' has no 'shape'");
        assertRejected(file("no_offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'w' has no 'data_offsets'");
        assertRejected(file("dtype_number", "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "dtype is a JSON number");
        assertRejected(file("shape_string", "{" + tensor("w", "F32", "\"1\"", "[0,4]") + "}", 4), "tensor 'w'", "shape is a JSON string");
    }

    @Test
    void unknownAndUnsupportedDtypes() throws IOException {
        assertRejected(file("bad_dtype", "{" + tensor("w", "F33", "[1]", "[0,4]") + "}", 4), "tensor 'w'", "unknown dtype 'F33'");
        assertRejected(file("f64_dtype", "{" + tensor("w", "F64", "[1]", "[0,8]") + "}", 8), "tensor 'w'", "dtype F64 is not supported");
        assertRejected(file("lowercase_dtype", "{" + tensor("w", "f32", "[1]", "[0,4]") + "}", 4), "unknown dtype 'f32'");
    }

    @Test
    void badShapes() throws IOException {
        assertRejected(file("negative_dim", "{" + tensor("w", "F32", "[2,-1]", "[0,0]") + "}", 0), "tensor 'w'", "shape dim 1 is negative (-1)");
        assertRejected(file("fractional_dim", "{" + tensor("w", "F32", "[2.5]", "[0,8]") + "}", 8), "tensor 'w'", "shape dim 0 is 2.5");
        assertRejected(file("string_dim", "{" + tensor("w", "F32", "[\"2\"]", "[0,8]") + "}", 8), "tensor 'w'", "shape dim 0 is the string");
        assertRejected(file("int_overflow_dim", "{" + tensor("w", "F32", "[2147483648]", "[0,4]") + "}", 4),
                "tensor 'w'", "shape dim 0 is 2147483648, larger than the int dims");
        assertRejected(file("huge_dim", "{" + tensor("w", "F32", "[99999999999999999999999]", "[0,4]") + "}", 4), "tensor 'w'", "shape dim 0");
        assertRejected(file("numel_overflow", "{" + tensor("w", "F32", "[2147483647,2147483647,2147483647]", "[0,4]") + "}", 4),
                "tensor 'w'", "element count of shape [2147483647, 2147483647, 2147483647] overflows 64 bits");
        assertRejected(file("bytes_overflow", "{" + tensor("w", "F32", "[2147483647,2147483647,2]", "[0,4]") + "}", 4),
                "tensor 'w'", "byte size", "overflows 64 bits");
    }

    @Test
    void badDataOffsets() throws IOException {
        assertRejected(file("one_offset", "{" + tensor("w", "F32", "[1]", "[0]") + "}", 4), "tensor 'w'", "data_offsets is a JSON array of 1 elements");
        assertRejected(file("three_offsets", "{" + tensor("w", "F32", "[1]", "[0,4,8]") + "}", 8), "tensor 'w'", "expected [begin, end]");
        assertRejected(file("offsets_object", "{" + tensor("w", "F32", "[1]", "{}") + "}", 4), "tensor 'w'", "data_offsets is a JSON object");
        assertRejected(file("string_offset", "{" + tensor("w", "F32", "[1]", "[\"0\",4]") + "}", 4), "tensor 'w'", "data_offsets begin is the string");
        assertRejected(file("float_offset", "{" + tensor("w", "F32", "[1]", "[0,4.0]") + "}", 4), "tensor 'w'", "data_offsets end is 4.0");
        assertRejected(file("negative_offset", "{" + tensor("w", "F32", "[1]", "[-4,0]") + "}", 4), "tensor 'w'", "data_offsets begin is -4");
        assertRejected(file("huge_offset", "{" + tensor("w", "F32", "[1]", "[0,18446744073709551616]") + "}", 4), "tensor 'w'", "out of range");
        assertRejected(file("begin_after_end", "{" + tensor("w", "F32", "[0]", "[8,4]") + "}", 8), "tensor 'w'", "[8, 4] has begin > end");
        assertRejected(file("offsets_past_end", "{" + tensor("w", "F32", "[4]", "[0,16]") + "}", 12),
                "tensor 'w'", "end 16 is past the end of the data section (12 bytes)");
        assertRejected(file("wrong_byte_length", "{" + tensor("w", "F16", "[3]", "[0,8]") + "}", 8),
                "tensor 'w'", "span 8 bytes, but shape [3] x F16 needs 6 bytes");
    }

    @Test
    void overlappingTensorsAreRejectedNamingBoth() throws IOException {
        Path p = file("overlap", "{" + tensor("first", "F32", "[2]", "[0,8]") + "," + tensor("second", "F32", "[2]", "[4,12]") + "}", 12);
        assertRejected(p, "'first' [0, 8)", "'second' [4, 12)", "overlap");
        Path contained = file("contained", "{" + tensor("outer", "F32", "[4]", "[0,16]") + ","
                + tensor("inner", "F32", "[1]", "[4,8]") + "," + tensor("after", "F32", "[1]", "[16,20]") + "}", 20);
        assertRejected(contained, "'outer'", "'inner'");
        Path same = file("same_span", "{" + tensor("a", "I32", "[1]", "[0,4]") + "," + tensor("b", "F32", "[1]", "[0,4]") + "}", 4);
        assertRejected(same, "'a'", "'b'", "overlap");
    }

    @Test
    void duplicateNamesAndBadMetadata() throws IOException {
        assertRejected(file("duplicate", "{" + tensor("w", "F32", "[1]", "[0,4]") + "," + tensor("w", "F32", "[1]", "[4,8]") + "}", 8),
                "tensor 'w' appears more than once");
        assertRejected(file("meta_number", "{\"__metadata__\":{\"epoch\":3}}", 0), "__metadata__ value for key 'epoch' is a JSON number");
        assertRejected(file("meta_array", "{\"__metadata__\":[\"a\"]}", 0), "__metadata__ is a JSON array");
        assertRejected(file("meta_duplicate", "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0), "duplicate key \"k\"");
    }

    @Test
    void holesZeroSizeTensorsExtraFieldsAndNullMetadataAreAccepted() throws IOException {
        // Only overlaps corrupt data; a gap, an empty tensor inside another's span, or an unknown field do not.
        String header = "{\"__metadata__\":null," + tensor("a", "F32", "[1]", "[0,4]") + ","
                + tensor("b", "I32", "[1]", "[8,12]") + "," + tensor("empty", "F32", "[0]", "[2,2]") + ","
                + "\"c\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[12,14],\"extra\":{\"x\":[1]}}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(0, 1.25f).putInt(8, -3).putShort(12, HalfFloats.floatToF16(0.5f));
        Path p = raw("holes", prefix(h.length), h, data.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("a", "b", "c", "empty"), f.names());
            assertTrue(f.metadata().isEmpty());
            assertArrayEquals(new float[] {1.25f}, f.readFloats("a"));
            assertArrayEquals(new int[] {-3}, f.readInts("b"));
            assertArrayEquals(new float[] {0.5f}, f.readFloats("c"));
            assertEquals(0, f.readFloats("empty").length);
            assertEquals(8 + h.length, f.dataStart());
        }
        // An empty header object is a valid file with no tensors.
        try (SafetensorsFile f = SafetensorsFile.open(file("no_tensors", "{}      ", 0))) {
            assertTrue(f.names().isEmpty());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.info("x"));
            assertTrue(e.getMessage().contains("no tensor named 'x' (the file has 0 tensors)"), e.getMessage());
        }
    }
}
