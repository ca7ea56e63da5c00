package org.mettle.data.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.mettle.data.image.ImageEncoder;
import org.mettle.data.image.RgbImage;
import org.mettle.data.loader.FrameFiles;

/** Small helpers for frame directories. */
final class FrameDirs {
    private FrameDirs() {}

    static boolean isEmptyOfImages(Path dir) {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.noneMatch(FrameFiles::isImage);
        } catch (IOException e) {
            return false;
        }
    }

    static void writePng(RgbImage img, Path file) throws IOException {
        ImageEncoder.writePng(img, file);
    }
}
