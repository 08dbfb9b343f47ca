package io.camelrsync.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Demultiplexes a peer's framed stream on a thread of its own, so the peer can always make progress
 * while we are busy writing (rsync's sender reads while it writes for the same reason).
 * DATA payload is queued for {@link #data()}; messages go to the listener as they arrive.
 */
public final class MultiplexReader implements Runnable {
    /** Backpressure point: past this many queued DATA bytes the reader stops reading the socket. */
    private static final long MAX_QUEUED = 32L << 20;

    private final InputStream socketIn;
    private final MessageListener listener;
    private final long timeoutMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private long queued;
    private IOException failure;
    private boolean eof;
    private volatile int ioError;
    private volatile int errorExit = -1;
    private volatile long bytesRead;
    /** When the peer last sent anything, keep-alives included: waits time out only after silence. */
    private volatile long lastActivityNanos = System.nanoTime();
    private final DataStream data = new DataStream();

    public MultiplexReader(InputStream socketIn, MessageListener listener, long timeoutMillis) {
        this.socketIn = socketIn;
        this.listener = listener;
        this.timeoutMillis = timeoutMillis;
    }

    public Thread start(String name) {
        Thread t = new Thread(this, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Ends every wait on the data: another part of the session failed and nothing more will be read. */
    public void abort(IOException cause) {
        lock.lock();
        try {
            if (failure == null) {
                failure = cause;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The demultiplexed DATA bytes; reads wait at most the timeout for the peer. */
    public InputStream data() {
        return data;
    }

    /** io_error bits the peer reported with MSG_IO_ERROR. */
    public int ioError() {
        return ioError;
    }

    /** Bytes taken off the wire so far, frame headers included. */
    public long bytesRead() {
        return bytesRead;
    }

    /** The exit code from the peer's MSG_ERROR_EXIT, or -1 if none came. */
    public int errorExit() {
        return errorExit;
    }

    @Override
    public void run() {
        WireInput in = new WireInput(socketIn);
        try {
            while (true) {
                int header = in.readInt();
                int tag = (header >>> 24) - MessageCode.MPLEX_BASE;
                int len = header & 0xffffff;
                bytesRead += 4 + len;
                lastActivityNanos = System.nanoTime();
                if (tag == MessageCode.DATA) {
                    if (len > 0) {
                        byte[] payload = new byte[len];
                        in.readFully(payload, 0, len);
                        offer(payload);
                    } else {
                        signalActivity(); // an empty DATA frame is a keep-alive
                    }
                    continue;
                }
                if (len >= Limits.MAX_MESSAGE) {
                    throw RsyncException.protocol("multiplexed message " + tag + " too long: " + len + " bytes");
                }
                byte[] payload = new byte[len];
                in.readFully(payload, 0, len);
                handleMessage(tag, payload);
            }
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new RsyncException(ExitCode.PROTOCOL, "bad data from the peer: " + e, e));
        }
    }

    private void handleMessage(int tag, byte[] payload) throws IOException {
        switch (tag) {
            case MessageCode.INFO, MessageCode.WARNING, MessageCode.ERROR, MessageCode.ERROR_XFER ->
                    listener.onText(tag, Printable.of(new String(payload, StandardCharsets.UTF_8)));
            case MessageCode.DELETED -> listener.onDeleted(Printable.of(deletedName(payload)));
            // a sender that could not open a file says so and skips it; the session goes on (exit 23/24 later)
            case MessageCode.NO_SEND -> listener.onNoSend(intPayload(tag, payload));
            case MessageCode.IO_ERROR -> ioError |= intPayload(tag, payload);
            case MessageCode.IO_TIMEOUT -> {
                int seconds = intPayload(tag, payload);
                if (seconds < 0) {
                    throw RsyncException.protocol("invalid MSG_IO_TIMEOUT value " + seconds);
                }
            }
            case MessageCode.ERROR_EXIT -> {
                // An empty ERROR_EXIT is the peer's ack of ours; a coded one ends the session.
                int code = payload.length == 0 ? ExitCode.OK : intPayload(tag, payload);
                // a code outside 1..255 would become a process status of 0 (or garbage): report it as a protocol fault
                errorExit = code == ExitCode.OK || (code >= 1 && code <= 255) ? code : ExitCode.PROTOCOL;
                throw new PeerExit(errorExit);
            }
            case MessageCode.NOOP, MessageCode.SUCCESS -> {
                // keep-alive (3.0.x) and receiver bookkeeping: nothing for a sender to do
            }
            default -> throw RsyncException.protocol("unexpected multiplexed message tag " + tag);
        }
    }

    private static String deletedName(byte[] payload) {
        int n = payload.length;
        boolean dir = n > 0 && payload[n - 1] == 0;
        String name = new String(payload, 0, dir ? n - 1 : n, StandardCharsets.UTF_8);
        return dir ? name + "/" : name;
    }

    private static int intPayload(int tag, byte[] p) throws RsyncException {
        if (p.length != 4) {
            throw RsyncException.protocol("message " + tag + " must carry 4 bytes, got " + p.length);
        }
        return (p[0] & 0xff) | (p[1] & 0xff) << 8 | (p[2] & 0xff) << 16 | (p[3] & 0xff) << 24;
    }

    private void signalActivity() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void offer(byte[] payload) throws IOException {
        lock.lock();
        try {
            while (queued > MAX_QUEUED && failure == null) {
                changed.awaitUninterruptibly();
            }
            chunks.add(payload);
            queued += payload.length;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void fail(IOException e) {
        lock.lock();
        try {
            if (e instanceof PeerExit) {
                eof = true;
            } else if (failure == null) {
                failure = e;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Thrown on the reader thread to stop it once the peer has announced its exit. */
    private static final class PeerExit extends IOException {
        PeerExit(int code) {
            super("peer exited with code " + code);
        }
    }

    private final class DataStream extends InputStream {
        private byte[] current;
        private int pos;

        @Override
        public int read() throws IOException {
            if (current == null || pos == current.length) {
                if (!nextChunk()) {
                    return -1;
                }
            }
            return current[pos++] & 0xff;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (current == null || pos == current.length) {
                if (!nextChunk()) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, buf, off, n);
            pos += n;
            return n;
        }

        private long waitStartNanos;

        private long waitStart() {
            return waitStartNanos;
        }

        private boolean nextChunk() throws IOException {
            lock.lock();
            try {
                waitStartNanos = System.nanoTime();
                long timeout = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                while (chunks.isEmpty()) {
                    long deadline = Math.max(lastActivityNanos, waitStart()) + timeout;
                    if (failure != null) {
                        throw failure;
                    }
                    if (eof) {
                        return false;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new RsyncException(ExitCode.TIMEOUT, "[sender] io timeout after "
                                + TimeUnit.MILLISECONDS.toSeconds(timeoutMillis) + " seconds -- exiting");
                    }
                    try {
                        changed.awaitNanos(left);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while waiting for the peer");
                    }
                }
                current = chunks.poll();
                queued -= current.length;
                pos = 0;
                changed.signalAll();
                return true;
            } finally {
                lock.unlock();
            }
        }
    }
}
