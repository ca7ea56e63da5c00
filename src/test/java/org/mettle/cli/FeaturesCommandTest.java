package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.io.SafetensorsFile;
import org.mettle.io.SafetensorsWriter;
import picocli.CommandLine;

/**
 * {@code mettle features} run through picocli on the ViT golden fixtures (src/test/python/make_vit_fixtures.py):
 * the written features equal PyTorch's, and bad inputs fail with messages that say what to do.
 */
class FeaturesCommandTest {
    @TempDir
    Path dir;

    static Path golden(String file) {
        URL url = FeaturesCommandTest.class.getResource("/golden/vit/" + file);
        assertNotNull(url, "missing test resource golden/vit/" + file + " (run src/test/python/make_vit_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    record Run(int exitCode, String err) {}

    /** Runs the command with Main's error handling (one line per failure). */
    static Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new FeaturesCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            cmd.getErr().println("mettle: " + ex.getMessage());
            return 1;
        });
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    static double relativeError(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < b.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs((double) b[i]));
        }
        return diff / scale;
    }

    @Test
    void writesTheFinalTokensAndEveryLayerAsPyTorchComputesThem() {
        for (String arch : List.of("vit_test_patch8_32", "ast_test_patch16_32x57")) {
            Path io = golden(arch + ".io.safetensors");
            Path out = dir.resolve(arch + ".features.safetensors");
            Run r = run("--arch", arch, "--weights", golden(arch + ".weights.safetensors").toString(), "--input", io.toString(),
                    "--output", out.toString(), "--device", "cpu", "--layers", "all");
            assertEquals(0, r.exitCode(), r.err());
            try (SafetensorsFile expected = SafetensorsFile.open(io); SafetensorsFile got = SafetensorsFile.open(out)) {
                List<String> want = expected.names().stream().filter(n -> !n.equals("input")).sorted().toList();
                assertEquals(want, got.names(), "output and layer.{i}, nothing else");
                for (String n : want) {
                    assertEquals(expected.info(n).toShape(), got.info(n).toShape(), n);
                    double e = relativeError(got.readFloats(n), expected.readFloats(n));
                    assertTrue(e <= 1e-5, arch + " " + n + " relative error " + e);
                }
                assertEquals(arch, got.metadata().get("arch"));
            }
        }
    }

    @Test
    void lastLayerOnlyByDefault() {
        Path out = dir.resolve("last.safetensors");
        Run r = run("--arch", "vit_test_patch8_32", "--weights", golden("vit_test_patch8_32.weights.safetensors").toString(),
                "--input", golden("vit_test_patch8_32.io.safetensors").toString(), "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        try (SafetensorsFile got = SafetensorsFile.open(out)) {
            assertEquals(List.of("output"), got.names());
        }
    }

    @Test
    void badInputsFailWithMessagesThatSayWhatWasExpected() {
        String weights = golden("vit_test_patch8_32.weights.safetensors").toString();
        String io = golden("vit_test_patch8_32.io.safetensors").toString();
        Path out = dir.resolve("never.safetensors");

        Run unknown = run("--arch", "vit_huge", "--weights", weights, "--input", io, "--output", out.toString());
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown architecture 'vit_huge'") && unknown.err().contains("vit_base_patch16_224")
                && unknown.err().contains("ast_base_patch16_128x1024"), unknown.err());

        Path noInput = dir.resolve("no_input.safetensors");
        new SafetensorsWriter().addFloats("frames", new int[] {1, 3, 32, 32}, new float[3 * 32 * 32]).write(noInput);
        Run missing = run("--arch", "vit_test_patch8_32", "--weights", weights, "--input", noInput.toString(), "--output", out.toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("no tensor named 'input'") && missing.err().contains("frames")
                && missing.err().contains("B x 3 x 32 x 32"), missing.err());

        Path wrongShape = dir.resolve("wrong_shape.safetensors");
        new SafetensorsWriter().addFloats("input", new int[] {2, 3, 224, 224}, new float[2 * 3 * 224 * 224]).write(wrongShape);
        Run shape = run("--arch", "vit_test_patch8_32", "--weights", weights, "--input", wrongShape.toString(), "--output", out.toString());
        assertEquals(1, shape.exitCode());
        assertTrue(shape.err().contains("[2, 3, 32, 32]") && shape.err().contains("[2, 3, 224, 224]"), shape.err());

        // spectrogram archs say so: B x T x F, not an image
        Run audio = run("--arch", "ast_test_patch16_32x57", "--weights", weights, "--input", io, "--output", out.toString());
        assertEquals(1, audio.exitCode());
        assertTrue(audio.err().contains("[2, 57, 32]") && audio.err().contains("spectrograms"), audio.err());

        // the AST checkpoint does not fit the image ViT: the loader names the offending tensors
        Run wrongWeights = run("--arch", "vit_test_patch8_32", "--weights", golden("ast_test_patch16_32x57.weights.safetensors").toString(),
                "--input", io, "--output", out.toString());
        assertEquals(1, wrongWeights.exitCode());
        assertTrue(wrongWeights.err().contains("unexpected tensor 'module.v.dist_token'"), wrongWeights.err());

        Run layers = run("--arch", "vit_test_patch8_32", "--weights", weights, "--input", io, "--output", out.toString(), "--layers", "some");
        assertEquals(1, layers.exitCode());
        assertTrue(layers.err().contains("--layers some: expected all or last"), layers.err());

        Run noFile = run("--arch", "vit_test_patch8_32", "--weights", dir.resolve("absent.safetensors").toString(), "--input", io,
                "--output", out.toString());
        assertEquals(1, noFile.exitCode());
        assertTrue(noFile.err().contains("--weights") && noFile.err().contains("no such file"), noFile.err());

        assertFalse(Files.exists(out), "no output on failure");
    }
}
