package org.mettle.data.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Lossless PNG writing of RGB images and binary masks (javax.imageio, written straight to the file). */
public final class ImageEncoder {
    private ImageEncoder() {}

    /** Writes an 8-bit RGB PNG. */
    public static void writePng(RgbImage image, Path file) throws IOException {
        BufferedImage bi = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        byte[] src = image.pixels();
        for (int i = 0; i < src.length; i += 3) {
            dst[i] = src[i + 2];
            dst[i + 1] = src[i + 1];
            dst[i + 2] = src[i];
        }
        write(bi, file);
    }

    /** Writes a mask as an 8-bit grayscale PNG holding 0 and 255. */
    public static void writeMaskGray(BinaryMask mask, Path file) throws IOException {
        BufferedImage bi = new BufferedImage(mask.width(), mask.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] dst = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        byte[] bits = mask.toBytes();
        for (int i = 0; i < bits.length; i++) {
            dst[i] = (byte) (bits[i] != 0 ? 255 : 0);
        }
        write(bi, file);
    }

    /** Writes a mask as a palette PNG (index 0 black background, index 1 foreground), like AVSBench's "P" masks. */
    public static void writeMaskPalette(BinaryMask mask, Path file) throws IOException {
        byte[] r = {0, (byte) 128};
        byte[] g = {0, 0};
        byte[] b = {0, 0};
        IndexColorModel icm = new IndexColorModel(8, 2, r, g, b);
        BufferedImage bi = new BufferedImage(mask.width(), mask.height(), BufferedImage.TYPE_BYTE_INDEXED, icm);
        byte[] dst = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
        byte[] bits = mask.toBytes();
        System.arraycopy(bits, 0, dst, 0, bits.length);
        write(bi, file);
    }

    private static void write(BufferedImage bi, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(file); // ImageIO.write does not truncate an existing longer file on every platform
        if (!ImageIO.write(bi, "png", file.toFile())) {
            throw new IOException("no PNG writer available in javax.imageio");
        }
    }
}
