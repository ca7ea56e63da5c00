package org.mettle.data.loader;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reading annotation text files: strict UTF-8, a leading BOM and CR line ends removed, line numbers kept. */
public final class AnnotationLines {
    private AnnotationLines() {}

    /** One line with its 1-based number. */
    public record Line(int number, String text) {
        public boolean isBlank() {
            return text.isBlank();
        }
    }

    public static List<Line> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, 0, "annotation file does not exist; check the dataset root and layout (see docs/data.md)");
        } catch (IOException e) {
            throw new DataFormatException(file, 0, "cannot read annotation file: " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DataFormatException(file, lineOfFirstBadByte(bytes), "not valid UTF-8 text; is this the right file?");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String[] raw = text.split("\n", -1);
        int n = raw.length;
        if (n > 0 && raw[n - 1].isEmpty()) {
            n--; // the final newline does not start another line
        }
        List<Line> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String s = raw[i];
            if (s.endsWith("\r")) {
                s = s.substring(0, s.length() - 1);
            }
            out.add(new Line(i + 1, s));
        }
        return out;
    }

    private static int lineOfFirstBadByte(byte[] bytes) {
        var dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        int line = 1;
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                try {
                    dec.reset().decode(java.nio.ByteBuffer.wrap(bytes, start, i - start));
                } catch (CharacterCodingException e) {
                    return line;
                }
                line++;
                start = i + 1;
            }
        }
        return 0;
    }

    /**
     * Splits one CSV line on sep, honouring double quotes ("" inside quotes is a quote), as pandas writes them.
     * An unterminated quote is an error naming the line.
     */
    public static List<String> splitCsv(String text, char sep, Path file, int line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(c);
                }
            } else if (c == '"' && cur.toString().isBlank()) {
                quoted = true;
                cur.setLength(0);
            } else if (c == sep) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new DataFormatException(file, line, "unterminated double quote");
        }
        out.add(cur.toString());
        return out;
    }
}
