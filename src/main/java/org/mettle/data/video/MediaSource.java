package org.mettle.data.video;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.mettle.data.image.ImageDecoder;
import org.mettle.data.image.RgbImage;
import org.mettle.data.loader.FrameFiles;

/**
 * The media a command works on, given the way users pass it: {@code --video file} (decoded with ffmpeg) or
 * {@code --frames DIR --audio file.wav} (image files in time order and a WAV, no ffmpeg needed).
 */
public final class MediaSource {
    private MediaSource() {}

    /** Decoded frames (framesPerSecond apart) and mono audio. */
    public record MediaInput(List<RgbImage> frames, double framesPerSecond, float[] audio, int sampleRate, String description) {
        public MediaInput {
            frames = List.copyOf(frames);
        }
    }

    /** Opens either form; audio files are read with {@link PcmWav#read}. */
    public static MediaInput open(Path video, Path framesDir, Path audioFile, VideoDecoder.Options options) {
        return open(video, framesDir, audioFile, options, PcmWav::read);
    }

    /**
     * Opens either form, reading an audio file with wavReader (so a fuller WAV reader can be plugged in).
     * framesDir's images are taken to be framesPerSegment per segmentSeconds of options.
     */
    public static MediaInput open(Path video, Path framesDir, Path audioFile, VideoDecoder.Options options,
                                  Function<Path, PcmWav.Clip> wavReader) {
        if (video != null && (framesDir != null || audioFile != null)) {
            throw new IllegalArgumentException("pass either --video FILE or --frames DIR --audio FILE.wav, not both");
        }
        if (video != null) {
            DecodedVideo d = VideoDecoder.decode(video, options);
            return new MediaInput(d.frames(), d.framesPerSecond(), d.audio(), d.sampleRate(), video.toString());
        }
        if (framesDir == null || audioFile == null) {
            throw new IllegalArgumentException("pass --video FILE, or both --frames DIR and --audio FILE.wav"
                    + (framesDir == null ? " (--frames is missing)" : " (--audio is missing)"));
        }
        if (!Files.isDirectory(framesDir)) {
            throw new IllegalArgumentException("--frames " + framesDir + ": not a directory");
        }
        List<Path> files = FrameFiles.list(framesDir);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--frames " + framesDir + ": holds no .png or .jpg files");
        }
        List<RgbImage> frames = new ArrayList<>(files.size());
        for (Path f : files) {
            frames.add(ImageDecoder.read(f));
        }
        PcmWav.Clip clip = wavReader.apply(audioFile);
        return new MediaInput(frames, options.framesPerSecond(), clip.samples(), clip.sampleRate(), framesDir + " + " + audioFile);
    }
}
