package org.mettle.data.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WavReader against torchaudio.load (sox_io) on every supported encoding (hand-built headers, ffmpeg-written files,
 * and real recordings), and its errors on bad input: each names the file and what is wrong.
 */
class WavReaderTest {
    @TempDir
    Path dir;

    @Test
    void decodesLikeTorchaudioLoad() {
        try (AudioGolden g = AudioGolden.open("decode.safetensors")) {
            assertTrue(g.cases.size() >= 17, "expected every format sample, got " + g.cases.keySet());
            for (Map.Entry<String, Map<String, String>> c : g.cases.entrySet()) {
                String stem = c.getKey();
                Map<String, String> p = c.getValue();
                Path file = AudioGolden.wav(stem);
                Audio mono = WavReader.read(file);
                assertEquals(Integer.parseInt(p.get("sample_rate")), mono.sampleRate(), stem + " sample rate");
                assertEquals(Integer.parseInt(p.get("channels")), mono.channels(), stem + " channels");
                assertEquals(Integer.parseInt(p.get("bits")), mono.bitsPerSample(), stem + " bits");
                assertEquals(Integer.parseInt(p.get("frames")), mono.length(), stem + " frames");
                // torch averages in float32; with 3+ channels its sum may round differently from ours by an ulp
                double meanErr = AudioGolden.maxAbsDiff(mono.samples(), g.floats(stem + ".mean"), stem + " mean");
                assertTrue(meanErr <= (mono.channels() > 2 ? 1.2e-7 : 0.0), stem + ": mono mix differs by " + meanErr);
                for (int ch = 0; g.has(stem + ".ch" + ch); ch++) {
                    float[] channel = WavReader.read(file, ch).samples();
                    // every channel must be bit-exact: same scaling, same sox rounding and clipping
                    assertTrue(Arrays.equals(channel, g.floats(stem + ".ch" + ch)), stem + " channel " + ch + " differs from torchaudio");
                }
            }
        }
    }

    @Test
    void encodingsAreRecognised() {
        assertEquals(WavEncoding.PCM_U8, WavReader.read(AudioGolden.wav("fmt_u8_stereo")).encoding());
        assertEquals(WavEncoding.PCM_S24, WavReader.read(AudioGolden.wav("fmt_ext_s24_valid20")).encoding());
        assertEquals(24, WavReader.read(AudioGolden.wav("fmt_ext_s24_valid20")).bitsPerSample()); // the container, as torchaudio.info says
        assertEquals(WavEncoding.PCM_S32, WavReader.read(AudioGolden.wav("ffmpeg_s32")).encoding());
        assertEquals(WavEncoding.FLOAT32, WavReader.read(AudioGolden.wav("fmt_ext_f32_stereo")).encoding());
        assertEquals(WavEncoding.FLOAT64, WavReader.read(AudioGolden.wav("ffmpeg_f64")).encoding());
        assertEquals(4, WavReader.read(AudioGolden.wav("fmt_ext_s16_4ch")).channels());
    }

    @Test
    void unsupportedEncodingsAreNamed() {
        expectError(AudioGolden.wav("unsupported_alaw"), "A-law (format code 0x0006)");
        expectError(AudioGolden.wav("unsupported_mulaw"), "mu-law (format code 0x0007)");
        expectError(AudioGolden.wav("unsupported_ima_adpcm"), "IMA ADPCM (format code 0x0011)");
        expectError(AudioGolden.wav("unsupported_ms_adpcm"), "Microsoft ADPCM (format code 0x0002)");
    }

    @Test
    void badFilesNameTheFileAndTheProblem() throws IOException {
        byte[] good = Files.readAllBytes(AudioGolden.wav("fmt_s16_mono"));
        expectError(write("empty.wav", new byte[0]), "empty file");
        expectError(write("short.wav", Arrays.copyOf(good, 7)), "too short");
        expectError(write("text.wav", "hello world, this is not audio".getBytes()), "not a WAV file: it starts with 'hell'");
        byte[] avi = good.clone();
        System.arraycopy("AVI ".getBytes(), 0, avi, 8, 4);
        expectError(write("avi.wav", avi), "form 'AVI ', not 'WAVE'");
        byte[] rifx = good.clone();
        System.arraycopy("RIFX".getBytes(), 0, rifx, 0, 4);
        expectError(write("rifx.wav", rifx), "big-endian (RIFX)");
        expectError(write("truncated.wav", Arrays.copyOf(good, good.length - 20)), "truncated data chunk");
        expectError(write("header_only.wav", Arrays.copyOf(good, 36)), "no 'data' chunk");
        expectError(write("no_fmt.wav", dataOnly()), "no 'fmt ' chunk");
        byte[] halfFrame = withDataSize(good, dataSize(good) - 1);
        expectError(write("half_frame.wav", halfFrame), "not a whole number of 2-byte frames");
        byte[] alignment = good.clone();
        ByteBuffer.wrap(alignment).order(ByteOrder.LITTLE_ENDIAN).putShort(32, (short) 3);
        expectError(write("align.wav", alignment), "block align 3");
        byte[] zeroChannels = good.clone();
        ByteBuffer.wrap(zeroChannels).order(ByteOrder.LITTLE_ENDIAN).putShort(22, (short) 0);
        expectError(write("zero_channels.wav", zeroChannels), "0 channels");
        byte[] badFloat = Files.readAllBytes(AudioGolden.wav("fmt_f32_mono"));
        int data = indexOf(badFloat, "data") + 8;
        ByteBuffer.wrap(badFloat).order(ByteOrder.LITTLE_ENDIAN).putFloat(data + 4 * 5, Float.NaN);
        expectError(write("nan.wav", badFloat), "sample 5 of channel 0 is NaN");
        expectError(dir.resolve("missing.wav"), "no such file");
        WavException channel = assertThrows(WavException.class, () -> WavReader.read(AudioGolden.wav("fmt_u8_stereo"), 2));
        assertTrue(channel.getMessage().contains("channel 2 requested but the file has 2 channel(s)"), channel.getMessage());
    }

    @Test
    void streamedLengthReadsToTheEnd() throws IOException {
        byte[] good = Files.readAllBytes(AudioGolden.wav("fmt_s16_mono"));
        Audio expected = WavReader.read(AudioGolden.wav("fmt_s16_mono"));
        Audio streamed = WavReader.read(write("streamed.wav", withDataSize(good, -1)));
        assertTrue(Arrays.equals(expected.samples(), streamed.samples()));
    }

    @Test
    void trailingBytesAndTruncatedMetadataAfterTheAudioAreTolerated() throws IOException {
        byte[] good = Files.readAllBytes(AudioGolden.wav("fmt_s16_mono"));
        Audio expected = WavReader.read(AudioGolden.wav("fmt_s16_mono"));
        byte[] trailing = Arrays.copyOf(good, good.length + 5); // fewer than a chunk header
        assertTrue(Arrays.equals(expected.samples(), WavReader.read(write("trailing.wav", trailing)).samples()));
        byte[] cutList = Arrays.copyOf(good, good.length + 12);
        System.arraycopy("LIST".getBytes(), 0, cutList, good.length, 4);
        ByteBuffer.wrap(cutList).order(ByteOrder.LITTLE_ENDIAN).putInt(good.length + 4, 1000);
        assertTrue(Arrays.equals(expected.samples(), WavReader.read(write("cut_list.wav", cutList)).samples()));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static void expectError(Path file, String fragment) {
        WavException e = assertThrows(WavException.class, () -> WavReader.read(file), file.toString());
        assertTrue(e.getMessage().startsWith(file.toString()), "message should name " + file + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    private static byte[] dataOnly() {
        ByteBuffer b = ByteBuffer.allocate(12 + 8 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(16).put("WAVE".getBytes()).put("data".getBytes()).putInt(4).putInt(0);
        return b.array();
    }

    private static int dataSize(byte[] wav) {
        return ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).getInt(indexOf(wav, "data") + 4);
    }

    private static byte[] withDataSize(byte[] wav, int size) {
        byte[] copy = wav.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(indexOf(wav, "data") + 4, size);
        return copy;
    }

    private static int indexOf(byte[] bytes, String fourCc) {
        byte[] id = fourCc.getBytes();
        for (int i = 12; i + 4 <= bytes.length; i++) {
            if (bytes[i] == id[0] && bytes[i + 1] == id[1] && bytes[i + 2] == id[2] && bytes[i + 3] == id[3]) {
                return i;
            }
        }
        throw new AssertionError("no " + fourCc + " chunk");
    }
}
