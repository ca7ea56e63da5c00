package org.mettle.data.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes PNG and JPEG files (and the other formats javax.imageio reads) to 8-bit RGB the way PIL's
 * {@code Image.open(p).convert("RGB")} does: gray is replicated to the three channels, palettes are looked up,
 * alpha is dropped (not composited), gray of 1, 2 or 4 bits is scaled to 0..255. Colour profiles are ignored, as
 * PIL ignores them. 16-bit samples keep their high byte (PIL 9 keeps the low byte of 16-bit RGB and clips 16-bit
 * gray; we do not copy that).
 *
 * <p>Every failure is an {@link ImageReadException} naming the file: missing, empty, not an image, damaged or
 * truncated (a decoder warning such as a premature end of a JPEG is an error, so a half-grey frame never slips
 * through), CMYK JPEG, or larger than {@link #MAX_PIXELS}.
 */
public final class ImageDecoder {
    /** Images with more pixels than this are refused before their pixels are allocated. */
    public static final long MAX_PIXELS = 1L << 27;

    private ImageDecoder() {}

    /** Reads an image file as RGB. */
    public static RgbImage read(Path path) {
        byte[] data = readBytes(path);
        return decode(data, path);
    }

    /** Decodes an in-memory image (a PNG frame from ffmpeg, a test fixture); source names it in errors. */
    public static RgbImage decode(byte[] data, Path source) {
        Decoded d = decodeRaster(data, source);
        return toRgb(d.image, source);
    }

    /**
     * Reads a segmentation mask: for a palette image a pixel is foreground when its palette index is not 0
     * (AVSBench's "P" masks); otherwise when its luma (ITU-R 601, as PIL's convert("L")) is at least 128, PIL's
     * threshold for convert("1") on 0/255 masks.
     */
    public static BinaryMask readMask(Path path) {
        Decoded d = decodeRaster(readBytes(path), path);
        BufferedImage img = d.image;
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] bits = new byte[w * h];
        if (img.getColorModel() instanceof IndexColorModel) {
            Raster r = img.getRaster();
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    bits[y * w + x] = (byte) (row[x] != 0 ? 1 : 0);
                }
            }
        } else {
            byte[] rgb = toRgb(img, path).pixels();
            for (int i = 0; i < bits.length; i++) {
                int luma = ((rgb[3 * i] & 0xFF) * 19595 + (rgb[3 * i + 1] & 0xFF) * 38470 + (rgb[3 * i + 2] & 0xFF) * 7471 + 0x8000) >> 16;
                bits[i] = (byte) (luma >= 128 ? 1 : 0);
            }
        }
        return BinaryMask.wrap(w, h, bits);
    }

    private static byte[] readBytes(Path path) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ImageReadException(path, "image file does not exist");
        } catch (IOException e) {
            throw new ImageReadException(path, "cannot read image file: " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new ImageReadException(path, "image file is too large to read into memory");
        }
        if (data.length == 0) {
            throw new ImageReadException(path, "image file is empty (0 bytes)");
        }
        return data;
    }

    private record Decoded(BufferedImage image, String format) {}

    private static Decoded decodeRaster(byte[] data, Path source) {
        if (data.length == 0) {
            throw new ImageReadException(source, "image data is empty (0 bytes)");
        }
        // a memory-cached stream: ImageIO's default for InputStreams may spill to a temp file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageReadException(source, "not a PNG or JPEG image (starts with " + hexPrefix(data) + ")");
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                List<String> warnings = new ArrayList<>();
                IIOReadWarningListener listener = (r, warning) -> warnings.add(warning);
                reader.addIIOReadWarningListener(listener);
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                    throw new ImageReadException(source, format + " image claims " + w + "x" + h
                            + " pixels; refusing sizes that are empty or above " + MAX_PIXELS + " pixels");
                }
                BufferedImage img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new ImageReadException(source, format + " image is damaged or truncated: " + String.join("; ", warnings));
                }
                return new Decoded(img, format);
            } finally {
                reader.dispose();
            }
        } catch (ImageReadException e) {
            throw e;
        } catch (IIOException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("Unsupported Image Type")) {
                throw new ImageReadException(source, "CMYK/YCCK JPEG is not supported; convert it to RGB first "
                        + "(for example: ffmpeg -i in.jpg out.png)", e);
            }
            throw new ImageReadException(source, "cannot decode image: " + describe(e), e);
        } catch (IOException | RuntimeException e) {
            // javax.imageio throws unchecked exceptions on some corrupt inputs
            throw new ImageReadException(source, "cannot decode image (damaged or truncated?): " + describe(e), e);
        } catch (OutOfMemoryError e) {
            throw new ImageReadException(source, "image is too large to decode in the available memory");
        }
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
            sb.append(" (").append(c.getClass().getSimpleName()).append(c.getMessage() != null ? ": " + c.getMessage() : "").append(')');
        }
        return sb.toString();
    }

    private static String hexPrefix(byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(8, data.length); i++) {
            sb.append(String.format("%02x", data[i] & 0xFF));
        }
        return "0x" + sb;
    }

    /** Raster samples to 8-bit RGB, never through getRGB (which would apply a linear-gray colour conversion). */
    static RgbImage toRgb(BufferedImage img, Path source) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        ColorModel cm = img.getColorModel();
        byte[] out = new byte[w * h * 3];
        if (cm instanceof IndexColorModel icm) {
            int size = icm.getMapSize();
            byte[] rs = new byte[size];
            byte[] gs = new byte[size];
            byte[] bs = new byte[size];
            icm.getReds(rs);
            icm.getGreens(gs);
            icm.getBlues(bs);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int idx = row[x];
                    if (idx >= size) {
                        throw new ImageReadException(source, "palette index " + idx + " at (" + x + ", " + y
                                + ") is outside the " + size + "-entry palette; the image is damaged");
                    }
                    int o = (y * w + x) * 3;
                    out[o] = rs[idx];
                    out[o + 1] = gs[idx];
                    out[o + 2] = bs[idx];
                }
            }
            return RgbImage.wrap(w, h, out);
        }
        int colorBands = cm.getNumColorComponents();
        if (colorBands == 4) {
            throw new ImageReadException(source, "CMYK images are not supported; convert it to RGB first "
                    + "(for example: ffmpeg -i in.jpg out.png)");
        }
        if (colorBands != 1 && colorBands != 3) {
            throw new ImageReadException(source, "images with " + colorBands + " colour channels are not supported (only gray and RGB)");
        }
        if (copyInterleavedBytes(raster, colorBands, w, h, out)) {
            return RgbImage.wrap(w, h, out);
        }
        int bits = cm.getComponentSize(0);
        int[] row = new int[w];
        for (int c = 0; c < 3; c++) {
            int band = colorBands == 1 ? 0 : c;
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, band, row);
                for (int x = 0; x < w; x++) {
                    out[(y * w + x) * 3 + c] = (byte) to8Bit(row[x], bits);
                }
            }
        }
        return RgbImage.wrap(w, h, out);
    }

    private static int to8Bit(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        return v * 255 / ((1 << bits) - 1);
    }

    /** Fast path for the common byte-interleaved rasters (JPEG BGR, PNG RGB/RGBA/gray); false when not one. */
    private static boolean copyInterleavedBytes(Raster raster, int colorBands, int w, int h, byte[] out) {
        if (!(raster.getSampleModel() instanceof ComponentSampleModel sm) || raster.getDataBuffer().getDataType() != DataBuffer.TYPE_BYTE
                || !(raster.getDataBuffer() instanceof DataBufferByte db) || db.getNumBanks() != 1
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0
                || sm.getSampleSize(0) != 8) {
            return false;
        }
        byte[] data = db.getData();
        int[] offsets = sm.getBandOffsets();
        int[] banks = sm.getBankIndices();
        for (int b : banks) {
            if (b != 0) {
                return false;
            }
        }
        int pixelStride = sm.getPixelStride();
        int scanline = sm.getScanlineStride();
        int base = db.getOffset();
        int o0 = offsets[0];
        int o1 = colorBands == 1 ? o0 : offsets[1];
        int o2 = colorBands == 1 ? o0 : offsets[2];
        int o = 0;
        for (int y = 0; y < h; y++) {
            int p = base + y * scanline;
            for (int x = 0; x < w; x++, p += pixelStride) {
                out[o++] = data[p + o0];
                out[o++] = data[p + o1];
                out[o++] = data[p + o2];
            }
        }
        return true;
    }
}
