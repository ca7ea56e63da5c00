package org.mettle.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mettle.io.SafetensorsFile;

/** Decoding and resizing against PIL 9.4 and torchvision 0.14 (goldens from make_image_fixtures.py). */
class ImageGoldenTest {

    @Test
    void jpegPhotosDecodeLikePil() {
        // photo_*.png holds PIL's decode of photo_*.jpg, losslessly
        for (String photo : List.of("photo_ladybird", "photo_storm", "photo_flower")) {
            RgbImage java = ImageDecoder.read(ImageGolden.file(photo + ".jpg"));
            RgbImage pil = ImageDecoder.read(ImageGolden.file(photo + ".png"));
            assertEquals(pil.width(), java.width());
            assertEquals(pil.height(), java.height());
            double[] d = ImageGolden.diff(ImageGolden.hwc(java), ImageGolden.hwc(pil));
            System.out.printf("decode %s.jpg vs PIL: max %.0f, mean %.4f, %d of %d values differ%n", photo, d[0], d[1], (int) d[2], java.width() * java.height() * 3);
            assertTrue(d[0] <= 1, photo + ".jpg: max difference to PIL " + d[0] + " > 1 grey level");
        }
    }

    @Test
    void everyColourTypeDecodesLikePilConvertRgb() {
        try (SafetensorsFile g = ImageGolden.open()) {
            List<String> names = ImageGolden.names(g, "decode");
            assertTrue(names.size() >= 9, "decode goldens: " + names);
            for (String name : names) {
                String file = name.substring("decode/".length());
                RgbImage img = ImageDecoder.read(ImageGolden.file(file));
                double[] d = ImageGolden.diff(ImageGolden.hwc(img), g.readFloats(name));
                double limit = file.endsWith(".jpg") ? 1 : 0; // two libjpeg builds may round an IDCT output differently
                assertTrue(d[0] <= limit, file + ": max difference to PIL " + d[0] + " (mean " + d[1] + ")");
            }
        }
    }

    @Test
    void resizeMatchesPilBitForBit() {
        try (SafetensorsFile g = ImageGolden.open()) {
            List<String> names = ImageGolden.names(g, "pil");
            assertTrue(names.size() >= 20, "pil goldens: " + names);
            for (String name : names) {
                ImageGolden.Case c = ImageGolden.Case.parse(name);
                RgbImage out = Resize.resize(c.inputImage(), c.width(), c.height(), c.resampleFilter());
                double[] d = ImageGolden.diff(ImageGolden.hwc(out), g.readFloats(name));
                assertEquals(0.0, d[0], name + ": " + (int) d[2] + " values differ from PIL, max " + d[0]);
            }
        }
    }

    @Test
    void floatResizeWithinOneLevelOfTorchvisionUint8Resize() {
        // torchvision Resize(antialias=True) on a uint8 tensor: float resize, clamp (bicubic), round.
        try (SafetensorsFile g = ImageGolden.open()) {
            List<String> names = ImageGolden.names(g, "tv_u8");
            assertFalse(names.isEmpty());
            for (String name : names) {
                ImageGolden.Case c = ImageGolden.Case.parse(name);
                RgbImage in = c.inputImage();
                float[] expected = g.readFloats(name);
                float[] pil = ImageGolden.hwc(Resize.resize(in, c.width(), c.height(), c.resampleFilter()));
                float[] viaFloat = Resize.resizeFloat(in.toChwFloat255(), 3, in.height(), in.width(), c.height(), c.width(), c.resampleFilter());
                double[] dPil = ImageGolden.diff(pil, expected);
                double[] dFloat = ImageGolden.diff(chwToHwcRounded(viaFloat, c.width(), c.height()), expected);
                System.out.printf("%-45s PIL path max %2.0f (%4d differ), float path max %.0f%n", name, dPil[0], (int) dPil[2], dFloat[0]);
                assertTrue(dFloat[0] <= 1, name + ": float resize differs from torchvision by " + dFloat[0] + " > 1/255");
                // PIL itself (which the PIL path reproduces bit for bit) is not within 1 level of torchvision: it
                // rounds to uint8 between its two passes and clips the bicubic overshoot there. Bound the gap loosely
                // so a regression in either path still shows.
                double gap = c.filter().equals("bilinear") ? 1 : 8;
                assertTrue(dPil[0] <= gap, name + ": PIL-style resize differs from torchvision by " + dPil[0]);
            }
        }
    }

    @Test
    void floatResizeMatchesTorchInterpolateAntialias() {
        try (SafetensorsFile g = ImageGolden.open()) {
            List<String> names = ImageGolden.names(g, "tv_f32");
            assertFalse(names.isEmpty());
            for (String name : names) {
                ImageGolden.Case c = ImageGolden.Case.parse(name);
                RgbImage in = c.inputImage();
                float[] out = Resize.resizeFloat(in.toChwFloat(), 3, in.height(), in.width(), c.height(), c.width(), c.resampleFilter());
                double[] d = ImageGolden.diff(out, g.readFloats(name));
                System.out.printf("%-45s float resize vs torch: max %.2e%n", name, d[0]);
                assertTrue(d[0] <= 1e-6, name + ": max difference " + d[0] + " to torch");
            }
        }
    }

    @Test
    void framePipelineMatchesTorchvisionCompose() {
        try (SafetensorsFile g = ImageGolden.open()) {
            for (String name : ImageGolden.names(g, "pipeline")) {
                ImageGolden.Case c = ImageGolden.Case.parse(name);
                FramePipeline p = FramePipeline.builder().resizeShorterSide(80).filter(c.resampleFilter())
                        .centerCrop(c.width(), c.height()).build();
                FramePipeline.Frame f = p.process(c.inputImage());
                assertEquals(c.width(), f.width());
                assertEquals(c.height(), f.height());
                double[] d = ImageGolden.diff(f.chw(), g.readFloats(name));
                assertTrue(d[0] <= 1e-6, name + ": max difference " + d[0]);
            }
        }
    }

    @Test
    void centerCropMatchesTorchvisionIncludingPadding() {
        try (SafetensorsFile g = ImageGolden.open()) {
            List<String> names = ImageGolden.names(g, "crop");
            assertEquals(2, names.size());
            for (String name : names) {
                ImageGolden.Case c = ImageGolden.Case.parse(name);
                RgbImage in = c.inputImage();
                RgbImage out = ImageOps.centerCrop(in, c.width(), c.height());
                assertEquals(0.0, ImageGolden.diff(ImageGolden.hwc(out), g.readFloats(name))[0], name);
                // the float crop agrees with the 8-bit one
                float[] fc = ImageOps.centerCrop(in.toChwFloat(), 3, in.height(), in.width(), c.width(), c.height());
                assertEquals(0.0, ImageGolden.diff(fc, out.toChwFloat())[0], name + " (float crop)");
            }
        }
    }

    private static float[] chwToHwcRounded(float[] chw, int w, int h) {
        float[] out = new float[chw.length];
        int plane = w * h;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float v = Math.max(0f, Math.min(255f, chw[c * plane + i]));
                out[i * 3 + c] = (float) Math.rint(v); // torch.round: half to even
            }
        }
        return out;
    }
}
