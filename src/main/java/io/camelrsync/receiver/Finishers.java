package io.camelrsync.receiver;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Finishes received files beside the receiver: writing a small file out, its attributes and the rename cost
 * more system calls than decoding it, and rsync's single receiver pays them one after another. Files that
 * spilled to disk while arriving finish on the receiving thread. Memory held by queued files is bounded.
 */
final class Finishers {
    /**
     * One pool for every session: the disk, not the session count, bounds what helps. Large files' chunks are
     * written on it too ({@link ChunkWriter}).
     */
    static final ExecutorService POOL = Executors.newFixedThreadPool(
            Integer.getInteger("camelrsync.finishers", Math.max(2, Runtime.getRuntime().availableProcessors())), r -> {
                Thread t = new Thread(r, "rsyncd-finish");
                t.setDaemon(true);
                return t;
            });
    private static final int MAX_QUEUED_BYTES = 32 << 20;

    interface Step {
        void run() throws IOException;
    }

    /**
     * Bytes queued files may still take. The receiving thread, when it runs out, waits until a quarter of the
     * budget is back: woken per file, it and the finishers spent a futex call a file (100,000 small files:
     * 160,000 calls, a fifth of the finishers' CPU in wake-ups).
     */
    private long free = MAX_QUEUED_BYTES;
    /** What the receiving thread waits for ({@code free} at least this); 0 when it does not wait. */
    private long wanted;
    private int outstanding;
    private IOException failure;
    /** The session has ended: queued files are dropped, not finished. */
    private volatile boolean cancelled;
    private final long timeoutMillis;

    /** {@code timeoutMillis}: how long files may take to be written before the session gives up. */
    Finishers(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    /** Runs {@code step} for a file now or on the pool; the first failure is rethrown by a later call. */
    void finish(FileSink sink, Step step) throws IOException {
        rethrow();
        if (!sink.inMemory()) {
            step.run();
            return;
        }
        int cost = Math.max(4096, Math.min(sink.memoryBytes(), MAX_QUEUED_BYTES));
        reserve(cost);
        POOL.execute(() -> {
            IOException failed = null;
            try {
                if (cancelled) {
                    sink.discard();
                    sink.destination().close();
                    return;
                }
                step.run();
            } catch (IOException | RuntimeException e) {
                failed = e instanceof IOException io ? io : new IOException(e.toString(), e);
                sink.discard();
            } finally {
                done(cost, failed);
            }
        });
    }

    private synchronized void reserve(int cost) throws IOException {
        if (free < cost) {
            wanted = Math.min(MAX_QUEUED_BYTES, cost + MAX_QUEUED_BYTES / 4);
            try {
                awaitUntil(() -> free >= wanted, "received files were not written");
            } finally {
                wanted = 0;
            }
        }
        free -= cost;
        outstanding++;
    }

    private synchronized void done(int cost, IOException failed) {
        if (failed != null && failure == null) {
            failure = failed;
        }
        free += cost;
        outstanding--;
        if (outstanding == 0 || (wanted > 0 && free >= wanted)) {
            notifyAll();
        }
    }

    /** Waits until every queued file is in place (before directory times are set and the session ends). */
    synchronized void awaitAll() throws IOException {
        awaitUntil(() -> outstanding == 0, "received files were not written");
        rethrow();
    }

    private interface Condition {
        boolean holds();
    }

    /** Called holding the lock. */
    private void awaitUntil(Condition c, String what) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!c.holds()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new RsyncException(ExitCode.TIMEOUT, what + " within "
                        + TimeUnit.MILLISECONDS.toSeconds(timeoutMillis) + " seconds");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while finishing files");
            }
        }
    }

    /** The session is over: files still queued are dropped; waits up to a second for those being written. */
    synchronized void cancel() {
        cancelled = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (outstanding > 0 && System.nanoTime() < deadline) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private synchronized void rethrow() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
