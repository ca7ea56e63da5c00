package org.mettle.method;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Which backbone layers LCD distills: {@code all}, {@code every:K} (layers K-1, 2K-1, ..., counted from 0, so the
 * last layer is included when K divides the depth), {@code last:N}, or an explicit comma list such as {@code 0,5,11}.
 */
public record LayerSelection(String spec) {
    public LayerSelection {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty layer selection; use all, every:K, last:N or a list like 0,3,5");
        }
        spec = spec.trim().toLowerCase();
    }

    public static LayerSelection all() {
        return new LayerSelection("all");
    }

    public static LayerSelection every(int k) {
        return new LayerSelection("every:" + k);
    }

    public static LayerSelection last(int n) {
        return new LayerSelection("last:" + n);
    }

    /** The chosen layer indices of a backbone with depth layers, ascending; fails when none or one is out of range. */
    public List<Integer> resolve(int depth) {
        TreeSet<Integer> out = new TreeSet<>();
        if (spec.equals("all")) {
            for (int l = 0; l < depth; l++) {
                out.add(l);
            }
        } else if (spec.startsWith("every:")) {
            int k = positive(spec.substring(6));
            for (int l = k - 1; l < depth; l += k) {
                out.add(l);
            }
        } else if (spec.startsWith("last:")) {
            int n = positive(spec.substring(5));
            for (int l = Math.max(0, depth - n); l < depth; l++) {
                out.add(l);
            }
        } else {
            for (String part : spec.split(",")) {
                int l = number(part.trim());
                if (l < 0 || l >= depth) {
                    throw new IllegalArgumentException("layer " + l + " in selection '" + spec + "' is out of range for a backbone of "
                            + depth + " layers (0.." + (depth - 1) + ")");
                }
                out.add(l);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("layer selection '" + spec + "' picks no layer of a backbone of " + depth + " layers");
        }
        return new ArrayList<>(out);
    }

    private int positive(String s) {
        int v = number(s);
        if (v < 1) {
            throw new IllegalArgumentException("layer selection '" + spec + "': the count must be at least 1");
        }
        return v;
    }

    private int number(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("layer selection '" + spec + "': '" + s + "' is not a number; use all, every:K, last:N or 0,3,5");
        }
    }
}
