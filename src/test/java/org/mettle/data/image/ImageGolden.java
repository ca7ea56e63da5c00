package org.mettle.data.image;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.mettle.io.SafetensorsFile;

/** Access to src/test/resources/golden/image (written by src/test/python/make_image_fixtures.py). */
final class ImageGolden {
    private ImageGolden() {}

    static Path file(String name) {
        URL url = ImageGolden.class.getResource("/golden/image/" + name);
        assertNotNull(url, "missing test resource golden/image/" + name + " (run src/test/python/make_image_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static SafetensorsFile open() {
        return SafetensorsFile.open(file("image.safetensors"));
    }

    static List<String> names(SafetensorsFile f, String group) {
        return f.names().stream().filter(n -> n.startsWith(group + "/")).toList();
    }

    /** Parsed "<group>/<input>/<filter>/<W>x<H>". */
    record Case(String name, String input, String filter, int width, int height) {
        static Case parse(String name) {
            String[] p = name.split("/");
            String[] wh = p[3].split("x");
            return new Case(name, p[1], p[2], Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        }

        ResampleFilter resampleFilter() {
            return ResampleFilter.parse(filter);
        }

        RgbImage inputImage() {
            return ImageDecoder.read(file(input + ".png"));
        }
    }

    /** Bytes of an image as 0..255 floats, HWC. */
    static float[] hwc(RgbImage img) {
        byte[] b = img.toBytes();
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            f[i] = b[i] & 0xFF;
        }
        return f;
    }

    /** [max abs diff, mean abs diff, count of differing elements]. */
    static double[] diff(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != expected " + expected.length);
        }
        double max = 0;
        double sum = 0;
        int n = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            max = Math.max(max, d);
            sum += d;
            if (d != 0) {
                n++;
            }
        }
        return new double[] {max, sum / actual.length, n};
    }
}
