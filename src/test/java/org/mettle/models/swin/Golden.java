package org.mettle.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mettle.io.SafetensorsFile;
import org.mettle.tensor.Tensor;

/** Test support: golden fixture files under src/test/resources/golden and the relative-error comparison. */
public final class Golden {
    private Golden() {}

    /** The fixture file's path (the scripts in src/test/python write them). */
    public static Path path(String dir, String file) {
        URL url = Golden.class.getResource("/golden/" + dir + "/" + file);
        assertNotNull(url, "missing test resource golden/" + dir + "/" + file + " (run src/test/python/make_" + dir + "_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CPU tensor from a fixture tensor. */
    public static Tensor tensor(SafetensorsFile f, String name) {
        assertTrue(f.contains(name), f.path() + " has no tensor '" + name + "'");
        return Tensor.of(f.readFloats(name), f.info(name).shape());
    }

    /** max|a - b| / max|b| (the relative error). */
    public static double relativeError(float[] actual, float[] expected) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < expected.length; i++) {
            diff = Math.max(diff, Math.abs((double) actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs((double) expected[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    /** Asserts shape equality and relative error at most tol; returns the error. */
    public static double assertClose(String what, Tensor actual, SafetensorsFile f, String name, double tol) {
        assertArrayEquals(f.info(name).shape(), actual.shape().dims(), what + ": shape");
        float[] expected = f.readFloats(name);
        float[] got = actual.toFloatArray();
        for (float v : got) {
            assertTrue(Float.isFinite(v), what + ": non-finite value");
        }
        double err = relativeError(got, expected);
        assertTrue(err <= tol, what + ": relative error " + err + " > " + tol);
        return err;
    }

    /** name -> "dtype<TAB>dims" lines of a names.txt fixture, in file order. */
    public static Map<String, int[]> names(Path file) {
        Map<String, int[]> out = new LinkedHashMap<>();
        try {
            List<String> lines = Files.readAllLines(file);
            for (String line : lines) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.split("\t", -1);
                int[] dims = parts[2].isEmpty() ? new int[0] : java.util.Arrays.stream(parts[2].split(",")).mapToInt(Integer::parseInt).toArray();
                out.put(parts[0], dims);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
