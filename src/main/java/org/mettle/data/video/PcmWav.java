package org.mettle.data.video;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/**
 * Minimal 16-bit PCM WAV reading through javax.sound.sampled, for {@link MediaSource} and ffmpeg's raw s16 output.
 * Files are written with {@code org.mettle.data.audio.WavWriter}; the full WAV reader (all PCM widths, float,
 * torchaudio's scaling) is {@code org.mettle.data.audio.WavReader}.
 */
public final class PcmWav {
    private PcmWav() {}

    /** Mono samples in [-1, 1) and their rate. */
    public record Clip(float[] samples, int sampleRate) {
        public double seconds() {
            return (double) samples.length / sampleRate;
        }
    }

    /** Little-endian signed 16-bit PCM to floats, value / 32768 as torchaudio.load scales it. */
    public static float[] fromPcm16(byte[] pcm, int length) {
        float[] out = new float[length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (short) ((pcm[2 * i] & 0xFF) | (pcm[2 * i + 1] << 8)) / 32768f;
        }
        return out;
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
