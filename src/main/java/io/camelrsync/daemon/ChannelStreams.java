package io.camelrsync.daemon;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;

/**
 * Blocking streams over a Netty channel, so an rsync session (long, stateful, full duplex) can run on a
 * thread of its own while Netty does the socket work. Reading stops when a bounded amount is queued and
 * resumes as the session catches up; writes wait for the channel to drain. The waits end when data arrives,
 * the channel closes, or the transport gives up on the peer ({@link #fail}: the handshake deadline, the idle
 * timeout), whose reason is what the session then sees.
 */
final class ChannelStreams {
    private static final int HIGH_WATER = 4 << 20;
    private static final int LOW_WATER = 1 << 20;

    private final Channel channel;
    private final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
    private int queued;
    private boolean eof;
    private volatile IOException failure;
    private volatile long lastTakenNanos = System.nanoTime();
    private final Object writable = new Object();

    ChannelStreams(Channel channel) {
        this.channel = channel;
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
        writabilityChanged();
    }

    /** Ends every wait, now and later, with this reason (the first one given); the caller closes the channel. */
    synchronized void fail(IOException reason) {
        if (failure == null) {
            failure = reason;
        }
        closed();
    }

    void writabilityChanged() {
        synchronized (writable) {
            writable.notifyAll();
        }
    }

    /**
     * When the session last took input off the queue. Reads from the socket pause while it is behind, so this,
     * not the socket, tells whether the session is still working through what the peer sent.
     */
    long lastTakenNanos() {
        return lastTakenNanos;
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
        while (inbound.isEmpty() || failure != null) {
            if (failure != null) {
                throw failure;
            }
            if (eof) {
                return null;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            }
        }
        byte[] b = inbound.poll();
        queued -= b.length;
        lastTakenNanos = System.nanoTime();
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
            awaitWritable();
            channel.writeAndFlush(Unpooled.copiedBuffer(buf, 0, used));
            used = 0;
        }
    };

    private void awaitWritable() throws IOException {
        synchronized (writable) {
            while (channel.isActive() && !channel.isWritable() && failure == null) {
                try {
                    writable.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        if (!channel.isActive()) {
            throw new IOException("the client closed the connection");
        }
    }
}
