package io.camelrsync.receiver;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

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

    FileSink(DestinationTree tree, DestinationTree.Node dst, long expectedSize) {
        this.tree = tree;
        this.dst = dst;
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
            temp.channel().write(bb);
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
            writeFully(buf, 0, len);
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
            tree.discard(temp);
        }
    }
}
