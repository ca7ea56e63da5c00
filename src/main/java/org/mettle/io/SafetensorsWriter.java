package org.mettle.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mettle.tensor.DType;

/**
 * Collects tensors and metadata, then writes a safetensors file atomically: a temp file in the target directory is
 * written, fsynced and renamed over the target, so readers see either the old file or the complete new one, and a
 * failed write leaves no temp file and an existing target untouched.
 *
 * <p>Layout: the header lists {@code __metadata__} first and then the tensors in sorted-name order, padded with
 * spaces to a multiple of 8 bytes like the reference implementation. The data section is contiguous (no holes) and
 * ordered by element size, largest first, then by name, so that every tensor starts at a multiple of its element
 * size (the reference implementation orders by dtype for the same reason).
 *
 * <p>Buffers passed to {@link #add} are not copied: their bytes (from position to limit at the time of the call) are
 * read during {@link #write}, so they must not change in between. The writer can write several times.
 */
public final class SafetensorsWriter {

    /** Writes a tensor's bytes on demand, for tensors that should not be copied into one heap buffer first. */
    @FunctionalInterface
    public interface ByteSource {
        /** Writes exactly the tensor's byte length (little-endian elements) to out. */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, DType dtype, int[] shape, long byteLength, ByteBuffer data, ByteSource source) {}

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, String> metadata = new TreeMap<>();
    private final Map<String, Entry> entries = new TreeMap<>();

    /** Adds (or replaces) a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        requireEncodable(key, "metadata key");
        if (value == null) {
            throw new IllegalArgumentException("metadata value for key '" + key + "' is null; safetensors metadata values are strings");
        }
        requireEncodable(value, "metadata value for key '" + key + "'");
        metadata.put(key, value);
        return this;
    }

    /** Adds a tensor whose little-endian bytes are data's remaining bytes (not copied; see the class comment). */
    public SafetensorsWriter add(String name, DType dtype, int[] shape, ByteBuffer data) {
        long bytes = checkTensor(name, dtype, shape);
        if (data == null) {
            throw new IllegalArgumentException("tensor '" + name + "': data is null");
        }
        if (data.remaining() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " x " + dtype
                    + " needs " + bytes + " bytes, but the buffer has " + data.remaining() + " remaining");
        }
        entries.put(name, new Entry(name, dtype, shape.clone(), bytes, data.slice(), null));
        return this;
    }

    /** Adds a tensor whose bytes source writes during {@link #write}; writing a different byte count fails the write. */
    public SafetensorsWriter addStreamed(String name, DType dtype, int[] shape, ByteSource source) {
        long bytes = checkTensor(name, dtype, shape);
        if (source == null) {
            throw new IllegalArgumentException("tensor '" + name + "': source is null");
        }
        entries.put(name, new Entry(name, dtype, shape.clone(), bytes, null, source));
        return this;
    }

    /** Adds an F32 tensor. */
    public SafetensorsWriter addFloats(String name, int[] shape, float[] data) {
        return addFloats(name, shape, data, DType.F32);
    }

    /** Adds a floating tensor stored as dtype (F32, F16 or BF16; narrowing rounds to nearest even). */
    public SafetensorsWriter addFloats(String name, int[] shape, float[] data, DType dtype) {
        if (dtype == null || !dtype.isFloating()) {
            throw new IllegalArgumentException("tensor '" + name + "': addFloats stores F32, F16 or BF16, not " + dtype);
        }
        ByteBuffer buf = allocate(name, shape, dtype, data == null ? -1 : data.length, "floats");
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().put(data);
            case F16 -> buf.asShortBuffer().put(HalfFloats.toF16(data));
            case BF16 -> buf.asShortBuffer().put(HalfFloats.toBf16(data));
            default -> throw new AssertionError(dtype);
        }
        return add(name, dtype, shape, buf);
    }

    /** Adds an I32 tensor. */
    public SafetensorsWriter addInts(String name, int[] shape, int[] data) {
        ByteBuffer buf = allocate(name, shape, DType.I32, data == null ? -1 : data.length, "ints");
        buf.asIntBuffer().put(data);
        return add(name, DType.I32, shape, buf);
    }

    /** Adds an I64 tensor. */
    public SafetensorsWriter addLongs(String name, int[] shape, long[] data) {
        ByteBuffer buf = allocate(name, shape, DType.I64, data == null ? -1 : data.length, "longs");
        buf.asLongBuffer().put(data);
        return add(name, DType.I64, shape, buf);
    }

    /** Writes every tensor added so far to path atomically (see the class comment). */
    public void write(Path path) {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new SafetensorsException("cannot write " + path + ": directory " + dir + " does not exist");
        }
        List<Entry> dataOrder = new ArrayList<>(entries.values());
        dataOrder.sort(Comparator.comparingInt((Entry e) -> -e.dtype().byteSize()).thenComparing(Entry::name));
        Map<String, Long> offsets = new TreeMap<>();
        long offset = 0;
        for (Entry e : dataOrder) {
            offsets.put(e.name(), offset);
            offset += e.byteLength();
        }
        byte[] header = headerBytes(offsets);

        Path temp = null;
        try {
            temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
            // CREATE_NEW (not createTempFile) so the file gets the usual umask permissions rather than owner-only.
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(out, prefix);
                writeFully(out, ByteBuffer.wrap(header));
                for (Entry e : dataOrder) {
                    writeData(out, e, path);
                }
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            syncDirectory(dir);
        } catch (AtomicMoveNotSupportedException e) {
            throw new SafetensorsException("cannot write " + path + ": the file system does not support the atomic rename"
                    + " this writer relies on", deleteQuietly(temp, e));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException("cannot write " + path + ": " + e.getFile() + " does not exist", deleteQuietly(temp, e));
        } catch (IOException e) {
            throw new SafetensorsException("cannot write " + path + ": " + e, deleteQuietly(temp, e));
        } catch (RuntimeException | Error e) {
            deleteQuietly(temp, e);
            throw e;
        }
    }

    /** The header JSON bytes, padded with spaces to a multiple of 8; offsets by tensor name. */
    private byte[] headerBytes(Map<String, Long> offsets) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append(Json.quote(SafetensorsHeader.METADATA_KEY)).append(":{");
            String sep = "";
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                json.append(sep).append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
                sep = ",";
            }
            json.append('}');
        }
        String sep = metadata.isEmpty() ? "" : ",";
        for (Entry e : entries.values()) {
            long begin = offsets.get(e.name());
            json.append(sep).append(Json.quote(e.name())).append(":{\"dtype\":\"").append(e.dtype().safetensorsName())
                    .append("\",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) {
                json.append(i == 0 ? "" : ",").append(e.shape()[i]);
            }
            json.append("],\"data_offsets\":[").append(begin).append(',').append(begin + e.byteLength()).append("]}");
            sep = ",";
        }
        json.append('}');
        byte[] utf8 = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) & ~7;
        byte[] out = Arrays.copyOf(utf8, padded);
        Arrays.fill(out, utf8.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(FileChannel out, Entry e, Path path) throws IOException {
        if (e.data() != null) {
            writeFully(out, e.data().duplicate());
            return;
        }
        CountingChannel counted = new CountingChannel(out, e, path);
        e.source().writeTo(counted);
        if (counted.written != e.byteLength()) {
            throw new SafetensorsException("cannot write " + path + ": the source of tensor '" + e.name() + "' wrote "
                    + counted.written + " bytes, but shape " + Arrays.toString(e.shape()) + " x " + e.dtype()
                    + " needs " + e.byteLength());
        }
    }

    /** Passes bytes through to the file and stops a source that writes more than its tensor's size. */
    private static final class CountingChannel implements WritableByteChannel {
        private final FileChannel out;
        private final Entry entry;
        private final Path path;
        long written;

        CountingChannel(FileChannel out, Entry entry, Path path) {
            this.out = out;
            this.entry = entry;
            this.path = path;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (written + src.remaining() > entry.byteLength()) {
                throw new SafetensorsException("cannot write " + path + ": the source of tensor '" + entry.name()
                        + "' wrote more than the " + entry.byteLength() + " bytes its shape "
                        + Arrays.toString(entry.shape()) + " x " + entry.dtype() + " needs");
            }
            int n = src.remaining();
            writeFully(out, src);
            written += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            // The writer owns the file channel.
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /** Makes the rename durable where the platform allows opening a directory (POSIX); elsewhere a no-op. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not supported on this platform; the data itself was already forced.
        }
    }

    private static Throwable deleteQuietly(Path temp, Throwable cause) {
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                cause.addSuppressed(e);
            }
        }
        return cause;
    }

    private long checkTensor(String name, DType dtype, int[] shape) {
        requireEncodable(name, "tensor name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("tensor name is empty");
        }
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is reserved for the metadata entry");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
        if (dtype == null) {
            throw new IllegalArgumentException("tensor '" + name + "': dtype is null");
        }
        if (shape == null) {
            throw new IllegalArgumentException("tensor '" + name + "': shape is null (use new int[0] for a scalar)");
        }
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dim in shape " + Arrays.toString(shape));
            }
        }
        try {
            long numel = 1;
            for (int d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            return Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " x " + dtype
                    + " overflows 64 bits of bytes", e);
        }
    }

    private ByteBuffer allocate(String name, int[] shape, DType dtype, int dataLength, String what) {
        long bytes = checkTensor(name, dtype, shape);
        if (dataLength < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': data is null");
        }
        long numel = bytes / dtype.byteSize();
        if (numel != dataLength) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has " + numel
                    + " elements, but " + dataLength + " " + what + " were given");
        }
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + name + "' is " + bytes + " bytes, more than one buffer holds; use addStreamed");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Rejects null and strings with unpaired surrogates, which have no UTF-8 encoding. */
    private static void requireEncodable(String s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " " + Json.quote(s) + " has an unpaired surrogate at index " + i
                        + " and cannot be encoded as UTF-8");
            }
        }
    }
}
