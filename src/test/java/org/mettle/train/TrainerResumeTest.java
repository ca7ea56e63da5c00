package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.io.SafetensorsFile;
import org.mettle.io.TensorInfo;

/**
 * --resume after an interruption: 2 epochs, stop, resume for 2 more must reproduce 4 straight epochs bit for bit
 * (metrics.jsonl lines except timing and memory fields, and every tensor of last.safetensors and best.safetensors).
 */
class TrainerResumeTest {
    private static final Set<String> TIMING = Set.of("seconds", "samples_per_s", "peak_bytes");

    @TempDir
    Path dir;

    private boolean scalarPath;

    /**
     * Each run is its own JVM, on the scalar CPU path (-Dmettle.scalar=true, plain Java arithmetic) or on the Vector
     * API path. The vector path is exact across a restart because its kernels avoid the JDK's lanewise
     * transcendentals, which round differently once C2 compiles them (a fresh JVM after --resume runs its first steps
     * interpreted); VectorKernelTierTest checks the kernels themselves.
     */
    @ParameterizedTest(name = "{0} path")
    @ValueSource(strings = {"scalar", "vector"})
    void interruptedAndResumedRunEqualsStraightRun(String path) throws Exception {
        scalarPath = path.equals("scalar");
        Path data = dir.resolve("data");
        // The synthetic set is made once by the first run and shared, so both runs read the same files.
        child(dir.resolve("straight"), "synthetic", false, 0);
        copyTree(dir.resolve("straight/data"), data);
        child(dir.resolve("resumed"), data.toString(), false, 2);
        List<Map<String, Object>> interrupted = lines(dir.resolve("resumed").resolve(Trainer.METRICS));
        assertEquals(2, interrupted.size());
        assertTrue(Files.notExists(dir.resolve("resumed").resolve("result.json")) || !Files.readString(dir.resolve("resumed").resolve("result.json"))
                .contains("\"test\":{"), "an interrupted run has no test metrics");
        child(dir.resolve("resumed"), data.toString(), true, 0);

        List<Map<String, Object>> a = lines(dir.resolve("straight").resolve(Trainer.METRICS));
        List<Map<String, Object>> b = lines(dir.resolve("resumed").resolve(Trainer.METRICS));
        assertEquals(4, a.size());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            a.get(i).keySet().removeAll(TIMING);
            b.get(i).keySet().removeAll(TIMING);
            assertEquals(a.get(i), b.get(i), "metrics line of epoch " + (i + 1));
        }
        assertTrue((Double) a.get(3).get("train_loss") < (Double) a.get(0).get("train_loss"), "loss falls: " + a);
        Map<String, Object> ra = JsonText.parseObject(Files.readString(dir.resolve("straight/result.json")), "straight");
        Map<String, Object> rb = JsonText.parseObject(Files.readString(dir.resolve("resumed/result.json")), "resumed");
        assertNotNull(ra.get("test"));
        for (String key : new String[] {"epochs", "best_epoch", "val", "test", "trainable_params"}) {
            assertEquals(ra.get(key), rb.get(key), key);
        }
        assertSameTensors(dir.resolve("straight").resolve(Trainer.LAST), dir.resolve("resumed").resolve(Trainer.LAST));
        assertSameTensors(dir.resolve("straight").resolve(Trainer.BEST), dir.resolve("resumed").resolve(Trainer.BEST));
        for (String png : new String[] {"loss.png", "metrics.png"}) {
            assertTrue(Files.size(dir.resolve("resumed").resolve(png)) > 1000, png);
        }
    }

    private void child(Path runDir, String data, boolean resume, int stopAfter) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve(runDir.getFileName() + (resume ? "-resume" : "") + ".log");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Dmettle.scalar=" + scalarPath,
                "-Xss8m", "-cp", System.getProperty("java.class.path"), TinyRunMain.class.getName(), runDir.toString(), data,
                Boolean.toString(resume), Integer.toString(stopAfter))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("child run did not finish in 5 minutes; log:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), "child run failed; log:\n" + Files.readString(log));
    }

    static List<Map<String, Object>> lines(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank())
                .map(l -> (Map<String, Object>) new TreeMap<>(JsonText.parseObject(l, file.toString()))).toList();
    }

    static void assertSameTensors(Path x, Path y) {
        try (SafetensorsFile fx = SafetensorsFile.open(x); SafetensorsFile fy = SafetensorsFile.open(y)) {
            List<String> names = fx.tensors().stream().map(TensorInfo::name).sorted().toList();
            assertEquals(names, fy.tensors().stream().map(TensorInfo::name).sorted().toList());
            assertTrue(names.stream().anyMatch(n -> n.startsWith("params/")), names.toString());
            for (String n : names) {
                assertArrayEquals(fx.readFloats(n), fy.readFloats(n), n);
            }
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
