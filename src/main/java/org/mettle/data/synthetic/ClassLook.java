package org.mettle.data.synthetic;

/**
 * The appearance of synthetic class k: one of 7 shapes, one of 4 textures and a hue, so 28 classes all look
 * different (shape and texture alone already differ for k < 28).
 */
record ClassLook(Shape shape, Texture texture, int rgb) {
    enum Shape { CIRCLE, SQUARE, TRIANGLE, DIAMOND, RING, CROSS, HEXAGON }

    enum Texture { SOLID, STRIPES, CHECKER, DOTS }

    static ClassLook of(int k) {
        Shape shape = Shape.values()[k % 7];
        Texture texture = Texture.values()[(k / 7) % 4];
        double hue = (k * 0.61803398875) % 1.0; // golden-ratio steps spread the hues
        return new ClassLook(shape, texture, hsv(hue, 0.85, 0.95));
    }

    /** Whether (u, v), in units of the object's radius around its centre, lies inside the shape. */
    boolean inside(double u, double v) {
        double au = Math.abs(u);
        double av = Math.abs(v);
        return switch (shape) {
            case CIRCLE -> u * u + v * v <= 1.0;
            case SQUARE -> au <= 0.8 && av <= 0.8;
            case TRIANGLE -> v <= 0.8 && v >= -0.9 && au <= (v + 0.9) * 0.6;
            case DIAMOND -> au + av <= 1.0;
            case RING -> {
                double r2 = u * u + v * v;
                yield r2 <= 1.0 && r2 >= 0.35;
            }
            case CROSS -> (au <= 0.3 && av <= 0.95) || (av <= 0.3 && au <= 0.95);
            case HEXAGON -> av <= 0.85 && au * 0.866 + av * 0.5 <= 0.85;
        };
    }

    /** The colour at pixel offset (dx, dy) from the centre: the texture darkens part of the object. */
    int colourAt(int dx, int dy) {
        boolean dark = switch (texture) {
            case SOLID -> false;
            case STRIPES -> Math.floorMod(dy, 4) < 2;
            case CHECKER -> (Math.floorMod(dx, 6) < 3) ^ (Math.floorMod(dy, 6) < 3);
            case DOTS -> Math.floorMod(dx, 4) == 1 && Math.floorMod(dy, 4) == 1;
        };
        if (!dark) {
            return rgb;
        }
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        return ((r * 2 / 5) << 16) | ((g * 2 / 5) << 8) | (b * 2 / 5);
    }

    static int hsv(double h, double s, double v) {
        double c = v * s;
        double hp = h * 6;
        double x = c * (1 - Math.abs(hp % 2 - 1));
        double r = 0;
        double g = 0;
        double b = 0;
        switch ((int) hp % 6) {
            case 0 -> { r = c; g = x; }
            case 1 -> { r = x; g = c; }
            case 2 -> { g = c; b = x; }
            case 3 -> { g = x; b = c; }
            case 4 -> { r = x; b = c; }
            default -> { r = c; b = x; }
        }
        double m = v - c;
        return ((int) Math.round((r + m) * 255) << 16) | ((int) Math.round((g + m) * 255) << 8) | (int) Math.round((b + m) * 255);
    }
}
