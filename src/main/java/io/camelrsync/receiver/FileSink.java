package io.camelrsync.receiver;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where a received file is rebuilt: in memory while it is small, so that writing it out can be handed to
 * another thread, and in a temporary file beside its destination once it outgrows that.
 */
final class FileSink extends OutputStream {
    static final int MEMORY_LIMIT = 1 << 20;

    private final DestinationTree tree;
    private final DestinationTree.Node dst;
    private byte[] buf;
    private int len;
    private DestinationTree.Temp temp;
    /** Writes the temp file once the data outgrew memory. */
    private ChunkWriter chunks;
    /** How long a write may take before the session gives up. */
    private final long timeoutMillis;

    FileSink(DestinationTree tree, DestinationTree.Node dst, long expectedSize, long timeoutMillis) {
        this.tree = tree;
        this.dst = dst;
        this.timeoutMillis = timeoutMillis;
        this.buf = new byte[(int) Math.max(64, Math.min(expectedSize, MEMORY_LIMIT))];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
        if (temp == null && len + n <= MEMORY_LIMIT) {
            if (len + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.min(MEMORY_LIMIT, Math.max(len + n, buf.length * 2)));
            }
            System.arraycopy(b, off, buf, len, n);
            len += n;
            return;
        }
        if (temp == null) {
            temp = tree.createTemp(dst);
            chunks = new ChunkWriter(temp.channel(), Finishers.POOL, timeoutMillis);
            buf = java.util.Arrays.copyOf(buf, MEMORY_LIMIT); // from now on the chunk being filled
        }
        while (n > 0) {
            int k = Math.min(n, buf.length - len);
            System.arraycopy(b, off, buf, len, k);
            len += k;
            off += k;
            n -= k;
            if (len == buf.length) {
                buf = chunks.submit(buf, len);
                len = 0;
            }
        }
    }

    /** Whether the data is still in memory (and so cheap to hand to another thread). */
    boolean inMemory() {
        return temp == null;
    }

    int memoryBytes() {
        return temp == null ? buf.length : 0;
    }

    /** Where the file goes. */
    DestinationTree.Node destination() {
        return dst;
    }

    /** The complete file under its temporary name, still open for its attributes. */
    DestinationTree.Temp finish() throws IOException {
        if (temp == null) {
            DestinationTree.Temp written = tree.writeTemp(dst, buf, len);
            buf = null;
            return written;
        }
        try {
            chunks.finish(buf, len);
        } catch (IOException | RuntimeException e) {
            discard();
            throw e;
        }
        buf = null;
        return temp;
    }

    /** Drops what was received (a failed checksum or a broken session): nothing stays behind. */
    void discard() {
        buf = null;
        if (temp != null) {
            chunks.abandon();
            tree.discard(temp);
        }
    }
}
