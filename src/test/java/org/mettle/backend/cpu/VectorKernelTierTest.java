package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vector API kernels give the same bits whether the JVM interprets them, runs them C1-compiled or C2-compiled:
 * the property that lets {@code --resume} (a fresh JVM, cold code) continue a run exactly. Each tier runs
 * {@link KernelTierProbe} in its own child JVM; every kernel's output must match the interpreter's bit for bit.
 */
class VectorKernelTierTest {
    @TempDir
    Path dir;

    @Test
    void interpreterC1AndC2GiveIdenticalBits() throws Exception {
        RowsTestSupport.assumeVector();
        Map<String, int[]> interpreted = probe("interpreter", 0, "-Xint");
        Map<String, int[]> c1 = probe("c1", 3000, "-XX:TieredStopAtLevel=1", "-Xbatch", "-XX:+PrintCompilation");
        Map<String, int[]> c2 = probe("c2", 12000, "-XX:-TieredCompilation", "-Xbatch", "-XX:+PrintCompilation");
        // the recorded calls ran compiled code: the JIT logs show the kernels compiled
        for (String tier : new String[] {"c1", "c2"}) {
            String log = Files.readString(dir.resolve(tier + ".log"));
            for (String kernel : new String[] {"VectorRows::softmax", "VectorRows::layerNorm", "VectorMath::cdfPrepare",
                "VectorAttentionKernels::expShift", "VectorPointwise::unary"}) {
                assertTrue(log.contains("org.mettle.backend.cpu." + kernel + " "), tier + " compiled " + kernel);
            }
        }
        List<String> problems = new ArrayList<>();
        compare("C1", interpreted, c1, problems);
        compare("C2", interpreted, c2, problems);
        if (!problems.isEmpty()) {
            fail(problems.size() + " kernel outputs depend on the JIT tier:\n" + String.join("\n", problems));
        }
    }

    private static void compare(String tier, Map<String, int[]> ref, Map<String, int[]> got, List<String> problems) {
        assertEquals(ref.keySet(), got.keySet(), "kernels probed");
        for (Map.Entry<String, int[]> e : ref.entrySet()) {
            int[] a = e.getValue();
            int[] b = got.get(e.getKey());
            for (int i = 0; i < a.length; i++) {
                if (a[i] != b[i]) {
                    problems.add(String.format("%s: %s differs first at [%d]: interpreter %s, %s %s", tier, e.getKey(), i,
                            Float.intBitsToFloat(a[i]), tier, Float.intBitsToFloat(b[i])));
                    break;
                }
            }
        }
    }

    private Map<String, int[]> probe(String name, int warmups, String... jvmFlags) throws Exception {
        Path out = dir.resolve(name + ".bin");
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelTierProbe.class.getName(), out.toString(),
                Integer.toString(warmups)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(4, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(name + " probe did not finish in 4 minutes; log:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), name + " probe failed; log:\n" + Files.readString(log));
        return read(out);
    }

    private static Map<String, int[]> read(Path file) throws IOException {
        Map<String, int[]> m = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            int count = in.readInt();
            for (int c = 0; c < count; c++) {
                String key = in.readUTF();
                int[] bits = new int[in.readInt()];
                for (int i = 0; i < bits.length; i++) {
                    bits[i] = in.readInt();
                }
                m.put(key, bits);
            }
        }
        return m;
    }
}
