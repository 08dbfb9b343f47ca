package io.camelrsync.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a received file is rebuilt: in memory while it is small, so that writing it out can be handed to
 * another thread, and in a temporary file beside its destination once it outgrows that.
 */
final class FileSink extends OutputStream {
    static final int MEMORY_LIMIT = 1 << 20;

    private final DestinationTree tree;
    private final Path dst;
    private final boolean fsync;
    private byte[] buf;
    private int len;
    private FileChannel channel;
    private Path tmp;

    FileSink(DestinationTree tree, Path dst, long expectedSize, boolean fsync) {
        this.tree = tree;
        this.dst = dst;
        this.fsync = fsync;
        this.buf = new byte[(int) Math.max(64, Math.min(expectedSize, MEMORY_LIMIT))];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
        if (channel == null && len + n <= MEMORY_LIMIT) {
            if (len + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.min(MEMORY_LIMIT, Math.max(len + n, buf.length * 2)));
            }
            System.arraycopy(b, off, buf, len, n);
            len += n;
            return;
        }
        if (channel == null) {
            Path[] name = new Path[1];
            channel = tree.createTemp(dst, name);
            tmp = name[0];
            buf = java.util.Arrays.copyOf(buf, MEMORY_LIMIT); // from now on a write buffer
        }
        if (len + n > buf.length) {
            writeFully(buf, 0, len);
            len = 0;
        }
        if (n >= buf.length) {
            writeFully(b, off, n);
        } else {
            System.arraycopy(b, off, buf, len, n);
            len += n;
        }
    }

    private void writeFully(byte[] b, int off, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b, off, n);
        while (bb.hasRemaining()) {
            channel.write(bb);
        }
    }

    /** Whether the data is still in memory (and so cheap to hand to another thread). */
    boolean inMemory() {
        return channel == null;
    }

    int memoryBytes() {
        return channel == null ? buf.length : 0;
    }

    /** The complete file under its temporary name. */
    Path finish() throws IOException {
        if (channel == null) {
            Path written = tree.writeTemp(dst, buf, len);
            buf = null;
            return written;
        }
        try (FileChannel ch = channel) {
            writeFully(buf, 0, len);
            buf = null;
            if (fsync) {
                ch.force(true);
            }
        }
        return tmp;
    }

    /** Drops what was received (a failed checksum or a broken session): nothing stays behind. */
    void discard() {
        buf = null;
        if (channel != null) {
            try {
                channel.close();
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort: the session is failing anyway
            }
        }
    }
}
