package org.mettle.data.audio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads RIFF/WAVE files: PCM 8-bit unsigned, 16/24/32-bit signed, IEEE float 32/64-bit, plain or
 * WAVE_FORMAT_EXTENSIBLE. Unknown chunks are skipped (with their odd-size pad byte).
 *
 * <p>Samples are scaled exactly as {@code torchaudio.load} (sox_io backend, normalize=True) does: sox turns every
 * sample into a 32-bit integer and back into float. So 8/16/24-bit PCM become x/128, x/32768, x/2^23 exactly;
 * 32-bit PCM is rounded to a multiple of 2^-24 (half up) with values above 2^31-65 giving 1.0; float samples are
 * rounded the same way after clipping to [-1, 1]. Channels are averaged to mono (in double, rounded once to float),
 * or one channel is picked.
 *
 * <p>Bad files fail with a {@link WavException} naming the file and what is wrong; nothing is silently dropped.
 */
public final class WavReader {
    /** channel argument meaning "average all channels". */
    public static final int MIX_TO_MONO = -1;

    private static final int FORMAT_PCM = 0x0001;
    private static final int FORMAT_IEEE_FLOAT = 0x0003;
    private static final int FORMAT_EXTENSIBLE = 0xFFFE;
    /** The 14 bytes after the format code in a KSDATAFORMAT_SUBTYPE_* GUID (xxxxxxxx-0000-0010-8000-00aa00389b71). */
    private static final byte[] SUBTYPE_GUID_TAIL = {
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71};
    private static final long UNKNOWN_LENGTH = 0xFFFFFFFFL;

    private WavReader() {
    }

    /** Reads the file and averages its channels to mono. */
    public static Audio read(Path file) {
        return read(file, MIX_TO_MONO);
    }

    /** Reads one channel (0-based), or all averaged with {@link #MIX_TO_MONO}. */
    public static Audio read(Path file, int channel) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 16) {
                throw new WavException(file + ": " + size + " bytes is more than this reader handles (2 GB); "
                        + "split the file or convert it to a lower sample rate");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new WavException(file + ": no such file", e);
        } catch (IOException e) {
            throw new WavException(file + ": cannot read: " + e.getMessage(), e);
        }
        return decode(bytes, file.toString(), channel);
    }

    /** Decodes a WAV held in memory; {@code source} names it in error messages. */
    public static Audio decode(byte[] bytes, String source, int channel) {
        return new Parser(bytes, source).parse(channel);
    }

    /** What the fmt chunk says. */
    record Format(int code, int channels, int sampleRate, int blockAlign, int bitsPerSample, WavEncoding encoding) {
    }

    private static final class Parser {
        private final ByteBuffer buf;
        private final String source;
        private final int length;

        Parser(byte[] bytes, String source) {
            this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.source = source;
            this.length = bytes.length;
        }

        private WavException error(String what) {
            return new WavException(source + ": " + what);
        }

        Audio parse(int channel) {
            checkRiffHeader();
            Format format = null;
            int dataStart = -1;
            long dataBytes = 0;
            int pos = 12;
            while (pos + 8 <= length) {
                String id = fourCc(pos);
                long size = Integer.toUnsignedLong(buf.getInt(pos + 4));
                int body = pos + 8;
                long available = length - body;
                if (id.equals("data")) {
                    if (dataStart >= 0) {
                        throw error("a second 'data' chunk at byte " + pos + "; files with several data chunks are not supported");
                    }
                    dataStart = body;
                    if (size == UNKNOWN_LENGTH && available < size) {
                        dataBytes = available; // streamed file whose writer never filled in the length
                    } else if (size > available) {
                        throw error("truncated data chunk: its header declares " + size + " bytes but only " + available
                                + " follow (the file was cut short; re-export or re-download it)");
                    } else {
                        dataBytes = size;
                    }
                } else if (id.equals("fmt ")) {
                    if (size > available) {
                        throw error("truncated 'fmt ' chunk: declares " + size + " bytes, " + available + " follow");
                    }
                    if (format != null) {
                        throw error("a second 'fmt ' chunk at byte " + pos);
                    }
                    format = parseFormat(body, (int) size);
                } else if (size > available) {
                    if (dataStart < 0) {
                        throw error("chunk '" + printable(id) + "' at byte " + pos + " declares " + size + " bytes but only "
                                + available + " follow, before any 'data' chunk: the file is truncated or corrupt");
                    }
                    break; // a truncated trailing metadata chunk after the audio: the audio itself is complete
                }
                long next = body + Math.min(size, available) + (size & 1);
                if (next > Integer.MAX_VALUE) {
                    break;
                }
                pos = (int) next;
            }
            if (format == null) {
                throw error(dataStart >= 0 ? "no 'fmt ' chunk (the file has audio data but no description of its format)"
                        : "no 'fmt ' chunk and no 'data' chunk: not a usable WAV file");
            }
            if (dataStart < 0) {
                throw error("no 'data' chunk after the 'fmt ' chunk: the file holds no audio (or is truncated)");
            }
            return decodeSamples(format, dataStart, dataBytes, channel);
        }

        private void checkRiffHeader() {
            if (length == 0) {
                throw error("empty file (0 bytes), not a WAV file");
            }
            if (length < 12) {
                throw error("only " + length + " bytes, too short for a RIFF/WAVE header (12 bytes)");
            }
            String riff = fourCc(0);
            if (riff.equals("RIFX")) {
                throw error("big-endian (RIFX) WAV is not supported; convert it, e.g. ffmpeg -i in.wav -c:a pcm_s16le out.wav");
            }
            if (riff.equals("RF64") || riff.equals("BW64")) {
                throw error(riff + " WAV (for files over 4 GB) is not supported; split or convert the file");
            }
            if (!riff.equals("RIFF")) {
                throw error("not a WAV file: it starts with '" + printable(riff) + "', not 'RIFF'");
            }
            String wave = fourCc(8);
            if (!wave.equals("WAVE")) {
                throw error("a RIFF file of form '" + printable(wave) + "', not 'WAVE': not a WAV file");
            }
        }

        private Format parseFormat(int at, int size) {
            if (size < 16) {
                throw error("'fmt ' chunk of " + size + " bytes, at least 16 are needed");
            }
            int code = Short.toUnsignedInt(buf.getShort(at));
            int channels = Short.toUnsignedInt(buf.getShort(at + 2));
            long sampleRate = Integer.toUnsignedLong(buf.getInt(at + 4));
            int blockAlign = Short.toUnsignedInt(buf.getShort(at + 12));
            int bits = Short.toUnsignedInt(buf.getShort(at + 14));
            int subCode = code;
            if (code == FORMAT_EXTENSIBLE) {
                if (size < 40) {
                    throw error("WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk of " + size + " bytes, 40 are needed");
                }
                subCode = Short.toUnsignedInt(buf.getShort(at + 24));
                for (int i = 0; i < SUBTYPE_GUID_TAIL.length; i++) {
                    if (buf.get(at + 26 + i) != SUBTYPE_GUID_TAIL[i]) {
                        throw error("WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID; supported are PCM and IEEE float");
                    }
                }
            }
            if (subCode != FORMAT_PCM && subCode != FORMAT_IEEE_FLOAT) {
                throw error("unsupported WAV encoding " + formatName(subCode) + String.format(" (format code 0x%04X)", subCode)
                        + (code == FORMAT_EXTENSIBLE ? " inside WAVE_FORMAT_EXTENSIBLE" : "")
                        + "; supported: PCM 8/16/24/32-bit and IEEE float 32/64-bit. Convert it, e.g. "
                        + "ffmpeg -i in.wav -c:a pcm_s16le out.wav");
            }
            if (channels < 1) {
                throw error("'fmt ' chunk declares 0 channels");
            }
            if (sampleRate < 1 || sampleRate > Integer.MAX_VALUE) {
                throw error("'fmt ' chunk declares a sample rate of " + sampleRate + " Hz");
            }
            WavEncoding encoding;
            if (subCode == FORMAT_IEEE_FLOAT) {
                if (bits != 32 && bits != 64) {
                    throw error("IEEE float WAV with " + bits + " bits per sample; only 32 and 64 exist");
                }
                encoding = bits == 32 ? WavEncoding.FLOAT32 : WavEncoding.FLOAT64;
            } else {
                if (bits < 1 || bits > 32) {
                    throw error("PCM WAV with " + bits + " bits per sample; supported are 8, 16, 24 and 32 "
                            + "(or fewer valid bits stored in such containers)");
                }
                encoding = switch ((bits + 7) / 8) {
                    case 1 -> WavEncoding.PCM_U8;
                    case 2 -> WavEncoding.PCM_S16;
                    case 3 -> WavEncoding.PCM_S24;
                    default -> WavEncoding.PCM_S32;
                };
            }
            if (blockAlign != channels * encoding.bytesPerSample()) {
                throw error("block align " + blockAlign + " does not match " + channels + " channel(s) x "
                        + encoding.bytesPerSample() + " bytes per " + bits + "-bit sample; the header is corrupt");
            }
            return new Format(subCode, channels, (int) sampleRate, blockAlign, bits, encoding);
        }

        private Audio decodeSamples(Format f, int start, long bytes, int channel) {
            if (channel != MIX_TO_MONO && (channel < 0 || channel >= f.channels())) {
                throw error("channel " + channel + " requested but the file has " + f.channels() + " channel(s) (0-based)");
            }
            if (bytes % f.blockAlign() != 0) {
                throw error("data chunk of " + bytes + " bytes is not a whole number of " + f.blockAlign()
                        + "-byte frames (" + f.channels() + " channel(s) x " + f.encoding().bytesPerSample()
                        + " bytes): the file is truncated or corrupt");
            }
            int frames = (int) (bytes / f.blockAlign());
            float[] out = new float[frames];
            int width = f.encoding().bytesPerSample();
            int first = channel == MIX_TO_MONO ? 0 : channel;
            int last = channel == MIX_TO_MONO ? f.channels() - 1 : channel;
            double inverseCount = 1.0 / (last - first + 1);
            if (f.encoding() == WavEncoding.PCM_S16) {
                decodeS16(start, frames, f.channels(), first, last, inverseCount, out);
                return new Audio(out, f.sampleRate(), f.channels(), f.bitsPerSample(), f.encoding());
            }
            for (int i = 0; i < frames; i++) {
                int frame = start + i * f.blockAlign();
                double sum = 0.0;
                for (int c = first; c <= last; c++) {
                    sum += sample(f.encoding(), frame + c * width, i, c);
                }
                out[i] = (float) (first == last ? sum : sum * inverseCount);
            }
            return new Audio(out, f.sampleRate(), f.channels(), f.bitsPerSample(), f.encoding());
        }

        /** The common case, 16-bit PCM, with a bulk copy: same values as {@link #sample} gives. */
        private void decodeS16(int start, int frames, int channels, int first, int last, double inverseCount, float[] out) {
            short[] pcm = new short[frames * channels];
            buf.slice(start, pcm.length * 2).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(pcm);
            if (first == last) {
                for (int i = 0; i < frames; i++) {
                    out[i] = pcm[i * channels + first] * (1f / 32768); // exact: a power-of-two scale
                }
                return;
            }
            for (int i = 0; i < frames; i++) {
                int base = i * channels;
                long sum = 0;
                for (int c = first; c <= last; c++) {
                    sum += pcm[base + c];
                }
                out[i] = (float) (sum * (1.0 / 32768) * inverseCount);
            }
        }

        /** One sample as torchaudio's sox backend yields it (see the class comment). */
        private double sample(WavEncoding encoding, int at, int frame, int channel) {
            switch (encoding) {
                case PCM_U8:
                    return ((buf.get(at) & 0xFF) - 128) * (1.0 / 128);
                case PCM_S16:
                    return buf.getShort(at) * (1.0 / 32768);
                case PCM_S24: {
                    int v = (buf.get(at) & 0xFF) | (buf.get(at + 1) & 0xFF) << 8 | buf.get(at + 2) << 16;
                    return v * (1.0 / 8388608);
                }
                case PCM_S32:
                    return SoxSamples.toFloat(buf.getInt(at));
                case FLOAT32:
                    return SoxSamples.toFloat(SoxSamples.fromFloat(finite(buf.getFloat(at), frame, channel)));
                default:
                    return SoxSamples.toFloat(SoxSamples.fromFloat(finite(buf.getDouble(at), frame, channel)));
            }
        }

        private double finite(double v, int frame, int channel) {
            if (!Double.isFinite(v)) {
                throw error("sample " + frame + " of channel " + channel + " is " + v
                        + "; a float WAV must hold finite values (the file is corrupt or not audio)");
            }
            return v;
        }

        private String fourCc(int at) {
            return new String(new byte[] {buf.get(at), buf.get(at + 1), buf.get(at + 2), buf.get(at + 3)},
                    StandardCharsets.ISO_8859_1);
        }
    }

    private static String printable(String fourCc) {
        StringBuilder sb = new StringBuilder();
        for (char ch : fourCc.toCharArray()) {
            sb.append(ch >= 32 && ch < 127 ? String.valueOf(ch) : String.format("\\x%02X", (int) ch));
        }
        return sb.toString();
    }

    static String formatName(int code) {
        return switch (code) {
            case 0x0002 -> "Microsoft ADPCM";
            case 0x0006 -> "A-law";
            case 0x0007 -> "mu-law";
            case 0x0011 -> "IMA ADPCM";
            case 0x0031 -> "GSM 6.10";
            case 0x0050 -> "MPEG audio";
            case 0x0055 -> "MP3";
            case 0x0092, 0x2000 -> "AC-3";
            case 0x0161, 0x0162, 0x0163 -> "Windows Media Audio";
            case 0x1610 -> "AAC";
            case 0xF1AC -> "FLAC";
            default -> "of an unknown kind";
        };
    }
}
