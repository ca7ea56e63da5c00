package org.mettle.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels have code for 16-lane (AVX-512) and 8-lane (AVX2) vectors, but a JVM has one preferred size.
 * This test runs the reference checks again in a child JVM limited to 256-bit vectors, so the 8-lane code is tested
 * on AVX-512 machines too.
 */
class CpuAttentionNarrowVectorTest {

    @Test
    void vectorKernelsMatchReferenceWith256BitVectors() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-XX:MaxVectorSize=32", "--add-modules", "jdk.incubator.vector",
                "-Dmettle.threads=2", "-cp", System.getProperty("java.class.path"), Child.class.getName());
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean finished = child.waitFor(300, TimeUnit.SECONDS);
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            child.destroyForcibly();
        }
        assertTrue(finished, "child JVM did not finish in 300 s; output:\n" + output);
        assertEquals(0, child.exitValue(), "child JVM failed:\n" + output);
        assertTrue(output.contains("lanes=8 checked"), "child JVM did not run the 8-lane kernels:\n" + output);
    }

    /** Runs in the child JVM: a failed assertion throws, so the JVM exits non-zero with the message. */
    static final class Child {
        public static void main(String[] args) {
            AttentionKernels kernels = CpuAttentionTest.vectorKernels();
            int[][] sizes = {{2, 3, 5, 7, 1}, {1, 2, 33, 70, 64}, {2, 2, 17, 130, 17}, {1, 3, 4, 300, 32},
                {1, 2, 9, 8, 8}, {2, 1, 20, 16, 12}};
            for (int[] s : sizes) {
                for (CpuAttentionTest.Kind kind : CpuAttentionTest.Kind.values()) {
                    if (kind == CpuAttentionTest.Kind.PACKED && s[2] != s[3]) {
                        continue;
                    }
                    CpuAttentionTest.Case c = new CpuAttentionTest.Case(s[0], s[1], s[2], s[3], s[4], kind, 3)
                            .withBias(s[0], s[1]);
                    for (CpuAttention.BackwardSchedule schedule : CpuAttention.BackwardSchedule.values()) {
                        CpuAttentionTest.check(c, CpuAttentionTest.run(c, kernels, schedule, 0, 0, 0.25f), 1e-4,
                                0.25f);
                        CpuAttentionTest.check(c, CpuAttentionTest.run(c, kernels, schedule, 3, 5, 0.25f), 1e-4,
                                0.25f);
                    }
                }
            }
            System.out.println("lanes=" + VectorAttentionKernels.lanes() + " checked");
        }
    }
}
