package io.camelrsync.protocol;

import java.io.IOException;
import java.io.OutputStream;

/** Frames everything written into multiplexed DATA messages (io.c send_msg / mplex_write). */
public final class MultiplexWriter extends OutputStream {
    private static final int FRAME = 32 * 1024;

    private final OutputStream socketOut;
    private final byte[] buf = new byte[4 + FRAME];
    private int used = 4;
    private long written;
    /** Where messages go instead of the wire (a pulling client's receiver shows its own); null: the wire. */
    private volatile java.util.function.BiConsumer<Integer, byte[]> local;

    public MultiplexWriter(OutputStream socketOut) {
        this.socketOut = socketOut;
    }

    /**
     * Keeps every message but DATA on this side, handed to {@code local}: the receiving side of a pull shows
     * its deletions, warnings and errors itself, as rsync's client does, and sends the sender only data.
     */
    public void keepMessagesLocal(java.util.function.BiConsumer<Integer, byte[]> local) {
        this.local = local;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (used == buf.length) {
            flushFrame();
        }
        buf[used++] = (byte) b;
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (used == buf.length) {
                flushFrame();
            }
            int n = Math.min(len, buf.length - used);
            System.arraycopy(b, off, buf, used, n);
            used += n;
            off += n;
            len -= n;
        }
    }

    /** Sends an out-of-band message after any DATA already written. */
    public synchronized void sendMessage(int code, byte[] payload) throws IOException {
        if (local != null) {
            local.accept(code, payload);
            return;
        }
        flushFrame();
        byte[] frame = new byte[4 + payload.length];
        header(frame, code, payload.length);
        System.arraycopy(payload, 0, frame, 4, payload.length);
        socketOut.write(frame);
        socketOut.flush();
        written += frame.length;
    }

    public void sendInt(int code, int value) throws IOException {
        sendMessage(code, new byte[] {(byte) value, (byte) (value >> 8), (byte) (value >> 16), (byte) (value >> 24)});
    }

    /** Bytes put on the wire so far, frame headers included (rsync's "Total bytes sent"). */
    public synchronized long bytesWritten() {
        return written + used - 4;
    }

    @Override
    public synchronized void flush() throws IOException {
        flushFrame();
        socketOut.flush();
    }

    private void flushFrame() throws IOException {
        int len = used - 4;
        if (len == 0) {
            return;
        }
        header(buf, MessageCode.DATA, len);
        socketOut.write(buf, 0, used);
        written += used;
        used = 4;
    }

    private static void header(byte[] frame, int code, int len) {
        int h = ((MessageCode.MPLEX_BASE + code) << 24) | len;
        frame[0] = (byte) h;
        frame[1] = (byte) (h >> 8);
        frame[2] = (byte) (h >> 16);
        frame[3] = (byte) (h >> 24);
    }
}
