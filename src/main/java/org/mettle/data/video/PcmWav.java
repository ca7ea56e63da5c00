package org.mettle.data.video;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Minimal 16-bit PCM WAV I/O through javax.sound.sampled, for the synthetic datasets and ffmpeg's audio. The full
 * WAV reader (all PCM widths, float, torchaudio scaling) is {@code org.mettle.data.audio}'s; this one reads the
 * 16-bit PCM files we write and ffmpeg produces.
 */
public final class PcmWav {
    private PcmWav() {}

    /** Mono samples in [-1, 1) and their rate. */
    public record Clip(float[] samples, int sampleRate) {
        public double seconds() {
            return (double) samples.length / sampleRate;
        }
    }

    /** 16-bit little-endian PCM bytes of samples (clipped to [-1, 1], scaled by 32767, rounded). */
    public static byte[] toPcm16(float[] samples) {
        byte[] b = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            float x = samples[i];
            int v = Float.isNaN(x) ? 0 : Math.round(Math.max(-1f, Math.min(1f, x)) * 32767f);
            b[2 * i] = (byte) v;
            b[2 * i + 1] = (byte) (v >> 8);
        }
        return b;
    }

    /** Little-endian signed 16-bit PCM to floats, value / 32768 as torchaudio.load scales it. */
    public static float[] fromPcm16(byte[] pcm, int length) {
        float[] out = new float[length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (short) ((pcm[2 * i] & 0xFF) | (pcm[2 * i + 1] << 8)) / 32768f;
        }
        return out;
    }

    /** Writes a mono 16-bit PCM WAV, through a temp file in the same directory renamed into place. */
    public static void write(Path file, float[] samples, int sampleRate) {
        if (sampleRate <= 0) {
            throw new IllegalArgumentException("sample rate must be positive, got " + sampleRate);
        }
        AudioFormat fmt = new AudioFormat(AudioFormat.Encoding.PCM_SIGNED, sampleRate, 16, 1, 2, sampleRate, false);
        byte[] pcm = toPcm16(samples);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(pcm), fmt, samples.length)) {
                AudioSystem.write(in, AudioFileFormat.Type.WAVE, tmp.toFile());
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write WAV file " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original error is the one to report
                }
            }
        }
    }

    /** Reads a 16-bit PCM WAV, channels averaged to mono. */
    public static Clip read(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             AudioInputStream in = AudioSystem.getAudioInputStream(new java.io.BufferedInputStream(raw))) {
            AudioFormat f = in.getFormat();
            if (f.getEncoding() != AudioFormat.Encoding.PCM_SIGNED || f.getSampleSizeInBits() != 16 || f.isBigEndian()) {
                throw new IllegalArgumentException(file + ": " + f + " is not 16-bit little-endian PCM; this reader handles only "
                        + "that (use org.mettle.data.audio for other encodings)");
            }
            int channels = f.getChannels();
            byte[] bytes = in.readAllBytes();
            float[] inter = fromPcm16(bytes, bytes.length - bytes.length % (2 * channels));
            float[] mono = new float[inter.length / channels];
            for (int i = 0; i < mono.length; i++) {
                float s = 0;
                for (int c = 0; c < channels; c++) {
                    s += inter[i * channels + c];
                }
                mono[i] = s / channels;
            }
            return new Clip(mono, Math.round(f.getSampleRate()));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": audio file does not exist", e);
        } catch (UnsupportedAudioFileException e) {
            throw new IllegalArgumentException(file + ": not a WAV file javax.sound can read (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read audio: " + e.getMessage(), e);
        }
    }
}
