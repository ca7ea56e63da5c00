package org.mettle.models.vit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.backend.Backends;
import org.mettle.models.Architectures;
import org.mettle.models.Backbone;
import org.mettle.tensor.Tensor;

/**
 * weights/convert_to_safetensors.py end to end: a Lightning-style .ckpt ({"epoch", "state_dict"} with a "model."
 * prefix, one tensor in float16, a classifier head) written by PyTorch converts to a file the strict loader takes.
 * Skipped, with the reason, where Debian's python3 with torch is not installed.
 */
class ConvertScriptTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path dir;

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void lightningCheckpointConvertsAndLoadsStrictly() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON) && torchAvailable(), "skipped: /usr/bin/python3 with torch is not available");
        Path script = Path.of("weights", "convert_to_safetensors.py").toAbsolutePath();
        assumeTrue(Files.isRegularFile(script), "skipped: " + script + " not found (tests run from the repository root)");
        String arch = "vit_test_patch8_32";
        try (Backbone model = Architectures.create(arch, Backends.cpu(), 1)) {
            // every tensor i holds arange(numel) / 1000 + i, so the loaded values identify the tensor
            StringBuilder py = new StringBuilder("import torch\nsd = {}\n");
            List<String> names = new ArrayList<>(model.module().namedParameters().keySet());
            for (int i = 0; i < names.size(); i++) {
                Tensor t = model.module().namedParameters().get(names.get(i));
                py.append(String.format("sd['model.%s'] = (torch.arange(%d, dtype=torch.float32) / 1000 + %d).reshape(%s)%n",
                        names.get(i), t.numel(), i, java.util.Arrays.toString(t.shape().dims())));
            }
            py.append("sd['model.patch_embed.proj.bias'] = sd['model.patch_embed.proj.bias'].half()\n");
            py.append("sd['model.head.weight'] = torch.zeros(10, 32)\n");
            py.append("torch.save({'epoch': 3, 'global_step': 10, 'state_dict': sd}, '" + dir.resolve("m.ckpt") + "')\n");
            Path gen = dir.resolve("gen.py");
            Files.writeString(gen, py.toString());
            run(List.of(PYTHON.toString(), gen.toString()));
            Path out = dir.resolve("m.safetensors");
            String log = run(List.of(PYTHON.toString(), script.toString(), dir.resolve("m.ckpt").toString(), out.toString(),
                    "--strip-prefix", "model."));
            assertTrue(log.contains("using the checkpoint's 'state_dict' entry") && log.contains("wrote " + out), log);

            Architectures.loadWeights(model, out);
            Map<String, Tensor> params = model.module().namedParameters();
            for (int i = 0; i < names.size(); i++) {
                float[] v = params.get(names.get(i)).toFloatArray();
                for (int j = 0; j < v.length; j++) {
                    float want = (float) j / 1000 + i;
                    float tol = names.get(i).equals("patch_embed.proj.bias") ? 0.01f : 1e-6f * Math.max(1, want);
                    assertEquals(want, v[j], tol, names.get(i) + "[" + j + "]");
                }
            }
        }
    }
}
