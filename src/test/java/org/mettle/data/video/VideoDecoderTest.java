package org.mettle.data.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mettle.data.audio.WavEncoding;
import org.mettle.data.audio.WavReader;
import org.mettle.data.audio.WavWriter;
import org.mettle.data.image.ImageDecoder;
import org.mettle.data.image.ImageEncoder;
import org.mettle.data.image.RgbImage;

/**
 * Decoding a small lossless video that the test makes with ffmpeg from known frames and a known tone. Skipped,
 * with the reason, when ffmpeg is not installed.
 */
class VideoDecoderTest {
    @TempDir
    Path dir;

    private static final int[][] COLOURS = {{250, 10, 10}, {10, 240, 20}, {20, 30, 230}, {200, 200, 30}};

    /** 4 s at 10 fps, each second one flat colour, with a 16 kHz mono sine; ffv1 + PCM in Matroska (both lossless). */
    private Path makeVideo(boolean withAudio) throws Exception {
        Path ffmpeg = Ffmpeg.find().orElseThrow();
        Path frames = Files.createDirectories(dir.resolve("src"));
        for (int k = 0; k < 40; k++) {
            int[] c = COLOURS[k / 10];
            byte[] px = new byte[32 * 24 * 3];
            for (int i = 0; i < px.length; i += 3) {
                px[i] = (byte) c[0];
                px[i + 1] = (byte) c[1];
                px[i + 2] = (byte) c[2];
            }
            ImageEncoder.writePng(RgbImage.of(32, 24, px), frames.resolve(String.format(Locale.ROOT, "f%03d.png", k)));
        }
        float[] tone = new float[4 * 16000];
        for (int i = 0; i < tone.length; i++) {
            tone[i] = (float) (0.5 * Math.sin(2 * Math.PI * 440 * i / 16000.0));
        }
        Path wav = dir.resolve("tone.wav");
        WavWriter.writeMono(wav, tone, 16000, WavEncoding.PCM_S16);
        Path video = dir.resolve(withAudio ? "clip.mkv" : "silent.mkv");
        List<String> cmd = new ArrayList<>(List.of(ffmpeg.toString(), "-nostdin", "-loglevel", "error", "-y", "-framerate", "10",
                "-i", frames.resolve("f%03d.png").toString()));
        if (withAudio) {
            cmd.addAll(List.of("-i", wav.toString(), "-c:a", "pcm_s16le"));
        }
        cmd.addAll(List.of("-c:v", "ffv1", "-pix_fmt", "bgr0", video.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "ffmpeg could not make the test video: " + log);
        return video;
    }

    @Test
    void decodesOneFramePerSecondAndTheAudio() throws Exception {
        assumeTrue(Ffmpeg.isAvailable(), "ffmpeg is not installed: video decoding not tested");
        Path video = makeVideo(true);
        DecodedVideo d = VideoDecoder.decode(video, VideoDecoder.Options.defaults());
        assertEquals(4, d.frames().size());
        for (int s = 0; s < 4; s++) {
            RgbImage f = d.frames().get(s);
            assertEquals(32, f.width());
            for (int c = 0; c < 3; c++) {
                assertEquals(COLOURS[s][c], f.get(16, 12, c), "segment " + s + " channel " + c);
            }
        }
        assertEquals(4 * 16000, d.audio().length);
        float[] expected = PcmWav.read(dir.resolve("tone.wav")).samples();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], d.audio()[i], 0f, "sample " + i);
        }
    }

    @Test
    void severalFramesPerSegmentAndAFixedSegmentCount() throws Exception {
        assumeTrue(Ffmpeg.isAvailable(), "ffmpeg is not installed: video decoding not tested");
        Path video = makeVideo(true);
        DecodedVideo d = VideoDecoder.decode(video, VideoDecoder.Options.defaults().withFramesPerSegment(2).withSegments(3)
                .withSampleRate(8000));
        assertEquals(6, d.frames().size());
        List<List<RgbImage>> seg = d.segments(2);
        assertEquals(3, seg.size());
        for (int s = 0; s < 3; s++) {
            for (RgbImage f : seg.get(s)) {
                assertEquals(COLOURS[s][0], f.get(0, 0, 0), "segment " + s);
            }
        }
        assertEquals(3 * 8000, d.audio().length, "audio is cut to the segments and resampled");
        // more segments than the video has: a clear error
        VideoDecodeException e = assertThrows(VideoDecodeException.class,
                () -> VideoDecoder.decode(video, VideoDecoder.Options.defaults().withSegments(10)));
        assertTrue(e.getMessage().contains("shorter than 10.0 s"), e.getMessage());
    }

    @Test
    void extractWritesFramesAndWavAndNoTempFiles() throws Exception {
        assumeTrue(Ffmpeg.isAvailable(), "ffmpeg is not installed: video decoding not tested");
        Path video = makeVideo(true);
        Path out = Files.createDirectories(dir.resolve("out"));
        DecodedVideo d = VideoDecoder.extract(video, out.resolve("frames/clip"), out.resolve("audio/clip.wav"),
                VideoDecoder.Options.defaults());
        try (Stream<Path> s = Files.list(out.resolve("frames/clip"))) {
            assertEquals(List.of("00000.png", "00001.png", "00002.png", "00003.png"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(COLOURS[2][2], ImageDecoder.read(out.resolve("frames/clip/00002.png")).get(3, 3, 2));
        assertEquals(4.0, PcmWav.read(out.resolve("audio/clip.wav")).seconds(), 1e-9);
        // the WAV holds ffmpeg's 16-bit samples unchanged (WavWriter's x * 32768 inverts the decoder's / 32768)
        float[] written = WavReader.read(out.resolve("audio/clip.wav")).samples();
        assertEquals(d.audio().length, written.length);
        for (int i = 0; i < written.length; i++) {
            assertEquals(d.audio()[i], written[i], 0f, "sample " + i);
        }
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".")).toList(), "temp files left");
        }
        // a second extract into the same directory refuses instead of mixing frames
        assertThrows(VideoDecodeException.class,
                () -> VideoDecoder.extract(video, out.resolve("frames/clip"), out.resolve("audio/clip2.wav"), VideoDecoder.Options.defaults()));
    }

    @Test
    void videoWithoutAudioSaysSo() throws Exception {
        assumeTrue(Ffmpeg.isAvailable(), "ffmpeg is not installed: video decoding not tested");
        Path video = makeVideo(false);
        VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> VideoDecoder.decode(video, VideoDecoder.Options.defaults()));
        assertTrue(e.getMessage().contains("no audio track"), e.getMessage());
        assertTrue(e.getMessage().startsWith(video.toString()), e.getMessage());
    }

    @Test
    void damagedVideoIsAnErrorNamingTheFile() throws Exception {
        assumeTrue(Ffmpeg.isAvailable(), "ffmpeg is not installed: video decoding not tested");
        Path bad = Files.write(dir.resolve("bad.mp4"), "not a video at all".getBytes());
        VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> VideoDecoder.decode(bad, VideoDecoder.Options.defaults()));
        assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains("ffmpeg failed"), e.getMessage());
    }

    @Test
    void missingFfmpegTellsTheUserWhatToDo() {
        String old = System.getProperty("mettle.ffmpeg");
        System.setProperty("mettle.ffmpeg", dir.resolve("no-such-ffmpeg").toString());
        try {
            assertFalse(Ffmpeg.isAvailable());
            FfmpegNotFoundException e = assertThrows(FfmpegNotFoundException.class,
                    () -> VideoDecoder.decode(dir.resolve("x.mp4"), VideoDecoder.Options.defaults()));
            assertTrue(e.getMessage().contains("install ffmpeg") || e.getMessage().contains("Install ffmpeg"), e.getMessage());
            assertTrue(e.getMessage().contains("--frames DIR --audio file.wav"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty("mettle.ffmpeg");
            } else {
                System.setProperty("mettle.ffmpeg", old);
            }
        }
    }

    @Test
    void aHangingProcessIsStoppedAtTheTimeout() throws IOException {
        Path sleep = Path.of("/bin/sleep");
        assumeTrue(Files.isExecutable(sleep), "/bin/sleep not available");
        long t0 = System.nanoTime();
        ProcessRunner.ProcessFailure e = assertThrows(ProcessRunner.ProcessFailure.class,
                () -> ProcessRunner.run(List.of(sleep.toString(), "30"), Duration.ofMillis(300), 1024));
        assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "the runner waited for the process instead of stopping it");
    }

    @Test
    void stdoutBeyondTheLimitStopsTheProcess() {
        Path yes = Path.of("/usr/bin/yes");
        assumeTrue(Files.isExecutable(yes), "/usr/bin/yes not available");
        ProcessRunner.ProcessFailure e = assertThrows(ProcessRunner.ProcessFailure.class,
                () -> ProcessRunner.run(List.of(yes.toString()), Duration.ofSeconds(30), 1 << 20));
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
    }
}
