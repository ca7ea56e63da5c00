package org.mettle.data.video;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Splits a concatenation of PNG files (ffmpeg's image2pipe) at chunk boundaries: each image ends with IEND. */
final class PngStream {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngStream() {}

    static List<byte[]> split(byte[] data) {
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        while (pos < data.length) {
            if (pos + 8 > data.length || !Arrays.equals(data, pos, pos + 8, SIGNATURE, 0, 8)) {
                throw new IllegalStateException("PNG stream is corrupt at byte " + pos + " (no PNG signature)");
            }
            int p = pos + 8;
            boolean ended = false;
            while (p + 12 <= data.length) {
                long len = ((data[p] & 0xFFL) << 24) | ((data[p + 1] & 0xFF) << 16) | ((data[p + 2] & 0xFF) << 8) | (data[p + 3] & 0xFF);
                boolean iend = data[p + 4] == 'I' && data[p + 5] == 'E' && data[p + 6] == 'N' && data[p + 7] == 'D';
                long next = p + 12 + len;
                if (next > data.length) {
                    break;
                }
                p = (int) next;
                if (iend) {
                    ended = true;
                    break;
                }
            }
            if (!ended) {
                throw new IllegalStateException("PNG stream is truncated: image " + out.size() + " has no IEND chunk");
            }
            out.add(Arrays.copyOfRange(data, pos, p));
            pos = p;
        }
        return out;
    }
}
