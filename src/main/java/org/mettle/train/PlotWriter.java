package org.mettle.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Line charts as PNG with java.awt (headless): one or more named series over epochs, axes with ticks and numbers,
 * axis labels, a title and a legend. Files are written to a temporary name and renamed, so a reader never sees half
 * a PNG.
 */
public final class PlotWriter {
    public static final int WIDTH = 720;
    public static final int HEIGHT = 440;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private PlotWriter() {}

    /** Writes series (name to values at x = 1, 2, ...) to file. Non-finite values are skipped. */
    public static void write(Path file, String title, String xLabel, String yLabel, Map<String, List<Double>> series) {
        BufferedImage img = render(title, xLabel, yLabel, series);
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error matters more
            }
            throw new UncheckedIOException("cannot write plot " + file + ": " + e.getMessage(), e);
        }
    }

    static BufferedImage render(String title, String xLabel, String yLabel, Map<String, List<Double>> series) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int left = 70;
            int right = WIDTH - 20;
            int top = 40;
            int bottom = HEIGHT - 55;
            int points = 1;
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (List<Double> s : series.values()) {
                points = Math.max(points, s.size());
                for (Double v : s) {
                    if (v != null && Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            if (!(lo <= hi)) {
                lo = 0;
                hi = 1;
            }
            if (hi - lo < 1e-9) {
                double pad = Math.max(Math.abs(hi) * 0.1, 0.05);
                lo -= pad;
                hi += pad;
            }
            double[] yTicks = niceTicks(lo, hi, 6);
            lo = Math.min(lo, yTicks[0]);
            hi = Math.max(hi, yTicks[yTicks.length - 1]);
            double xMax = Math.max(2, points);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            FontMetrics fm = g.getFontMetrics();
            g.setColor(Color.BLACK);
            g.drawString(title, (WIDTH - fm.stringWidth(title)) / 2, 24);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            fm = g.getFontMetrics();
            // grid, ticks and tick numbers
            for (double t : yTicks) {
                int y = yPixel(t, lo, hi, top, bottom);
                g.setColor(new Color(0xe6e6e6));
                g.drawLine(left, y, right, y);
                g.setColor(Color.BLACK);
                g.drawLine(left - 5, y, left, y);
                String s = tickText(t);
                g.drawString(s, left - 8 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
            }
            int xStep = (int) Math.max(1, Math.ceil(xMax / 10));
            for (int x = 1; x <= xMax; x += xStep) {
                int px = xPixel(x, xMax, left, right);
                g.setColor(Color.BLACK);
                g.drawLine(px, bottom, px, bottom + 5);
                String s = Integer.toString(x);
                g.drawString(s, px - fm.stringWidth(s) / 2, bottom + 8 + fm.getAscent());
            }
            g.drawLine(left, top, left, bottom);
            g.drawLine(left, bottom, right, bottom);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            fm = g.getFontMetrics();
            g.drawString(xLabel, (left + right - fm.stringWidth(xLabel)) / 2, HEIGHT - 12);
            Graphics2D rotated = (Graphics2D) g.create();
            rotated.rotate(-Math.PI / 2);
            rotated.drawString(yLabel, -(top + bottom + fm.stringWidth(yLabel)) / 2, 18);
            rotated.dispose();
            // series and legend
            int k = 0;
            int legendY = top + 8;
            for (Map.Entry<String, List<Double>> e : series.entrySet()) {
                Color color = COLORS[k++ % COLORS.length];
                g.setColor(color);
                g.setStroke(new BasicStroke(2f));
                int prevX = -1;
                int prevY = -1;
                List<Double> values = e.getValue();
                for (int i = 0; i < values.size(); i++) {
                    Double v = values.get(i);
                    if (v == null || !Double.isFinite(v)) {
                        prevX = -1;
                        continue;
                    }
                    int px = xPixel(i + 1, xMax, left, right);
                    int py = yPixel(v, lo, hi, top, bottom);
                    g.fillOval(px - 3, py - 3, 7, 7);
                    if (prevX >= 0) {
                        g.drawLine(prevX, prevY, px, py);
                    }
                    prevX = px;
                    prevY = py;
                }
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
                int tw = g.getFontMetrics().stringWidth(e.getKey());
                int lx = right - tw - 34;
                g.drawLine(lx, legendY, lx + 20, legendY);
                g.setColor(Color.BLACK);
                g.drawString(e.getKey(), lx + 26, legendY + 4);
                legendY += 16;
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Round tick values covering [lo, hi] at a step of 1, 2 or 5 times a power of ten. */
    static double[] niceTicks(double lo, double hi, int target) {
        double raw = (hi - lo) / Math.max(1, target - 1);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 5, 10}) {
            step = m * mag;
            if (step >= raw) {
                break;
            }
        }
        double first = Math.floor(lo / step) * step;
        List<Double> out = new ArrayList<>();
        for (double t = first; t <= hi + step * 1e-6; t += step) {
            out.add(t);
        }
        if (out.get(out.size() - 1) < hi) {
            out.add(out.get(out.size() - 1) + step);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String tickText(double v) {
        if (Math.abs(v) < 1e-12) {
            return "0";
        }
        double a = Math.abs(v);
        return a >= 1000 || a < 0.001 ? String.format(Locale.ROOT, "%.1e", v) : String.format(Locale.ROOT, "%.4g", v).replaceAll("\\.?0+$", "");
    }

    private static int xPixel(double x, double xMax, int left, int right) {
        return (int) Math.round(left + 10 + (right - left - 20) * (x - 1) / (xMax - 1));
    }

    private static int yPixel(double y, double lo, double hi, int top, int bottom) {
        return (int) Math.round(bottom - (bottom - top) * (y - lo) / (hi - lo));
    }

    /** A one-series map, for callers with a single line. */
    public static Map<String, List<Double>> single(String name, List<Double> values) {
        Map<String, List<Double>> m = new LinkedHashMap<>();
        m.put(name, values);
        return m;
    }
}
