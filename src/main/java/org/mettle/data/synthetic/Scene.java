package org.mettle.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.mettle.data.image.BinaryMask;
import org.mettle.data.image.RgbImage;

/**
 * Renders synthetic frames: a dim noisy background and class-coloured textured shapes drawn in order (later ones
 * on top). Also gives the visible-pixel mask of any subset of the objects.
 */
final class Scene {
    /** One object in a frame: class, centre and radius in pixels. */
    record Item(int classIndex, double cx, double cy, double radius) {}

    private final int width;
    private final int height;
    private final byte[] background;

    /** A background drawn once per video from rng (low-contrast blotches, so frames are not flat). */
    Scene(int width, int height, SplittableRandom rng) {
        this.width = width;
        this.height = height;
        this.background = new byte[width * height * 3];
        int base = 40 + rng.nextInt(40);
        double fx = 2 * Math.PI * (0.5 + rng.nextDouble()) / width;
        double fy = 2 * Math.PI * (0.5 + rng.nextDouble()) / height;
        double phase = rng.nextDouble() * 2 * Math.PI;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double wave = 14 * Math.sin(x * fx + phase) * Math.cos(y * fy);
                int o = (y * width + x) * 3;
                for (int c = 0; c < 3; c++) {
                    int v = (int) Math.round(base + wave + rng.nextInt(13) - 6 + c * 4);
                    background[o + c] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
    }

    RgbImage render(List<Item> items) {
        byte[] px = background.clone();
        for (Item it : items) {
            ClassLook look = ClassLook.of(it.classIndex());
            forEachPixel(it, look, (x, y) -> {
                int rgb = look.colourAt(x - (int) Math.round(it.cx()), y - (int) Math.round(it.cy()));
                int o = (y * width + x) * 3;
                px[o] = (byte) (rgb >> 16);
                px[o + 1] = (byte) (rgb >> 8);
                px[o + 2] = (byte) rgb;
            });
        }
        return RgbImage.of(width, height, px);
    }

    /** Pixels where one of the selected items is the top-most object (items drawn later hide earlier ones). */
    BinaryMask mask(List<Item> items, List<Boolean> selected) {
        int[] owner = new int[width * height];
        java.util.Arrays.fill(owner, -1);
        for (int i = 0; i < items.size(); i++) {
            final int idx = i;
            Item it = items.get(i);
            forEachPixel(it, ClassLook.of(it.classIndex()), (x, y) -> owner[y * width + x] = idx);
        }
        byte[] bits = new byte[width * height];
        for (int p = 0; p < bits.length; p++) {
            bits[p] = (byte) (owner[p] >= 0 && selected.get(owner[p]) ? 1 : 0);
        }
        return BinaryMask.of(width, height, bits);
    }

    private interface PixelVisitor {
        void visit(int x, int y);
    }

    private void forEachPixel(Item it, ClassLook look, PixelVisitor v) {
        int x0 = Math.max(0, (int) Math.floor(it.cx() - it.radius()));
        int x1 = Math.min(width - 1, (int) Math.ceil(it.cx() + it.radius()));
        int y0 = Math.max(0, (int) Math.floor(it.cy() - it.radius()));
        int y1 = Math.min(height - 1, (int) Math.ceil(it.cy() + it.radius()));
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                if (look.inside((x + 0.5 - it.cx()) / it.radius(), (y + 0.5 - it.cy()) / it.radius())) {
                    v.visit(x, y);
                }
            }
        }
    }

    /**
     * Places n objects of the given radius with their centres apart (so one never hides another completely),
     * inside the frame; falls back to random spots when the frame is too crowded.
     */
    static List<double[]> place(int n, double radius, int width, int height, SplittableRandom rng) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] best = null;
            for (int attempt = 0; attempt < 50; attempt++) {
                double cx = radius + rng.nextDouble() * Math.max(1e-9, width - 2 * radius);
                double cy = radius + rng.nextDouble() * Math.max(1e-9, height - 2 * radius);
                boolean clear = true;
                for (double[] o : out) {
                    clear &= Math.hypot(o[0] - cx, o[1] - cy) >= 1.6 * radius;
                }
                best = new double[] {cx, cy};
                if (clear) {
                    break;
                }
            }
            out.add(best);
        }
        return out;
    }
}
