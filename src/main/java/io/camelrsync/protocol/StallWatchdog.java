package io.camelrsync.protocol;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gives socket writes a deadline, which java.net sockets lack: a write that makes no progress for the
 * timeout closes the connection, so a peer that stops reading cannot hang us.
 */
public final class StallWatchdog extends OutputStream {
    private final OutputStream out;
    private final Closeable connection;
    private final long timeoutNanos;
    private volatile long writeStarted; // 0 when no write is in progress
    private final AtomicBoolean fired = new AtomicBoolean();
    private final Thread thread;

    public StallWatchdog(OutputStream out, Closeable connection, long timeoutMillis) {
        this.out = out;
        this.connection = connection;
        this.timeoutNanos = timeoutMillis * 1_000_000L;
        this.thread = new Thread(this::watch, "rsync-write-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    private void watch() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(Math.max(50, Math.min(1000, timeoutNanos / 4_000_000L)));
            } catch (InterruptedException e) {
                return;
            }
            long started = writeStarted;
            if (started != 0 && System.nanoTime() - started > timeoutNanos) {
                fired.set(true);
                try {
                    connection.close();
                } catch (IOException ignored) {
                    // closing is the whole point; nothing more to do
                }
                return;
            }
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writeStarted = System.nanoTime();
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw fired.get() ? timeout(e) : e;
        } finally {
            writeStarted = 0;
        }
    }

    @Override
    public void flush() throws IOException {
        writeStarted = System.nanoTime();
        try {
            out.flush();
        } catch (IOException e) {
            throw fired.get() ? timeout(e) : e;
        } finally {
            writeStarted = 0;
        }
    }

    private RsyncException timeout(IOException cause) {
        return new RsyncException(ExitCode.TIMEOUT, "[sender] io timeout after "
                + timeoutNanos / 1_000_000_000L + " seconds -- exiting (the peer stopped reading)", cause);
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
