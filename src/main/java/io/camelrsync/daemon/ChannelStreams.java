package io.camelrsync.daemon;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Blocking streams over a Netty channel, so an rsync session (long, stateful, full duplex) can run on a
 * thread of its own while Netty does the socket work. Reading stops when a bounded amount is queued and
 * resumes as the session catches up; writes wait for the channel to drain; every wait has the deadline.
 */
final class ChannelStreams {
    private static final int HIGH_WATER = 4 << 20;
    private static final int LOW_WATER = 1 << 20;

    private final Channel channel;
    private volatile long timeoutMillis;
    /** System.nanoTime() by which the handshake must be over, or 0: see {@link #setHandshakeDeadline}. */
    private volatile long handshakeDeadline;
    private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    private int queued;
    private boolean eof;
    private final Object writable = new Object();

    ChannelStreams(Channel channel, long timeoutMillis) {
        this.channel = channel;
        this.timeoutMillis = timeoutMillis;
    }

    /** The handshake has a short deadline; the module's "timeout" applies from then on. */
    void setTimeoutMillis(long millis) {
        timeoutMillis = millis;
    }

    /**
     * An absolute deadline for the handshake, on top of the per-read timeout (io.c
     * set_daemon_handshake_timeout): a client that dribbles a byte now and then cannot stretch it, so it
     * cannot hold a connection slot for long. 0 or less clears it.
     */
    void setHandshakeDeadline(long millisFromNow) {
        handshakeDeadline = millisFromNow <= 0 ? 0
                : (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millisFromNow)) | 1;
    }

    /** Called on the event loop for each inbound buffer. */
    synchronized void received(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        inbound.add(b);
        queued += b.length;
        if (queued > HIGH_WATER) {
            channel.config().setAutoRead(false);
        }
        notifyAll();
    }

    synchronized void closed() {
        eof = true;
        notifyAll();
    }

    void writabilityChanged() {
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    final InputStream in = new InputStream() {
        private byte[] current;
        private int pos;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (current == null || pos == current.length) {
                current = next();
                pos = 0;
                if (current == null) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    };

    private synchronized byte[] next() throws IOException {
        long now = System.nanoTime();
        long deadline = now + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long handshake = handshakeDeadline;
        boolean inHandshake = handshake != 0 && handshake - deadline < 0;
        if (inHandshake) {
            deadline = handshake; // even when bytes are waiting: a flood cannot stretch it either
        }
        while (inbound.isEmpty() || inHandshake && deadline - now <= 0) {
            if (eof && inbound.isEmpty()) {
                return null;
            }
            long left = deadline - now;
            if (left <= 0) {
                throw new RsyncException(ExitCode.TIMEOUT, inHandshake ? "daemon handshake timeout -- exiting"
                        : "[receiver] io timeout after " + timeoutMillis / 1000 + " seconds -- exiting");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
            now = System.nanoTime();
        }
        byte[] b = inbound.poll();
        queued -= b.length;
        if (queued < LOW_WATER && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
        return b;
    }

    final OutputStream out = new OutputStream() {
        private final byte[] buf = new byte[64 * 1024];
        private int used;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (used == buf.length) {
                    flush();
                }
                int n = Math.min(len, buf.length - used);
                System.arraycopy(b, off, buf, used, n);
                used += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public void flush() throws IOException {
            if (used == 0) {
                return;
            }
            if (!channel.isActive()) {
                throw new IOException("the client closed the connection");
            }
            awaitWritable();
            channel.writeAndFlush(Unpooled.copiedBuffer(buf, 0, used));
            used = 0;
        }
    };

    private void awaitWritable() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (writable) {
            while (channel.isActive() && !channel.isWritable()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new RsyncException(ExitCode.TIMEOUT, "[receiver] io timeout after "
                            + timeoutMillis / 1000 + " seconds -- exiting (the client stopped reading)");
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(writable, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }
        }
    }
}
