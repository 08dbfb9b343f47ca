package io.camelrsync.receiver;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Writes a large file's chunks at their offsets on another thread while the next ones arrive: the receiving
 * thread rebuilds, hashes and writes, and its writes were 40% of a 256 MiB pull's receiving time with the
 * second CPU idle. At most {@link #IN_FLIGHT} chunks wait or are written at once, so a file in flight holds
 * a few MiB whatever its size.
 */
final class ChunkWriter {
    static final int IN_FLIGHT = 3;

    private final FileChannel channel;
    private final Executor pool;
    private final long timeoutMillis;
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    /** Chunks made so far (written, being written or free), at most IN_FLIGHT + 1 with the one being filled. */
    private int made = 1;
    /** Chunks handed over and not yet written. */
    private int running;
    /** Where the next chunk goes. */
    private long position;
    private IOException failure;

    ChunkWriter(FileChannel channel, Executor pool, long timeoutMillis) {
        this.channel = channel;
        this.pool = pool;
        this.timeoutMillis = timeoutMillis;
    }

    /** Hands {@code chunk}'s first {@code len} bytes over and returns an empty chunk of the same size. */
    synchronized byte[] submit(byte[] chunk, int len) throws IOException {
        rethrow();
        long at = position;
        position += len;
        running++;
        pool.execute(() -> write(chunk, len, at));
        if (free.isEmpty() && made <= IN_FLIGHT) {
            made++;
            return new byte[chunk.length];
        }
        awaitUntil(() -> !free.isEmpty());
        return free.poll();
    }

    /** Writes the last bytes here and waits for every chunk handed over; the first failure is thrown. */
    void finish(byte[] last, int len) throws IOException {
        long at;
        synchronized (this) {
            at = position;
            position += len;
        }
        writeFully(last, len, at);
        synchronized (this) {
            awaitUntil(() -> running == 0);
            rethrow();
        }
    }

    /** Waits (a bounded time) for the chunks being written: the file is about to be closed and removed. */
    synchronized void abandon() {
        try {
            awaitUntil(() -> running == 0);
        } catch (IOException ignored) {
            // the channel is closed next: a write still running fails on it
        }
    }

    private void write(byte[] chunk, int len, long at) {
        IOException error = null;
        try {
            writeFully(chunk, len, at);
        } catch (IOException | RuntimeException e) {
            error = e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
        synchronized (this) {
            if (error != null && failure == null) {
                failure = error;
            }
            running--;
            free.add(chunk);
            notifyAll();
        }
    }

    private void writeFully(byte[] b, int len, long at) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b, 0, len);
        while (bb.hasRemaining()) {
            channel.write(bb, at + bb.position());
        }
    }

    private interface Condition {
        boolean holds();
    }

    /** Called holding the lock. */
    private void awaitUntil(Condition c) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!c.holds()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new RsyncException(ExitCode.TIMEOUT, "a received file was not written within "
                        + TimeUnit.MILLISECONDS.toSeconds(timeoutMillis) + " seconds");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing a received file");
            }
        }
    }

    private synchronized void rethrow() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
