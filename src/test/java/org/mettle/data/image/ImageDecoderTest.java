package org.mettle.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input and the less common sample layouts. */
class ImageDecoderTest {
    @TempDir
    Path dir;

    @Test
    void missingFileIsNamed() {
        Path p = dir.resolve("nope.png");
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
        assertEquals(p, e.path());
    }

    @Test
    void emptyFileIsNamed() throws IOException {
        Path p = Files.createFile(dir.resolve("empty.jpg"));
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void textIsNotAnImage() throws IOException {
        Path p = Files.writeString(dir.resolve("notes.png"), "hello, not a png");
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
        assertTrue(e.getMessage().contains("not a PNG or JPEG") && e.getMessage().contains("0x68656c6c"), e.getMessage());
    }

    @Test
    void truncatedJpegIsAnErrorNotAGreyFrame() throws IOException {
        byte[] full = Files.readAllBytes(ImageGolden.file("photo_ladybird.jpg"));
        Path p = Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(full, full.length / 2));
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
    }

    @Test
    void truncatedProgressiveJpegIsAnError() throws IOException {
        byte[] full = Files.readAllBytes(ImageGolden.file("photo_flower.jpg"));
        Path p = Files.write(dir.resolve("cut_progressive.jpg"), Arrays.copyOf(full, full.length * 2 / 3));
        assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
    }

    @Test
    void truncatedPngIsAnError() throws IOException {
        byte[] full = Files.readAllBytes(ImageGolden.file("photo_storm.png"));
        Path p = Files.write(dir.resolve("cut.png"), Arrays.copyOf(full, full.length / 2));
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
        assertTrue(e.getMessage().contains("cut.png"), e.getMessage());
    }

    @Test
    void corruptPngDataIsAnError() throws IOException {
        byte[] bytes = Files.readAllBytes(ImageGolden.file("photo_storm.png"));
        for (int i = 200; i < 260; i++) {
            bytes[i] ^= 0x5A; // inside the first IDAT: the CRC and the deflate stream break
        }
        Path p = Files.write(dir.resolve("corrupt.png"), bytes);
        assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
    }

    @Test
    void cmykJpegSaysWhatToDo() {
        Path p = ImageGolden.file("unsupported_cmyk.jpg");
        ImageReadException e = assertThrows(ImageReadException.class, () -> ImageDecoder.read(p));
        assertTrue(e.getMessage().contains("CMYK") && e.getMessage().contains("convert"), e.getMessage());
    }

    @Test
    void sixteenBitSamplesKeepTheirHighByte() throws IOException {
        int w = 4;
        int h = 1;
        int[] values = {0, 0x01FF, 0x8000, 0xFFFF};
        // 16-bit gray
        BufferedImage gray = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        gray.getRaster().setSamples(0, 0, w, h, 0, values);
        Path g = dir.resolve("gray16.png");
        ImageIO.write(gray, "png", g.toFile());
        RgbImage gi = ImageDecoder.read(g);
        for (int x = 0; x < w; x++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(values[x] >> 8, gi.get(x, 0, c), "gray16 x=" + x);
            }
        }
        // 16-bit RGB
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[] {16, 16, 16},
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(w, h);
        for (int x = 0; x < w; x++) {
            r.setPixel(x, 0, new int[] {values[x], values[3 - x], 0x1234});
        }
        Path p = dir.resolve("rgb16.png");
        ImageIO.write(new BufferedImage(cm, r, false, null), "png", p.toFile());
        RgbImage ri = ImageDecoder.read(p);
        for (int x = 0; x < w; x++) {
            assertArrayEquals(new int[] {values[x] >> 8, values[3 - x] >> 8, 0x12}, new int[] {ri.get(x, 0, 0), ri.get(x, 0, 1), ri.get(x, 0, 2)});
        }
    }

    @Test
    void twoBitGrayIsScaledTo255() throws IOException {
        // ImageIO writes a 2-bit palette PNG from a 4-entry gray IndexColorModel
        byte[] levels = {0, 85, (byte) 170, (byte) 255};
        IndexColorModel icm = new IndexColorModel(2, 4, levels, levels, levels);
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_BINARY, icm);
        img.getRaster().setSamples(0, 0, 4, 1, 0, new int[] {0, 1, 2, 3});
        Path p = dir.resolve("gray2.png");
        ImageIO.write(img, "png", p.toFile());
        RgbImage out = ImageDecoder.read(p);
        for (int x = 0; x < 4; x++) {
            assertEquals(levels[x] & 0xFF, out.get(x, 0, 1));
        }
    }

    @Test
    void masksFromGrayAndPaletteFiles() throws IOException {
        BufferedImage gray = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSamples(0, 0, 3, 2, 0, new int[] {0, 255, 127, 128, 255, 0});
        Path g = dir.resolve("mask_gray.png");
        ImageIO.write(gray, "png", g.toFile());
        assertArrayEquals(new byte[] {0, 1, 0, 1, 1, 0}, ImageDecoder.readMask(g).toBytes());

        // palette masks: any non-zero index is foreground, whatever colour the palette gives it
        byte[] rs = {0, (byte) 128, 0};
        byte[] gs = {0, 0, (byte) 128};
        byte[] bs = {0, 0, 0};
        IndexColorModel icm = new IndexColorModel(8, 3, rs, gs, bs);
        BufferedImage pal = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_INDEXED, icm);
        pal.getRaster().setSamples(0, 0, 3, 2, 0, new int[] {0, 1, 2, 0, 0, 1});
        Path p = dir.resolve("mask_palette.png");
        ImageIO.write(pal, "png", p.toFile());
        BinaryMask m = ImageDecoder.readMask(p);
        assertArrayEquals(new byte[] {0, 1, 1, 0, 0, 1}, m.toBytes());
        assertEquals(3, m.count());
        assertArrayEquals(new float[] {0, 1, 1, 0, 0, 1}, m.toFloat());
    }

    @Test
    void decodingLeavesNoTempFiles() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long before = countImageioFiles(tmp);
        ImageDecoder.decode(Files.readAllBytes(ImageGolden.file("photo_storm.jpg")), Path.of("bytes"));
        assertEquals(before, countImageioFiles(tmp));
    }

    private static long countImageioFiles(Path tmp) throws IOException {
        try (var s = Files.list(tmp)) {
            return s.filter(f -> f.getFileName().toString().startsWith("imageio")).count();
        }
    }
}
