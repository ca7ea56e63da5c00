package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.tensor.DType;

/**
 * Java writes a file and PyTorch reads it back: {@code make_safetensors_fixtures.py --verify} parses it strictly,
 * loads every tensor with torch and compares with its java_expected(), which must match what is written here.
 * Skipped (with the reason) where /usr/bin/python3 with torch is not installed.
 */
class SafetensorsPyTorchInteropTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path SCRIPT = Path.of("src/test/python/make_safetensors_fixtures.py");

    @TempDir
    Path dir;

    @Test
    void pytorchReadsWhatJavaWrites() throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON + " (Debian's python3-torch) on this machine");
        Assumptions.assumeTrue(Files.isRegularFile(SCRIPT), "run from the project root: " + SCRIPT + " not found");
        Path file = dir.resolve("java_written.safetensors");
        float[] a = new float[6];
        for (int i = 0; i < 6; i++) {
            a[i] = i * 0.5f - 1f;
        }
        new SafetensorsWriter()
                .addFloats("a_f32", new int[] {2, 3}, a)
                .addFloats("b_f16", new int[] {6}, new float[] {1f, 65504f, 0x1p-24f, -0f, Float.POSITIVE_INFINITY, 0.1f}, DType.F16)
                .addFloats("c_bf16", new int[] {2, 2}, new float[] {1f, -2.5f, 3.14159265f, 1e-40f}, DType.BF16)
                .addInts("d_i32", new int[] {4}, new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE})
                .addLongs("e_i64", new int[] {2}, new long[] {Long.MIN_VALUE, Long.MAX_VALUE})
                .addFloats("scalar", new int[0], new float[] {42.5f})
                .addFloats("empty", new int[] {0, 4}, new float[0])
                .addFloats("unicode \u00e9\uD83D\uDE42", new int[] {1}, new float[] {7f})
                .metadata("config", "{\"dim\": 8}")
                .metadata("\u00fc", "\u00df")
                .write(file);

        Process p = new ProcessBuilder(PYTHON.toString(), SCRIPT.toString(), "--verify", file.toString())
                .redirectErrorStream(true).start();
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            p.destroyForcibly();
        }
        assertTrue(finished, "python verifier did not finish in 300 s: " + output);
        Assumptions.assumeFalse(output.contains("No module named 'torch'") || output.contains("No module named 'numpy'"),
                "torch/numpy missing for " + PYTHON + ": " + output);
        assertEquals(0, p.exitValue(), "python verifier failed:\n" + output);
        assertTrue(output.contains("OK: 8 tensors and metadata match"), output);
    }
}
