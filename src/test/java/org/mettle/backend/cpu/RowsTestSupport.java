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
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/** Shared helpers of the CPU kernel tests: golden fixtures, random data, tolerant comparisons, finite differences. */
final class RowsTestSupport {
    private static final String GOLDEN = "/golden/rows/";
    private static Map<String, int[]> shapes;
    private static Map<String, String> dtypes;

    private RowsTestSupport() {}

    /** Skips (reported as skipped, never as passed) when the Vector API module is absent. */
    static void assumeVector() {
        Assumptions.assumeTrue(VectorSupport.available(),
                "jdk.incubator.vector is not in this JVM; start it with --add-modules jdk.incubator.vector");
    }

    // ---- golden fixtures (written by src/test/python/make_row_fixtures.py) ----

    static synchronized int[] shape(String name) {
        if (shapes == null) {
            shapes = new HashMap<>();
            dtypes = new HashMap<>();
            String json = new String(readResource("index.json"), StandardCharsets.UTF_8);
            Matcher m = Pattern.compile("\"(\\w+)\":\\s*\\{\\s*\"dtype\":\\s*\"(\\w+)\",\\s*\"shape\":\\s*\\[([^\\]]*)\\]")
                    .matcher(json);
            while (m.find()) {
                String dims = m.group(3).trim();
                int[] shape = dims.isEmpty() ? new int[0]
                        : java.util.Arrays.stream(dims.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
                shapes.put(m.group(1), shape);
                dtypes.put(m.group(1), m.group(2));
            }
        }
        int[] s = shapes.get(name);
        assertNotNull(s, "golden tensor '" + name + "' missing from index.json; rerun make_row_fixtures.py");
        return s;
    }

    static float[] golden(String name) {
        shape(name);
        assertEquals("f32", dtypes.get(name), name);
        ByteBuffer b = ByteBuffer.wrap(readResource(name + ".bin")).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    static int[] goldenInts(String name) {
        shape(name);
        assertEquals("i32", dtypes.get(name), name);
        ByteBuffer b = ByteBuffer.wrap(readResource(name + ".bin")).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    private static byte[] readResource(String file) {
        try (InputStream in = RowsTestSupport.class.getResourceAsStream(GOLDEN + file)) {
            assertNotNull(in, "missing test resource " + GOLDEN + file + "; run src/test/python/make_row_fixtures.py");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- data ----

    static float[] uniform(Random rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return a;
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (scale * rnd.nextGaussian());
        }
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    // ---- comparisons ----

    /** |actual - expected| <= atol + rtol * |expected| elementwise; NaN must match NaN, infinities must match. */
    static void assertClose(String what, double[] expected, float[] actual, int actualOff, int n, double atol,
            double rtol) {
        for (int i = 0; i < n; i++) {
            double e = expected[i];
            float a = actual[actualOff + i];
            if (Double.isNaN(e) || Double.isInfinite(e)) {
                if (Double.compare(e, a) != 0 && !(Double.isNaN(e) && Float.isNaN(a))) {
                    fail(what + ": element " + i + " expected " + e + " but was " + a);
                }
                continue;
            }
            double err = Math.abs(a - e);
            if (!(err <= atol + rtol * Math.abs(e))) {
                fail(what + ": element " + i + " of " + n + " expected " + e + " but was " + a + " (error " + err
                        + " > atol " + atol + " + rtol " + rtol + " * |expected|)");
            }
        }
    }

    static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        assertEquals(expected.length, actual.length, what + ": length");
        assertClose(what, expected, actual, 0, expected.length, atol, rtol);
    }

    static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        assertClose(what, toDouble(expected), actual, atol, rtol);
    }

    static void assertClose(String what, double expected, double actual, double atol, double rtol) {
        double err = Math.abs(actual - expected);
        if (!(err <= atol + rtol * Math.abs(expected))) {
            fail(what + ": expected " + expected + " but was " + actual + " (error " + err + ")");
        }
    }

    // ---- finite differences ----

    /** Central differences of a double scalar function at x (all coordinates), step h. */
    static double[] numericGradient(Function<double[], Double> f, double[] x, double h) {
        double[] g = new double[x.length];
        double[] probe = x.clone();
        for (int j = 0; j < x.length; j++) {
            double keep = probe[j];
            probe[j] = keep + h;
            double plus = f.apply(probe);
            probe[j] = keep - h;
            double minus = f.apply(probe);
            probe[j] = keep;
            g[j] = (plus - minus) / (2 * h);
        }
        return g;
    }

    /** Central difference of a one-variable function. */
    static double derivative(DoubleUnaryOperator f, double x, double h) {
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }

    /** sum_i w[i] * y[i]: the scalar whose gradient a backward with upstream w computes. */
    static double dot(double[] w, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += w[i] * y[i];
        }
        return s;
    }
}
