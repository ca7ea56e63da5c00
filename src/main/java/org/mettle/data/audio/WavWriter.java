package org.mettle.data.audio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes WAV files atomically (a temporary file in the same directory, fsync, rename): 16-bit PCM or 32-bit IEEE
 * float, any number of channels. More than two channels use WAVE_FORMAT_EXTENSIBLE (as the format asks for).
 * 16-bit samples are round(x * 32768) clipped to [-32768, 32767], so values read back by WavReader (x / 32768)
 * differ from the written ones by at most 2^-16 inside [-1, 1).
 */
public final class WavWriter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private WavWriter() {
    }

    /** Writes mono audio. */
    public static void writeMono(Path file, float[] samples, int sampleRate, WavEncoding encoding) {
        write(file, new float[][] {samples}, sampleRate, encoding);
    }

    /** Writes channels[c][i] (all channels of equal length) interleaved. */
    public static void write(Path file, float[][] channels, int sampleRate, WavEncoding encoding) {
        byte[] bytes = encode(channels, sampleRate, encoding, file.toString());
        writeAtomically(file, bytes);
    }

    /** The whole WAV file as bytes; {@code target} names it in error messages. */
    public static byte[] encode(float[][] channels, int sampleRate, WavEncoding encoding, String target) {
        if (encoding != WavEncoding.PCM_S16 && encoding != WavEncoding.FLOAT32) {
            throw new IllegalArgumentException("cannot write " + target + ": WavWriter writes PCM_S16 or FLOAT32, not " + encoding);
        }
        if (channels.length < 1 || channels.length > 65535) {
            throw new IllegalArgumentException("cannot write " + target + ": need 1 to 65535 channels, got " + channels.length);
        }
        if (sampleRate < 1) {
            throw new IllegalArgumentException("cannot write " + target + ": sample rate must be positive, got " + sampleRate);
        }
        int frames = channels[0].length;
        for (int c = 1; c < channels.length; c++) {
            if (channels[c].length != frames) {
                throw new IllegalArgumentException("cannot write " + target + ": channel " + c + " has " + channels[c].length
                        + " samples but channel 0 has " + frames);
            }
        }
        int width = encoding.bytesPerSample();
        int blockAlign = channels.length * width;
        long dataBytes = (long) frames * blockAlign;
        boolean extensible = channels.length > 2;
        boolean isFloat = encoding == WavEncoding.FLOAT32;
        int fmtSize = extensible ? 40 : isFloat ? 18 : 16;
        int factSize = isFloat ? 12 : 0;
        long total = 12 + 8 + fmtSize + factSize + 8 + dataBytes + (dataBytes & 1);
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("cannot write " + target + ": " + total + " bytes is over the 2 GB this writer handles");
        }
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RIFF")).putInt((int) (total - 8)).put(ascii("WAVE"));
        b.put(ascii("fmt ")).putInt(fmtSize);
        int code = isFloat ? 0x0003 : 0x0001;
        b.putShort((short) (extensible ? 0xFFFE : code)).putShort((short) channels.length).putInt(sampleRate)
                .putInt(sampleRate * blockAlign).putShort((short) blockAlign).putShort((short) (8 * width));
        if (extensible) {
            b.putShort((short) 22).putShort((short) (8 * width)).putInt(0); // cbSize, valid bits, channel mask unset
            b.putShort((short) code).put(new byte[] {
                0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71});
        } else if (isFloat) {
            b.putShort((short) 0);
        }
        if (isFloat) {
            b.put(ascii("fact")).putInt(4).putInt(frames);
        }
        b.put(ascii("data")).putInt((int) dataBytes);
        for (int i = 0; i < frames; i++) {
            for (int c = 0; c < channels.length; c++) {
                float v = channels[c][i];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("cannot write " + target + ": sample " + i + " of channel " + c + " is " + v);
                }
                if (isFloat) {
                    b.putFloat(v);
                } else {
                    b.putShort((short) Math.max(-32768, Math.min(32767, Math.round(v * 32768.0))));
                }
            }
        }
        return b.array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static void writeAtomically(Path file, byte[] bytes) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new WavException("cannot write " + file + ": directory " + dir + " does not exist");
        }
        Path temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                ByteBuffer src = ByteBuffer.wrap(bytes);
                while (src.hasRemaining()) {
                    out.write(src);
                }
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException | UnsupportedOperationException ignored) {
                // some file systems cannot sync a directory; the rename itself is already atomic
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new WavException("cannot write " + file + ": the file system does not support an atomic rename", e);
        } catch (IOException e) {
            throw new WavException("cannot write " + file + ": " + e, e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // best effort: the write already failed with its own error
                }
            }
        }
    }
}
