package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Test support for the spatial kernels: reads the golden safetensors files written by
 * src/test/python/make_spatial_fixtures.py (tensors "case.name", case parameters in __metadata__ as
 * "key=value ..." strings), compares arrays with a tolerance, and builds random inputs.
 */
final class SpatialGolden {
    private final Map<String, Object> header;
    private final ByteBuffer data;
    /** Case name -> its parameters, sorted by case name. */
    final Map<String, Map<String, String>> cases = new TreeMap<>();

    private SpatialGolden(Map<String, Object> header, ByteBuffer data) {
        this.header = header;
        this.data = data;
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) header.getOrDefault("__metadata__", Map.of());
        for (Map.Entry<String, Object> e : meta.entrySet()) {
            Map<String, String> params = new LinkedHashMap<>();
            for (String kv : ((String) e.getValue()).trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                params.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            cases.put(e.getKey(), params);
        }
    }

    static SpatialGolden load(String fileName) {
        String resource = "/golden/spatial/" + fileName;
        try (InputStream s = SpatialGolden.class.getResourceAsStream(resource)) {
            assertNotNull(s, "missing test resource " + resource + " (run src/test/python/make_spatial_fixtures.py)");
            byte[] bytes = s.readAllBytes();
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int headerLen = (int) buf.getLong(0);
            String json = new String(bytes, 8, headerLen, StandardCharsets.UTF_8);
            @SuppressWarnings("unchecked")
            Map<String, Object> header = (Map<String, Object>) new Json(json).value();
            ByteBuffer data = ByteBuffer.wrap(bytes, 8 + headerLen, bytes.length - 8 - headerLen).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            return new SpatialGolden(header, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Case names whose name starts with {@code prefix}. */
    List<String> casesStartingWith(String prefix) {
        List<String> names = new ArrayList<>();
        for (String c : cases.keySet()) {
            if (c.startsWith(prefix)) {
                names.add(c);
            }
        }
        if (names.isEmpty()) {
            fail("no golden cases named " + prefix + "* (regenerate the fixtures)");
        }
        return names;
    }

    int intParam(String c, String key) {
        return Integer.parseInt(param(c, key));
    }

    double doubleParam(String c, String key) {
        return Double.parseDouble(param(c, key));
    }

    boolean boolParam(String c, String key) {
        return Boolean.parseBoolean(param(c, key));
    }

    String param(String c, String key) {
        String v = cases.get(c).get(key);
        assertNotNull(v, "golden case " + c + " has no parameter " + key);
        return v;
    }

    int[] shape(String c, String name) {
        List<?> dims = (List<?>) entry(c, name).get("shape");
        return dims.stream().mapToInt(d -> ((Long) d).intValue()).toArray();
    }

    float[] floats(String c, String name) {
        Map<String, Object> e = entry(c, name);
        assertEquals("F32", e.get("dtype"), c + "." + name);
        int[] range = range(e);
        float[] out = new float[(range[1] - range[0]) / 4];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(range[0]).asFloatBuffer().get(out);
        return out;
    }

    int[] ints(String c, String name) {
        Map<String, Object> e = entry(c, name);
        assertEquals("I32", e.get("dtype"), c + "." + name);
        int[] range = range(e);
        int[] out = new int[(range[1] - range[0]) / 4];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(range[0]).asIntBuffer().get(out);
        return out;
    }

    private static int[] range(Map<String, Object> e) {
        List<?> r = (List<?>) e.get("data_offsets");
        return new int[] {((Long) r.get(0)).intValue(), ((Long) r.get(1)).intValue()};
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> entry(String c, String name) {
        Object e = header.get(c + "." + name);
        assertNotNull(e, "golden tensor " + c + "." + name + " is missing");
        return (Map<String, Object>) e;
    }

    // ---------------------------------------------------------------- comparisons and random data

    /** |actual - expected| <= rtol * |expected| + atol * max|expected| elementwise. */
    static void assertClose(String what, float[] expected, float[] actual, int actualOff, double rtol, double atol) {
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[actualOff + i];
            if (!(Math.abs(a - e) <= rtol * Math.abs(e) + atol * scale)) {
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (of " + expected.length + ")");
            }
        }
    }

    static void assertClose(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        assertClose(what, expected, actual, 0, 1e-5, 1e-6);
    }

    static float[] randn(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /** Asserts two dot products agree relative to the sum of absolute terms (float rounding only). */
    static void assertAdjoint(String what, double lhs, double rhs, double magnitude) {
        if (!(Math.abs(lhs - rhs) <= 1e-5 * Math.max(1, magnitude))) {
            fail(what + ": <A x, y> = " + lhs + " but <x, A^T y> = " + rhs);
        }
    }

    static float[] copyOf(float[] a) {
        return Arrays.copyOf(a, a.length);
    }

    // ---------------------------------------------------------------- minimal JSON (objects, arrays, strings, numbers)

    private static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            skipSpace();
            char ch = s.charAt(i);
            if (ch == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                skipSpace();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    m.put(key, value());
                    skipSpace();
                    if (s.charAt(i++) == '}') {
                        return m;
                    }
                }
            }
            if (ch == '[') {
                List<Object> list = new ArrayList<>();
                i++;
                skipSpace();
                if (s.charAt(i) == ']') {
                    i++;
                    return list;
                }
                while (true) {
                    list.add(value());
                    skipSpace();
                    if (s.charAt(i++) == ']') {
                        return list;
                    }
                }
            }
            if (ch == '"') {
                return string();
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            String num = s.substring(start, i);
            if (num.isEmpty()) {
                throw new IllegalStateException("unexpected JSON at " + start + ": " + s.substring(start));
            }
            return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char ch = s.charAt(i++);
                if (ch == '"') {
                    return b.toString();
                }
                if (ch == '\\') {
                    char esc = s.charAt(i++);
                    switch (esc) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(esc);
                    }
                } else {
                    b.append(ch);
                }
            }
        }

        private void expect(char ch) {
            if (s.charAt(i) != ch) {
                throw new IllegalStateException("expected '" + ch + "' at " + i + " in JSON header");
            }
            i++;
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }
}
