package org.mettle.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config JSON round trip and validation, weight-path fallback, the JSON helper and the plot writer. */
class RunConfigTest {
    @TempDir
    Path dir;

    @Test
    void jsonRoundTripKeepsEveryValue() {
        RunConfig c = RunConfig.paper();
        c.lrMethod = 1.2345678901234e-4;
        c.seed = -7;
        c.visualWeights = "w/v \"quoted\".safetensors";
        c.layers = "0,5,11";
        RunConfig back = RunConfig.fromJson(c.toJson(), "test");
        assertEquals(c.toMap(), back.toMap());
        assertEquals(c.toJson(), back.toJson());
        assertNull(back.audioWeights);
        assertEquals(RunConfig.tiny().toMap(), RunConfig.fromJson("{}", "empty").toMap(), "missing keys keep the tiny preset");
    }

    @Test
    void lavishKeysReachTheLavishModel() {
        RunConfig c = RunConfig.tiny();
        c.method = "lavish";
        c.visualWeights = null;
        c.audioWeights = null;
        c.lavishLatentTokens = 3;
        c.lavishBottleneckRatio = 2;
        c.validate();
        try (RunModel run = RunModel.build(c, org.mettle.backend.Backends.cpu())) {
            Map<String, org.mettle.tensor.Tensor> trainable = run.model().trainableTensors();
            List<String> latents = trainable.keySet().stream().filter(n -> n.endsWith(".latents")).toList();
            assertTrue(!latents.isEmpty(), "no latent tokens among " + trainable.keySet());
            for (String name : latents) {
                org.mettle.tensor.Tensor z = trainable.get(name);
                assertEquals(3, z.shape().dim(0), name);
                String down = name.replace(".latents", ".down.weight"); // Linear weight [out = bottleneck, in = D]
                assertTrue(trainable.containsKey(down), "no " + down + " among " + trainable.keySet());
                int width = trainable.get(down).shape().dim(1);
                assertEquals(Math.max(8, width / 2), z.shape().dim(1), name + " bottleneck for block width " + width);
            }
        }
        RunConfig bad = RunConfig.tiny();
        bad.lavishLatentTokens = 0;
        assertTrue(assertThrows(IllegalArgumentException.class, bad::validate).getMessage().contains("lavish_latent_tokens"));
        assertEquals(3, RunConfig.fromJson("{\"lavish_latent_tokens\": 3}", "l.json").lavishLatentTokens);
    }

    @Test
    void configFileOverridesThePresetAndBadValuesAreNamed() throws Exception {
        Path f = dir.resolve("c.json");
        Files.writeString(f, "{\"task\": \"avvp\", \"epochs\": 3, \"schedule\": \"step\"}");
        RunConfig c = RunConfig.named(f.toString());
        assertEquals("avvp", c.task);
        assertEquals(3, c.epochs);
        assertEquals(RunConfig.tiny().commonWidth, c.commonWidth);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunConfig.fromJson("{\"epochs\": \"three\"}", "x.json"))
                .getMessage().contains("x.json: key 'epochs' must be an integer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunConfig.fromJson("{\"epochs\": 3,}", "y.json"))
                .getMessage().contains("y.json: invalid JSON"));
        RunConfig bad = RunConfig.tiny();
        bad.schedule = "linear";
        assertTrue(assertThrows(IllegalArgumentException.class, bad::validate).getMessage().contains("cosine or step"));
        RunConfig lowMem = RunConfig.tiny();
        lowMem.method = "linear";
        lowMem.lowMemory = true;
        assertTrue(assertThrows(IllegalArgumentException.class, lowMem::validate).getMessage().contains("two-pass"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RunConfig.named("huge")).getMessage().contains("tiny, paper"));
    }

    @Test
    void missingTinyWeightsFallBackToRandomButRequiredOnesFail() {
        RunConfig c = RunConfig.tiny();
        c.visualWeights = dir.resolve("absent-v.safetensors").toString();
        c.audioWeights = null;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        c.resolveWeights(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertNull(c.visualWeights);
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("seeded random weights"));
        RunConfig p = RunConfig.paper();
        p.visualWeights = "absent-v.safetensors";
        String msg = assertThrows(IllegalArgumentException.class, () -> p.resolveWeights(System.err)).getMessage();
        assertTrue(msg.contains("absent-v.safetensors") && msg.contains("--visual-weights"), msg);
    }

    @Test
    void jsonWriterAndParserAgree() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 0.1 + 0.2);
        m.put("b", List.of(1L, "x\ny", true));
        m.put("c", null);
        m.put("nan", Double.NaN);
        Map<String, Object> back = JsonText.parseObject(JsonText.write(m), "t");
        assertEquals(0.1 + 0.2, back.get("a"));
        assertEquals(List.of(1L, "x\ny", true), back.get("b"));
        assertNull(back.get("c"));
        assertNull(back.get("nan"), "NaN is written as null");
    }

    @Test
    void plotWriterWritesADecodablePngOfTheRightSize() throws Exception {
        Path png = dir.resolve("plot.png");
        Map<String, List<Double>> series = new LinkedHashMap<>();
        series.put("train loss", List.of(3.2, 2.5, 1.9, Double.NaN, 1.1));
        series.put("val", List.of(0.1, 0.3, 0.5, 0.55, 0.6));
        PlotWriter.write(png, "Loss", "epoch", "value", series);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(PlotWriter.WIDTH, img.getWidth());
        assertEquals(PlotWriter.HEIGHT, img.getHeight());
        int colored = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                if (rgb == 0x1f77b4 || rgb == 0xd62728) {
                    colored++;
                }
            }
        }
        assertTrue(colored > 50, "both series are drawn in their colours: " + colored);
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left");
        }
        PlotWriter.write(png, "One point", "epoch", "value", PlotWriter.single("x", List.of(1.0)));
        assertEquals(PlotWriter.WIDTH, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void niceTicksCoverTheRange() {
        double[] t = PlotWriter.niceTicks(0.13, 0.87, 6);
        assertTrue(t[0] <= 0.13 && t[t.length - 1] >= 0.87);
        assertEquals(0.2, t[1] - t[0], 1e-12, "range 0.74 over 5 gaps rounds up to steps of 0.2");
        assertTrue(t.length <= 7);
    }
}
