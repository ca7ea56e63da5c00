package org.mettle.data.loader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helpers: text files and placeholder media files (readers check existence, not content). */
public final class TestFiles {
    private TestFiles() {}

    public static Path text(Path file, String content) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path touch(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, new byte[] {1});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** n placeholder frames named 1.jpg .. n.jpg (natural order differs from lexical order past 9). */
    public static void frames(Path dir, int n) {
        for (int i = 1; i <= n; i++) {
            touch(dir.resolve(i + ".jpg"));
        }
    }
}
