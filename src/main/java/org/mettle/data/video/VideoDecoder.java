package org.mettle.data.video;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.mettle.data.audio.WavEncoding;
import org.mettle.data.audio.WavWriter;
import org.mettle.data.image.ImageDecoder;
import org.mettle.data.image.ImageReadException;
import org.mettle.data.image.RgbImage;

/**
 * Decodes a video container with ffmpeg, run as a separate process with a time limit. Frames come through a pipe
 * as PNG images and audio as raw 16-bit PCM, so decoding writes no files; {@link #extract} writes frames and a WAV
 * where asked, through temporary names that are removed on failure.
 *
 * <p>Frames are sampled with ffmpeg's fps filter at {@code framesPerSegment / segmentSeconds} frames per second:
 * frame k is the source frame nearest to time k / rate, so one per second gives the frames at 0 s, 1 s, ...
 * Audio is mixed to mono and resampled by ffmpeg to the requested rate.
 */
public final class VideoDecoder {
    private VideoDecoder() {}

    /** Decoding options; the defaults are one frame per one-second segment, all segments, 16 kHz audio, 120 s limit. */
    public record Options(int framesPerSegment, double segmentSeconds, int segments, int sampleRate, Duration timeout,
                          long maxBytes) {
        public Options {
            if (framesPerSegment <= 0 || !(segmentSeconds > 0) || segments < 0 || sampleRate <= 0) {
                throw new IllegalArgumentException("framesPerSegment, segmentSeconds and sampleRate must be positive and "
                        + "segments non-negative (0 = as many as the video has); got " + framesPerSegment + ", " + segmentSeconds
                        + ", " + segments + ", " + sampleRate);
            }
        }

        public static Options defaults() {
            return new Options(1, 1.0, 0, 16000, Duration.ofSeconds(120), 2L << 30);
        }

        /** Exactly this many segments: fewer decoded frames are an error, more are not decoded. */
        public Options withSegments(int n) {
            return new Options(framesPerSegment, segmentSeconds, n, sampleRate, timeout, maxBytes);
        }

        public Options withFramesPerSegment(int n) {
            return new Options(n, segmentSeconds, segments, sampleRate, timeout, maxBytes);
        }

        public Options withSampleRate(int rate) {
            return new Options(framesPerSegment, segmentSeconds, segments, rate, timeout, maxBytes);
        }

        public Options withTimeout(Duration t) {
            return new Options(framesPerSegment, segmentSeconds, segments, sampleRate, t, maxBytes);
        }

        public double framesPerSecond() {
            return framesPerSegment / segmentSeconds;
        }
    }

    /** Decodes frames and audio into memory. */
    public static DecodedVideo decode(Path video, Options options) {
        Path ffmpeg = Ffmpeg.require(video);
        if (!Files.isRegularFile(video)) {
            throw new VideoDecodeException(video, "video file does not exist");
        }
        List<RgbImage> frames = decodeFrames(ffmpeg, video, options);
        float[] audio = decodeAudio(ffmpeg, video, options);
        return new DecodedVideo(frames, options.framesPerSecond(), audio, options.sampleRate());
    }

    /**
     * Decodes the video and writes its frames as framesDir/00000.png, 00001.png, ... and its audio as a 16-bit mono
     * WAV. framesDir is created (it must not hold image files already); nothing is left behind on failure.
     */
    public static DecodedVideo extract(Path video, Path framesDir, Path wavFile, Options options) {
        DecodedVideo d = decode(video, options);
        if (!FrameDirs.isEmptyOfImages(framesDir)) {
            throw new VideoDecodeException(video, "frame directory " + framesDir + " already holds image files; remove them first");
        }
        Path tmpDir = null;
        try {
            Path parent = framesDir.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            tmpDir = Files.createTempDirectory(parent, "." + framesDir.getFileName() + ".");
            for (int k = 0; k < d.frames().size(); k++) {
                FrameDirs.writePng(d.frames().get(k), tmpDir.resolve(String.format(Locale.ROOT, "%05d.png", k)));
            }
            Files.createDirectories(wavFile.toAbsolutePath().getParent());
            // the samples are ffmpeg's s16 / 32768, so this writes ffmpeg's PCM back bit for bit
            WavWriter.writeMono(wavFile, d.audio(), d.sampleRate(), WavEncoding.PCM_S16);
            if (Files.isDirectory(framesDir)) {
                try (Stream<Path> s = Files.list(tmpDir)) {
                    for (Path f : s.toList()) {
                        Files.move(f, framesDir.resolve(f.getFileName()));
                    }
                }
                Files.delete(tmpDir);
            } else {
                Files.move(tmpDir, framesDir, StandardCopyOption.ATOMIC_MOVE);
            }
            tmpDir = null;
            return d;
        } catch (IOException e) {
            throw new VideoDecodeException(video, "cannot write frames to " + framesDir + ": " + e.getMessage(), e);
        } finally {
            if (tmpDir != null) {
                deleteTree(tmpDir);
            }
        }
    }

    private static List<String> baseCommand(Path ffmpeg, Path video) {
        List<String> cmd = new ArrayList<>(List.of(ffmpeg.toString(), "-nostdin", "-hide_banner", "-loglevel", "error",
                "-i", video.toString()));
        return cmd;
    }

    private static List<RgbImage> decodeFrames(Path ffmpeg, Path video, Options o) {
        List<String> cmd = baseCommand(ffmpeg, video);
        cmd.addAll(List.of("-map", "0:v:0", "-vf", "fps=" + fpsExpression(o), "-pix_fmt", "rgb24"));
        if (o.segments() > 0) {
            cmd.addAll(List.of("-frames:v", Integer.toString(o.segments() * o.framesPerSegment())));
        }
        cmd.addAll(List.of("-f", "image2pipe", "-c:v", "png", "pipe:1"));
        ProcessRunner.Result r = runFfmpeg(cmd, video, o, "frames");
        List<byte[]> pngs = PngStream.split(r.stdout());
        if (pngs.isEmpty()) {
            throw new VideoDecodeException(video, "ffmpeg produced no frames" + stderrTail(r.stderr()));
        }
        List<RgbImage> frames = new ArrayList<>(pngs.size());
        for (int k = 0; k < pngs.size(); k++) {
            try {
                frames.add(ImageDecoder.decode(pngs.get(k), Path.of(video + "#frame" + k)));
            } catch (ImageReadException e) {
                throw new VideoDecodeException(video, "frame " + k + " from ffmpeg is not a valid PNG: " + e.getMessage(), e);
            }
        }
        int expected = o.segments() * o.framesPerSegment();
        if (o.segments() > 0 && frames.size() < expected) {
            throw new VideoDecodeException(video, "has " + frames.size() + " frames at " + o.framesPerSecond() + " fps but "
                    + o.segments() + " segments of " + o.framesPerSegment() + " need " + expected + "; the video is shorter than "
                    + o.segments() * o.segmentSeconds() + " s");
        }
        return frames;
    }

    /** The sampling rate as an exact fraction when it is one, so fps=1/2 stays exact. */
    private static String fpsExpression(Options o) {
        double fps = o.framesPerSecond();
        if (fps == Math.rint(fps)) {
            return Long.toString((long) fps);
        }
        if (o.segmentSeconds() == Math.rint(o.segmentSeconds())) {
            return o.framesPerSegment() + "/" + (long) o.segmentSeconds();
        }
        return Double.toString(fps);
    }

    private static float[] decodeAudio(Path ffmpeg, Path video, Options o) {
        List<String> cmd = baseCommand(ffmpeg, video);
        cmd.addAll(List.of("-map", "0:a:0", "-vn", "-ac", "1", "-ar", Integer.toString(o.sampleRate())));
        if (o.segments() > 0) {
            cmd.addAll(List.of("-t", Double.toString(o.segments() * o.segmentSeconds())));
        }
        cmd.addAll(List.of("-f", "s16le", "-c:a", "pcm_s16le", "pipe:1"));
        ProcessRunner.Result r = runFfmpeg(cmd, video, o, "audio");
        byte[] pcm = r.stdout();
        return PcmWav.fromPcm16(pcm, pcm.length - pcm.length % 2);
    }

    private static ProcessRunner.Result runFfmpeg(List<String> cmd, Path video, Options o, String what) {
        ProcessRunner.Result r;
        try {
            r = ProcessRunner.run(cmd, o.timeout(), o.maxBytes());
        } catch (ProcessRunner.ProcessFailure e) {
            throw new VideoDecodeException(video, "decoding " + what + ": " + e.getMessage(), e);
        }
        if (r.exitCode() != 0) {
            String err = r.stderr();
            String hint = "";
            if (err.contains("matches no streams")) {
                hint = what.equals("audio") ? " (the video has no audio track; pass --audio file.wav)" : " (the file has no video track)";
            }
            throw new VideoDecodeException(video, "ffmpeg failed decoding " + what + " (exit code " + r.exitCode() + ")" + hint
                    + stderrTail(err));
        }
        return r;
    }

    private static String stderrTail(String err) {
        String s = err.strip();
        if (s.isEmpty()) {
            return "";
        }
        return ": " + (s.length() > 600 ? "..." + s.substring(s.length() - 600) : s);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort on the failure path; the original error is reported
        }
    }
}
