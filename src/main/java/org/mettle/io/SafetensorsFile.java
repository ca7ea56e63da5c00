package org.mettle.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mettle.tensor.DType;

/**
 * A memory-mapped, read-only safetensors file.
 *
 * <p>The header is parsed and fully validated by {@link #open}; tensor data is mapped on demand, one tensor (or one
 * window of at most 1 GiB of a tensor) at a time, so files and tensors larger than 2 GiB work. Every problem is a
 * {@link SafetensorsException} naming the file and, where relevant, the tensor. Reads may run concurrently from
 * several threads. Buffers returned by {@link #bytes} stay valid after {@link #close()}, but the file must not be
 * truncated while they are in use.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers larger than this are rejected instead of being read into memory. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /** Largest region mapped at once by the bulk readers. */
    static final long WINDOW_BYTES = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors; // sorted by name
    private final List<String> names;
    private final List<TensorInfo> infos;
    private final long windowBytes;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, String> metadata,
                            Map<String, TensorInfo> tensors, long windowBytes) {
        this.windowBytes = windowBytes;
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.tensors = tensors;
        this.names = List.copyOf(tensors.keySet());
        this.infos = List.copyOf(tensors.values());
    }

    /**
     * Opens path and validates the whole header: length prefix (within the file and at most {@link #MAX_HEADER_BYTES}),
     * strict UTF-8 JSON object, string-to-string {@code __metadata__}, and per tensor a known dtype, non-negative int
     * dims without element-count overflow, {@code data_offsets} [begin, end] inside the data section whose span equals
     * numel x dtype size, no two tensors overlapping and no name twice. Gaps between tensors are accepted.
     */
    public static SafetensorsFile open(Path path) {
        return open(path, WINDOW_BYTES);
    }

    /** open with a smaller mapping window, so tests can exercise multi-window reads on small files. */
    static SafetensorsFile open(Path path, long windowBytes) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException("safetensors file " + path + " does not exist", e);
        } catch (IOException e) {
            throw new SafetensorsException("cannot open safetensors file " + path + ": " + e, e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new SafetensorsException(path + ": file is " + fileSize
                        + " bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file");
            }
            ByteBuffer prefix = readFully(channel, 0, 8, path);
            long headerLength = prefix.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsException(path + ": header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes; the file is corrupt or not a safetensors file");
            }
            if (headerLength > fileSize - 8) {
                throw new SafetensorsException(path + ": header length " + headerLength + " is larger than the "
                        + (fileSize - 8) + " bytes after the length prefix; the file is truncated or not a safetensors file");
            }
            String headerText = decodeUtf8(readFully(channel, 8, (int) headerLength, path), path);
            SafetensorsHeader header = SafetensorsHeader.parse(headerText, fileSize - 8 - headerLength, path);
            Map<String, TensorInfo> byName = new TreeMap<>();
            for (TensorInfo info : header.tensors()) {
                byName.put(info.name(), info);
            }
            return new SafetensorsFile(path, channel, 8 + headerLength, header.metadata(), Collections.unmodifiableMap(byName), windowBytes);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SafetensorsException("cannot read safetensors file " + path + ": " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} entries in file order (empty when the file has none); unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names sorted by {@link String#compareTo} (not file order, which writers choose freely). */
    public List<String> names() {
        return names;
    }

    /** Every tensor's header entry, in {@link #names()} order. */
    public List<TensorInfo> tensors() {
        return infos;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** Absolute file offset where the data section starts (8 + header length). */
    public long dataStart() {
        return dataStart;
    }

    /** The header entry of name; an unknown name is an error listing similar names. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsException(path + ": no tensor named '" + name + "' (the file has " + tensors.size()
                    + " tensors" + (tensors.isEmpty() ? "" : "; closest names: " + String.join(", ", closestNames(name, 5))) + ")");
        }
        return info;
    }

    /** A read-only little-endian view of the tensor's bytes; tensors over 2 GiB need {@link #bytes(String, long, int)}. */
    public ByteBuffer bytes(String name) {
        TensorInfo info = info(name);
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' is " + info.byteLength()
                    + " bytes, more than one ByteBuffer can hold; read it in parts with bytes(name, offset, length)");
        }
        return map(info, 0, (int) info.byteLength());
    }

    /** A read-only little-endian view of byteLength bytes of the tensor, starting byteOffset bytes into it. */
    public ByteBuffer bytes(String name, long byteOffset, int byteLength) {
        TensorInfo info = info(name);
        if (byteOffset < 0 || byteLength < 0 || byteOffset > info.byteLength() - byteLength) {
            throw new SafetensorsException(path + ": byte range [" + byteOffset + ", " + (byteOffset + byteLength)
                    + ") is outside tensor '" + name + "', which is " + info.byteLength() + " bytes");
        }
        return map(info, byteOffset, byteLength);
    }

    /** The tensor's values as floats: F32 as stored, F16 and BF16 widened exactly. */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloating()) {
            throw new SafetensorsException(path + ": tensor '" + name + "' has dtype " + info.dtype()
                    + "; readFloats reads F32, F16 or BF16 tensors (use readInts or readLongs for integers)");
        }
        float[] out = new float[arrayLength(info)];
        forEachWindow(info, (buf, first, count) -> {
            switch (info.dtype()) {
                case F32 -> buf.asFloatBuffer().get(out, first, count);
                case F16 -> HalfFloats.f16ToFloats(buf, out, first, count);
                case BF16 -> HalfFloats.bf16ToFloats(buf, out, first, count);
                default -> throw new AssertionError(info.dtype());
            }
        });
        return out;
    }

    /** An I32 tensor as stored, or an I64 tensor narrowed (an element outside the int range is an error). */
    public int[] readInts(String name) {
        TensorInfo info = info(name);
        requireInteger(info, "readInts");
        int[] out = new int[arrayLength(info)];
        forEachWindow(info, (buf, first, count) -> {
            if (info.dtype() == DType.I32) {
                buf.asIntBuffer().get(out, first, count);
                return;
            }
            for (int i = 0; i < count; i++) {
                long v = buf.getLong();
                if (v != (int) v) {
                    throw new SafetensorsException(path + ": tensor '" + name + "' (I64) element " + (first + i)
                            + " is " + v + ", outside the int range; use readLongs");
                }
                out[first + i] = (int) v;
            }
        });
        return out;
    }

    /** An I64 tensor as stored, or an I32 tensor widened. */
    public long[] readLongs(String name) {
        TensorInfo info = info(name);
        requireInteger(info, "readLongs");
        long[] out = new long[arrayLength(info)];
        forEachWindow(info, (buf, first, count) -> {
            if (info.dtype() == DType.I64) {
                buf.asLongBuffer().get(out, first, count);
            } else {
                for (int i = 0; i < count; i++) {
                    out[first + i] = buf.getInt();
                }
            }
        });
        return out;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }

    // ---- internals ----

    private interface WindowReader {
        /** buf holds count elements (little-endian), the first being element number first of the tensor. */
        void read(ByteBuffer buf, int first, int count);
    }

    private void forEachWindow(TensorInfo info, WindowReader reader) {
        int elementSize = info.dtype().byteSize();
        long elementsPerWindow = Math.max(1, windowBytes / elementSize);
        long numel = info.numel();
        for (long first = 0; first < numel; first += elementsPerWindow) {
            int count = (int) Math.min(elementsPerWindow, numel - first);
            reader.read(map(info, first * elementSize, count * elementSize), (int) first, count);
        }
    }

    private ByteBuffer map(TensorInfo info, long offsetInTensor, int length) {
        if (length == 0) {
            return ByteBuffer.allocate(0).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.dataOffset() + offsetInTensor, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (ClosedChannelException e) {
            throw new SafetensorsException(path + ": cannot read tensor '" + info.name() + "', the file has been closed", e);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot map tensor '" + info.name() + "' (was the file changed after open?): " + e, e);
        }
    }

    private int arrayLength(TensorInfo info) {
        long numel = info.numel();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path + ": tensor '" + info.name() + "' has " + numel
                    + " elements, more than a Java array holds; read it in parts with bytes(name, offset, length)");
        }
        return (int) numel;
    }

    private void requireInteger(TensorInfo info, String method) {
        if (info.dtype() != DType.I32 && info.dtype() != DType.I64) {
            throw new SafetensorsException(path + ": tensor '" + info.name() + "' has dtype " + info.dtype()
                    + "; " + method + " reads I32 or I64 tensors (use readFloats for floating-point tensors)");
        }
    }

    /** Up to limit names sharing the longest prefix with the wanted one, so typos in long weight names stand out. */
    private List<String> closestNames(String wanted, int limit) {
        List<String> names = new ArrayList<>(tensors.keySet());
        names.sort(Comparator.comparingInt((String n) -> -commonPrefix(n, wanted)).thenComparing(Comparator.naturalOrder()));
        return names.subList(0, Math.min(limit, names.size()));
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return i;
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length, Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position + buf.position());
            if (n < 0) {
                throw new SafetensorsException(path + ": unexpected end of file at byte " + (position + buf.position())
                        + " while reading the header (the file changed while being opened?)");
            }
        }
        return buf.flip();
    }

    private static String decodeUtf8(ByteBuffer bytes, Path path) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars = CharBuffer.allocate(bytes.remaining());
        CoderResult result = decoder.decode(bytes, chars, true);
        if (result.isError()) {
            throw new SafetensorsException(path + ": header is not valid UTF-8 (bad byte at header offset "
                    + bytes.position() + "); the file is corrupt or not a safetensors file");
        }
        decoder.flush(chars);
        return chars.flip().toString();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing useful to do: the file was only read.
        }
    }
}
