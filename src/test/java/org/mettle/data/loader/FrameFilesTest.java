package org.mettle.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameFilesTest {
    @TempDir
    Path dir;

    @Test
    void naturalOrderAndImageFilter() {
        for (String n : List.of("img_10.png", "img_2.png", "img_1.png", "notes.txt", "img_002.jpg", "IMG_3.JPEG")) {
            TestFiles.touch(dir.resolve(n));
        }
        List<String> names = FrameFiles.list(dir).stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("IMG_3.JPEG", "img_1.png", "img_002.jpg", "img_2.png", "img_10.png"), names);
        assertTrue(FrameFiles.list(dir.resolve("missing")).isEmpty());
    }

    @Test
    void groupingCoversEveryFrameInOrder() {
        List<Path> f = java.util.stream.IntStream.range(0, 25).mapToObj(i -> Path.of(i + ".png")).toList();
        List<List<Path>> g = FrameFiles.group(f, 10);
        assertEquals(10, g.size());
        assertEquals(25, g.stream().mapToInt(List::size).sum());
        assertEquals(List.of(Path.of("0.png"), Path.of("1.png")), g.get(0));
        assertEquals(Path.of("24.png"), g.get(9).get(g.get(9).size() - 1));
        assertThrows(IllegalArgumentException.class, () -> FrameFiles.group(f.subList(0, 9), 10));
    }

    @Test
    void csvSplittingHonoursQuotes() {
        Path file = Path.of("x.csv");
        assertEquals(List.of("a", "b,c", "d\"e", ""), AnnotationLines.splitCsv("a,\"b,c\",\"d\"\"e\",", ',', file, 3));
        DataFormatException e = assertThrows(DataFormatException.class, () -> AnnotationLines.splitCsv("a,\"b", ',', file, 3));
        assertTrue(e.getMessage().startsWith("x.csv:3: "), e.getMessage());
        assertEquals(3, e.line());
    }

    @Test
    void linesKeepNumbersAcrossBomAndCrlf() {
        Path f = TestFiles.text(dir.resolve("a.txt"), "\uFEFFone\r\n\r\nthree\n");
        List<AnnotationLines.Line> lines = AnnotationLines.read(f);
        assertEquals(3, lines.size());
        assertEquals("one", lines.get(0).text());
        assertTrue(lines.get(1).isBlank());
        assertEquals(new AnnotationLines.Line(3, "three"), lines.get(2));
    }

    @Test
    void invalidUtf8NamesTheLine() throws Exception {
        Path f = dir.resolve("bad.txt");
        java.nio.file.Files.write(f, new byte[] {'o', 'k', '\n', 'b', (byte) 0xC3, '(', '\n'});
        DataFormatException e = assertThrows(DataFormatException.class, () -> AnnotationLines.read(f));
        assertEquals(2, e.line(), e.getMessage());
    }
}
