package org.mettle.data.loader;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A dataset's class names in their canonical order; lookups are exact, errors suggest the closest name. */
public final class ClassList {
    private final String dataset;
    private final List<String> names;
    private final Map<String, Integer> index = new HashMap<>();

    public ClassList(String dataset, List<String> names) {
        this.dataset = dataset;
        this.names = List.copyOf(names);
        for (int i = 0; i < this.names.size(); i++) {
            if (index.put(this.names.get(i), i) != null) {
                throw new IllegalArgumentException(dataset + ": class '" + this.names.get(i) + "' listed twice");
            }
        }
    }

    public List<String> names() {
        return names;
    }

    public int size() {
        return names.size();
    }

    public String name(int i) {
        return names.get(i);
    }

    /** Index of name, or -1. */
    public int indexOf(String name) {
        return index.getOrDefault(name, -1);
    }

    /** Index of name; an unknown name is a {@link DataFormatException} at file:line that suggests the closest class. */
    public int require(String name, Path file, int line) {
        int i = indexOf(name);
        if (i >= 0) {
            return i;
        }
        throw new DataFormatException(file, line, "unknown " + dataset + " class '" + name + "'; " + suggestion(name)
                + "the " + names.size() + " classes are spelled as in the public dataset");
    }

    private String suggestion(String name) {
        String best = null;
        int bestDist = Integer.MAX_VALUE;
        String lower = name.trim().toLowerCase(Locale.ROOT);
        for (String n : names) {
            int d = distance(lower, n.toLowerCase(Locale.ROOT));
            if (d < bestDist) {
                bestDist = d;
                best = n;
            }
        }
        return best != null && bestDist <= Math.max(3, name.length() / 3) ? "did you mean '" + best + "'? " : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    @Override
    public String toString() {
        return dataset + " classes " + names;
    }
}
