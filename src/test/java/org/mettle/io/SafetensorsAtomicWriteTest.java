package org.mettle.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.tensor.DType;

/** A failed write must leave an existing file byte-identical and no temp file behind. */
class SafetensorsAtomicWriteTest {
    @TempDir
    Path dir;
    private Path target;
    private byte[] original;

    @BeforeEach
    void writeOriginal() throws IOException {
        target = dir.resolve("ckpt.safetensors");
        new SafetensorsWriter().addFloats("old", new int[] {2}, new float[] {1, 2}).metadata("v", "1").write(target);
        original = Files.readAllBytes(target);
    }

    private List<String> dirListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private void assertUntouched() throws IOException {
        assertArrayEquals(original, Files.readAllBytes(target), "previous file is byte-identical");
        assertEquals(List.of("ckpt.safetensors"), dirListing(), "no temp file is left behind");
    }

    /** A big first tensor, so the failure comes after real bytes reached the temp file. */
    private SafetensorsWriter writerWithData() {
        return new SafetensorsWriter().addFloats("big", new int[] {64, 1024}, new float[64 * 1024]);
    }

    @Test
    void shortSourceIsDetectedLateAndLeavesTheOldFile() throws IOException {
        SafetensorsWriter w = writerWithData().addStreamed("short", DType.F32, new int[] {4}, out -> out.write(ByteBuffer.allocate(12)));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> w.write(target));
        assertTrue(e.getMessage().contains("ckpt.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor 'short' wrote 12 bytes, but shape [4] x F32 needs 16"), e.getMessage());
        assertUntouched();
    }

    @Test
    void longSourceIsStoppedAndLeavesTheOldFile() throws IOException {
        SafetensorsWriter w = writerWithData().addStreamed("long", DType.F16, new int[] {2}, out -> out.write(ByteBuffer.allocate(6)));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> w.write(target));
        assertTrue(e.getMessage().contains("tensor 'long' wrote more than the 4 bytes"), e.getMessage());
        assertUntouched();
    }

    @Test
    void ioFailureMidWriteLeavesTheOldFile() throws IOException {
        IOException boom = new IOException("device unplugged");
        SafetensorsWriter w = writerWithData().addStreamed("z_failing", DType.I32, new int[] {1024}, out -> {
            out.write(ByteBuffer.allocate(1000));
            throw boom;
        });
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> w.write(target));
        assertTrue(e.getMessage().contains("ckpt.safetensors") && e.getMessage().contains("device unplugged"), e.getMessage());
        assertSame(boom, e.getCause());
        assertUntouched();
    }

    @Test
    void runtimeFailureInASourcePropagatesAndLeavesTheOldFile() throws IOException {
        IllegalStateException bug = new IllegalStateException("tensor freed");
        SafetensorsWriter w = writerWithData().addStreamed("x", DType.F32, new int[] {1}, out -> {
            throw bug;
        });
        assertSame(bug, assertThrows(IllegalStateException.class, () -> w.write(target)));
        assertUntouched();
    }

    @Test
    void failedRenameOntoADirectoryLeavesItAndNoTempFile() throws IOException {
        Path occupied = dir.resolve("occupied.safetensors");
        Files.createDirectory(occupied);
        Files.writeString(occupied.resolve("keep.txt"), "keep");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> writerWithData().write(occupied));
        assertTrue(e.getMessage().contains("occupied.safetensors"), e.getMessage());
        assertEquals("keep", Files.readString(occupied.resolve("keep.txt")));
        assertEquals(List.of("ckpt.safetensors", "occupied.safetensors"), dirListing());
    }

    @Test
    void readOnlyDirectoryFailsCleanly() throws IOException {
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        Set<PosixFilePermission> before = Files.getPosixFilePermissions(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Assumptions.assumeFalse(Files.isWritable(dir), "this user (root?) can write to a read-only directory");
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> writerWithData().write(target));
            assertTrue(e.getMessage().contains("ckpt.safetensors"), e.getMessage());
        } finally {
            Files.setPosixFilePermissions(dir, before);
        }
        assertUntouched();
    }

    @Test
    void successfulWriteReplacesTheFileAndLeavesNoTempFile() throws IOException {
        writerWithData().addInts("new", new int[] {1}, new int[] {5}).write(target);
        assertEquals(List.of("ckpt.safetensors"), dirListing());
        try (SafetensorsFile f = SafetensorsFile.open(target)) {
            assertEquals(List.of("big", "new"), f.names());
            assertTrue(f.metadata().isEmpty());
        }
    }
}
