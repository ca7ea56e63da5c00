package org.mettle.io;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mettle.tensor.DType;

/**
 * The validated content of a safetensors JSON header: metadata in file order and the tensor entries in file order.
 * {@link #parse} checks everything the format requires except "no holes" (gaps between tensors are accepted,
 * overlaps are not), so that the reader never indexes outside the file.
 */
record SafetensorsHeader(Map<String, String> metadata, List<TensorInfo> tensors) {
    static final String METADATA_KEY = "__metadata__";

    /** Dtypes the safetensors format defines but this engine does not store, to tell them from typos. */
    private static final Set<String> OTHER_FORMAT_DTYPES = Set.of(
            "BOOL", "U8", "I8", "I16", "U16", "U32", "U64", "F64", "C64",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4");

    static SafetensorsHeader parse(String text, long dataLength, Path path) {
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            if (e.duplicateKey() != null && e.objectDepth() == 1) {
                String what = e.duplicateKey().equals(METADATA_KEY) ? METADATA_KEY : "tensor '" + e.duplicateKey() + "'";
                throw new SafetensorsException(path + ": " + what + " appears more than once in the header (second at header character "
                        + e.position() + ")");
            }
            throw new SafetensorsException(path + ": header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> entries)) {
            throw new SafetensorsException(path + ": header is a JSON " + Json.typeName(root) + ", expected a JSON object");
        }
        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String name = (String) entry.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = parseMetadata(entry.getValue(), path);
            } else {
                tensors.add(parseTensor(name, entry.getValue(), dataLength, path));
            }
        }
        checkNoOverlap(tensors, path);
        return new SafetensorsHeader(metadata, Collections.unmodifiableList(tensors));
    }

    private static Map<String, String> parseMetadata(Object value, Path path) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsException(path + ": " + METADATA_KEY + " is a JSON " + Json.typeName(value)
                    + ", expected an object of string values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsException(path + ": " + METADATA_KEY + " value for key '" + e.getKey() + "' is a JSON "
                        + Json.typeName(e.getValue()) + ", expected a string (safetensors metadata is string to string)");
            }
            out.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo parseTensor(String name, Object value, long dataLength, Path path) {
        String where = path + ": tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> fields)) {
            throw new SafetensorsException(where + " is a JSON " + Json.typeName(value)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        DType dtype = parseDtype(required(fields, "dtype", where), where);
        int[] shape = parseShape(required(fields, "shape", where), where);
        long numel = 1;
        for (int d : shape) {
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException e) {
                throw new SafetensorsException(where + ": element count of shape " + Arrays.toString(shape) + " overflows 64 bits");
            }
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + ": byte size of shape " + Arrays.toString(shape) + " x " + dtype
                    + " overflows 64 bits");
        }
        long[] offsets = parseOffsets(required(fields, "data_offsets", where), where);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] has begin > end");
        }
        if (end > dataLength) {
            throw new SafetensorsException(where + ": data_offsets end " + end + " is past the end of the data section ("
                    + dataLength + " bytes); the file is truncated or its header is wrong");
        }
        if (end - begin != expectedBytes) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes, but shape " + Arrays.toString(shape) + " x " + dtype + " needs " + expectedBytes + " bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end - begin);
    }

    private static Object required(Map<?, ?> fields, String field, String where) {
        if (!fields.containsKey(field)) {
            throw new SafetensorsException(where + " has no '" + field + "' field (each tensor needs dtype, shape and data_offsets)");
        }
        return fields.get(field);
    }

    private static DType parseDtype(Object value, String where) {
        if (!(value instanceof String s)) {
            throw new SafetensorsException(where + ": dtype is a JSON " + Json.typeName(value) + ", expected a string such as \"F32\"");
        }
        DType dtype = DType.fromSafetensorsName(s);
        if (dtype != null) {
            return dtype;
        }
        String supported = Arrays.toString(DType.values());
        if (OTHER_FORMAT_DTYPES.contains(s)) {
            throw new SafetensorsException(where + ": dtype " + s + " is not supported by this engine (supported: " + supported
                    + "); convert the tensor before saving");
        }
        throw new SafetensorsException(where + ": unknown dtype '" + s + "' (supported: " + supported + ")");
    }

    private static int[] parseShape(Object value, String where) {
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsException(where + ": shape is a JSON " + Json.typeName(value) + ", expected an array of integers");
        }
        int[] shape = new int[list.size()];
        for (int i = 0; i < shape.length; i++) {
            Object d = list.get(i);
            if (d instanceof BigInteger big) {
                throw new SafetensorsException(where + ": shape dim " + i + " is " + big + ", larger than the int dims this engine supports");
            }
            if (!(d instanceof Long dim)) {
                throw new SafetensorsException(where + ": shape dim " + i + " is " + Json.describe(d) + ", expected a non-negative integer");
            }
            if (dim < 0) {
                throw new SafetensorsException(where + ": shape dim " + i + " is negative (" + dim + ")");
            }
            if (dim > Integer.MAX_VALUE) {
                throw new SafetensorsException(where + ": shape dim " + i + " is " + dim + ", larger than the int dims this engine supports ("
                        + Integer.MAX_VALUE + ")");
            }
            shape[i] = (int) (long) dim;
        }
        return shape;
    }

    private static long[] parseOffsets(Object value, String where) {
        if (!(value instanceof List<?> list) || list.size() != 2) {
            throw new SafetensorsException(where + ": data_offsets is " + Json.describe(value) + ", expected [begin, end]");
        }
        long[] out = new long[2];
        for (int i = 0; i < 2; i++) {
            Object v = list.get(i);
            if (v instanceof BigInteger big) {
                throw new SafetensorsException(where + ": data_offsets " + (i == 0 ? "begin" : "end") + " " + big + " is out of range");
            }
            if (!(v instanceof Long n) || n < 0) {
                throw new SafetensorsException(where + ": data_offsets " + (i == 0 ? "begin" : "end") + " is "
                        + Json.describe(v) + ", expected a non-negative integer");
            }
            out[i] = n;
        }
        return out;
    }

    /** Non-empty tensors must not share bytes; empty tensors occupy nothing and may sit anywhere. */
    private static void checkNoOverlap(List<TensorInfo> tensors, Path path) {
        List<TensorInfo> byOffset = new ArrayList<>();
        for (TensorInfo t : tensors) {
            if (t.byteLength() > 0) {
                byOffset.add(t);
            }
        }
        byOffset.sort(Comparator.comparingLong(TensorInfo::dataOffset));
        TensorInfo furthest = null;
        for (TensorInfo t : byOffset) {
            long furthestEnd = furthest == null ? 0 : furthest.dataOffset() + furthest.byteLength();
            if (furthest != null && t.dataOffset() < furthestEnd) {
                throw new SafetensorsException(path + ": tensors '" + furthest.name() + "' [" + furthest.dataOffset() + ", "
                        + furthestEnd + ") and '" + t.name() + "' [" + t.dataOffset() + ", " + (t.dataOffset() + t.byteLength())
                        + ") overlap in the data section");
            }
            if (t.dataOffset() + t.byteLength() > furthestEnd) {
                furthest = t;
            }
        }
    }
}
