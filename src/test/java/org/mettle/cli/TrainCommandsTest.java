package org.mettle.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.train.JsonText;
import org.mettle.train.RunConfig;
import org.mettle.train.TinyRuns;
import picocli.CommandLine;

/** train -> eval -> predict through the commands on one tiny synthetic run, and the errors users meet. */
class TrainCommandsTest {
    @TempDir
    static Path dir;
    static Path run;
    static Map<String, Object> trained;

    /** Exit code, stdout and the error message of one command. */
    record Outcome(int code, String out, String error) {
        Map<String, Object> lastJson() {
            String[] lines = out.strip().split("\n");
            return JsonText.parseObject(lines[lines.length - 1], "last stdout line");
        }
    }

    static Outcome execute(Object command, String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringBuilder error = new StringBuilder();
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            error.append(ex.getMessage());
            return 1;
        });
        cl.setErr(new java.io.PrintWriter(new java.io.StringWriter()));
        int code;
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            code = cl.execute(args);
        } finally {
            System.setOut(saved);
        }
        return new Outcome(code, bytes.toString(StandardCharsets.UTF_8), error.toString());
    }

    @BeforeAll
    static void trainOnce() throws Exception {
        RunConfig c = TinyRuns.config("ave");
        c.epochs = 2;
        Path config = dir.resolve("tiny-test.json");
        Files.writeString(config, c.toJson());
        run = dir.resolve("run");
        Outcome o = execute(new TrainCommand(), "--data", "synthetic", "--config", config.toString(), "--out", run.toString(), "--json");
        assertEquals(0, o.code(), o.error() + o.out());
        trained = o.lastJson();
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainJsonAndOutputs() {
        assertEquals("ave", trained.get("task"));
        assertEquals(2L, trained.get("epochs"));
        assertTrue(((Number) trained.get("trainable_params")).longValue() > 0);
        assertTrue(((Number) trained.get("peak_bytes")).longValue() > 0);
        assertTrue(((Number) trained.get("step_ms")).doubleValue() > 0);
        assertTrue(((Map<String, Object>) trained.get("test")).containsKey("accuracy"));
        for (String f : List.of("best.safetensors", "last.safetensors", "metrics.jsonl", "loss.png", "metrics.png", "config.json", "result.json")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void evalOfTheBestCheckpointGivesTheTrainingValMetric() {
        Outcome o = execute(new EvalCommand(), "--checkpoint", run.resolve("best.safetensors").toString(), "--data", "synthetic", "--split", "val", "--json");
        assertEquals(0, o.code(), o.error());
        Map<String, Object> metrics = (Map<String, Object>) o.lastJson().get("metrics");
        assertEquals(((Map<String, Object>) trained.get("val")).get("accuracy"), metrics.get("accuracy"));
        Outcome test = execute(new EvalCommand(), "--checkpoint", run.resolve("best.safetensors").toString(), "--data", run.resolve("data").toString(), "--json");
        assertEquals(((Map<String, Object>) trained.get("test")).get("accuracy"), ((Map<String, Object>) test.lastJson().get("metrics")).get("accuracy"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void predictGivesOneEntryPerSecond() throws Exception {
        Path frames;
        try (var s = Files.list(run.resolve("data/frames"))) {
            frames = s.sorted().findFirst().orElseThrow();
        }
        Path wav = run.resolve("data/audio").resolve(frames.getFileName() + ".wav");
        Outcome o = execute(new PredictCommand(), "--checkpoint", run.resolve("best.safetensors").toString(), "--frames", frames.toString(),
                "--audio", wav.toString(), "--json");
        assertEquals(0, o.code(), o.error());
        List<Object> segments = (List<Object>) o.lastJson().get("segments");
        assertEquals(10, segments.size(), "synthetic AVE clips have 10 one-second frames");
        for (int t = 0; t < segments.size(); t++) {
            Map<String, Object> e = (Map<String, Object>) segments.get(t);
            assertEquals((long) t, e.get("t"));
            Map<String, Object> probs = (Map<String, Object>) e.get("probs");
            assertEquals(29, probs.size());
            double sum = probs.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum();
            assertEquals(1.0, sum, 1e-4);
            String label = (String) e.get("label");
            double top = ((Number) probs.get(label)).doubleValue();
            assertTrue(probs.values().stream().allMatch(v -> ((Number) v).doubleValue() <= top), "label is the argmax");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void predictDecodesAVideoWithFfmpeg() throws Exception {
        Path ffmpeg = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .map(d -> Path.of(d, "ffmpeg")).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(ffmpeg != null, "skipped: ffmpeg is not installed (predict --video needs it)");
        Path frames;
        try (var s = Files.list(run.resolve("data/frames"))) {
            frames = s.sorted().findFirst().orElseThrow();
        }
        Path wav = run.resolve("data/audio").resolve(frames.getFileName() + ".wav");
        Path mp4 = dir.resolve("clip.mp4");
        Process p = new ProcessBuilder(ffmpeg.toString(), "-nostdin", "-y", "-loglevel", "error", "-framerate", "1", "-i",
                frames.resolve("%04d.png").toString(), "-i", wav.toString(), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", "25", "-c:a", "aac",
                mp4.toString()).redirectErrorStream(true).start();
        String ffmpegLog = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(p.waitFor() == 0, "skipped: this ffmpeg cannot encode H.264/AAC: " + ffmpegLog);
        Outcome o = execute(new PredictCommand(), "--checkpoint", run.resolve("best.safetensors").toString(), "--video", mp4.toString(), "--json");
        assertEquals(0, o.code(), o.error());
        List<Object> segments = (List<Object>) o.lastJson().get("segments");
        assertEquals(10, segments.size(), "a 10 s video gives 10 one-second entries");
        assertEquals(29, ((Map<String, Object>) ((Map<String, Object>) segments.get(9)).get("probs")).size());
    }

    @Test
    @SuppressWarnings("unchecked")
    void avvpPredictListsAudioAndVisualClassesAboveHalf() throws Exception {
        RunConfig c = TinyRuns.config("avvp");
        c.epochs = 1;
        c.synthVideos = 8;
        Path config = dir.resolve("avvp.json");
        Files.writeString(config, c.toJson());
        Path avvpRun = dir.resolve("avvp-run");
        Outcome t = execute(new TrainCommand(), "--data", "synthetic", "--config", config.toString(), "--out", avvpRun.toString(), "--json");
        assertEquals(0, t.code(), t.error());
        assertTrue(((Map<String, Object>) t.lastJson().get("val")).containsKey("seg_type_av"));
        Path frames;
        try (var s = Files.list(avvpRun.resolve("data/frames"))) {
            frames = s.sorted().findFirst().orElseThrow();
        }
        Path wav = avvpRun.resolve("data/audio").resolve(frames.getFileName() + ".wav");
        Outcome o = execute(new PredictCommand(), "--checkpoint", avvpRun.resolve("last.safetensors").toString(), "--frames", frames.toString(),
                "--audio", wav.toString(), "--json");
        assertEquals(0, o.code(), o.error());
        Map<String, Object> result = o.lastJson();
        assertEquals("avvp", result.get("task"));
        Map<String, Object> video = (Map<String, Object>) result.get("video");
        List<Object> segments = (List<Object>) result.get("segments");
        assertEquals(10, segments.size());
        for (Object e : segments) {
            Map<String, Object> entry = (Map<String, Object>) e;
            for (String modality : List.of("audio", "visual")) {
                Map<String, Object> classes = (Map<String, Object>) entry.get(modality);
                for (Map.Entry<String, Object> k : classes.entrySet()) {
                    assertTrue(((Number) k.getValue()).doubleValue() >= 0.5, modality + " " + k);
                    assertTrue(video.containsKey(k.getKey()), "a segment class is also a video class: " + k.getKey());
                }
            }
        }
    }

    @Test
    void badInputsFailWithClearMessages() throws Exception {
        Outcome missing = execute(new TrainCommand(), "--data", dir.resolve("nowhere").toString(), "--out", dir.resolve("r1").toString());
        assertNotEquals(0, missing.code());
        assertTrue(missing.error().contains("nowhere") && missing.error().contains("no such directory"), missing.error());

        Outcome method = execute(new TrainCommand(), "--method", "magic", "--data", "synthetic", "--out", dir.resolve("r2").toString());
        assertTrue(method.error().contains("unknown method 'magic'") && method.error().contains("mettle"), method.error());

        Outcome latents = execute(new TrainCommand(), "--method", "lavish", "--latent-tokens", "0", "--data", "synthetic", "--out", dir.resolve("r3").toString());
        assertTrue(latents.error().contains("lavish_latent_tokens") && latents.error().contains("at least one latent token"), latents.error());
        Outcome layers = execute(new TrainCommand(), "--layers", "every:0", "--data", "synthetic", "--out", dir.resolve("r4").toString());
        assertNotEquals(0, layers.code());
        assertTrue(layers.error().contains("every:0"), layers.error());

        Outcome notEmpty = execute(new TrainCommand(), "--data", "synthetic", "--out", run.toString());
        assertTrue(notEmpty.error().contains("not empty") && notEmpty.error().contains("--resume"), notEmpty.error());

        Outcome otherTask = execute(new TrainCommand(), "--task", "avvp", "--data", "synthetic", "--out", run.toString(), "--resume");
        assertTrue(otherTask.error().contains("task ave") && otherTask.error().contains("--task avvp"), otherTask.error());

        Outcome evalTask = execute(new EvalCommand(), "--checkpoint", run.resolve("best.safetensors").toString(), "--data", "synthetic", "--task", "avvp");
        assertTrue(evalTask.error().contains("trained for task ave"), evalTask.error());

        Outcome noCheckpoint = execute(new EvalCommand(), "--checkpoint", dir.resolve("none.safetensors").toString(), "--data", "synthetic");
        assertTrue(noCheckpoint.error().contains("none.safetensors") && noCheckpoint.error().contains("does not exist"), noCheckpoint.error());

        Outcome noMedia = execute(new PredictCommand(), "--checkpoint", run.resolve("best.safetensors").toString());
        assertTrue(noMedia.error().contains("--video") && noMedia.error().contains("--frames"), noMedia.error());

        if (RunConfig.locate(PredictCommand.DEFAULT_CHECKPOINT) == null) {
            Outcome noDefault = execute(new PredictCommand(), "--frames", dir.toString(), "--audio", dir.resolve("a.wav").toString());
            assertTrue(noDefault.error().contains(PredictCommand.DEFAULT_CHECKPOINT), noDefault.error());
        }

        Outcome weights = execute(new TrainCommand(), "--visual-weights", "absent.safetensors", "--data", "synthetic", "--out", dir.resolve("r4").toString());
        assertTrue(weights.error().contains("--visual-weights absent.safetensors: file not found"), weights.error());

        Outcome paper = execute(new TrainCommand(), "--config", "paper", "--data", "synthetic", "--out", dir.resolve("r5").toString());
        assertTrue(paper.error().contains("--visual-weights FILE"), paper.error());

        Path badConfig = dir.resolve("bad.json");
        Files.writeString(badConfig, "{\"task\":\"ave\",\"lr_metod\":0.1}");
        Outcome config = execute(new TrainCommand(), "--config", badConfig.toString(), "--data", "synthetic", "--out", dir.resolve("r3").toString());
        assertTrue(config.error().contains("unknown config key 'lr_metod'"), config.error());
    }
}
