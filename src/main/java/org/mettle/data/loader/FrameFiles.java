package org.mettle.data.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Frame directories: listing image files in natural order and grouping them into time segments. */
public final class FrameFiles {
    private FrameFiles() {}

    /** True for .png, .jpg and .jpeg (any case). */
    public static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /**
     * The image files directly in dir, sorted so that numbers compare by value ("2.jpg" before "10.jpg"). Returns
     * an empty list when dir does not exist.
     */
    public static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = new ArrayList<>(s.filter(p -> Files.isRegularFile(p) && isImage(p)).toList());
            out.sort(Comparator.comparing(p -> p.getFileName().toString(), FrameFiles::compareNatural));
            return out;
        } catch (IOException e) {
            throw new DataFormatException(dir, 0, "cannot list frame directory: " + e.getMessage(), e);
        }
    }

    /**
     * Splits n time-ordered frames into segments: segment s gets frames [floor(s n / S), floor((s + 1) n / S)), so
     * 10 frames give one per segment and 160 give 16. Needs at least one frame per segment.
     */
    public static List<List<Path>> group(List<Path> frames, int segments) {
        if (segments <= 0) {
            throw new IllegalArgumentException("segments must be positive, got " + segments);
        }
        if (frames.size() < segments) {
            throw new IllegalArgumentException(frames.size() + " frames cannot cover " + segments + " segments");
        }
        List<List<Path>> out = new ArrayList<>(segments);
        int n = frames.size();
        for (int s = 0; s < segments; s++) {
            out.add(List.copyOf(frames.subList((int) ((long) s * n / segments), (int) ((long) (s + 1) * n / segments))));
        }
        return out;
    }

    /** Orders strings with digit runs compared as numbers. */
    public static int compareNatural(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            char ca = a.charAt(i);
            char cb = b.charAt(j);
            if (Character.isDigit(ca) && Character.isDigit(cb)) {
                int si = i;
                int sj = j;
                while (i < a.length() && Character.isDigit(a.charAt(i))) {
                    i++;
                }
                while (j < b.length() && Character.isDigit(b.charAt(j))) {
                    j++;
                }
                String na = a.substring(si, i).replaceFirst("^0+(?=.)", "");
                String nb = b.substring(sj, j).replaceFirst("^0+(?=.)", "");
                int c = na.length() != nb.length() ? Integer.compare(na.length(), nb.length()) : na.compareTo(nb);
                if (c != 0) {
                    return c;
                }
            } else {
                if (ca != cb) {
                    return Character.compare(ca, cb);
                }
                i++;
                j++;
            }
        }
        int c = Integer.compare(a.length() - i, b.length() - j);
        return c != 0 ? c : a.compareTo(b);
    }
}
