package io.camelrsync.protocol;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/**
 * rsync's --bwlimit on what one side writes (io.c sleep_for_bwlimit): writes go out in pieces of at most
 * {@code rate * 128} bytes (at least 512), and after each the writer sleeps as long as the bytes written beyond
 * the rate need, once that is a tenth of a second or more.
 */
public final class BandwidthLimit extends FilterOutputStream {
    private static final long ONE_SEC = 1_000_000L;

    /** KiB per second. */
    private final long rate;
    private final int writeMax;
    private long totalWritten;
    private long priorNanos;

    /** @param kibPerSecond rsync's --bwlimit value (units of 1024 bytes per second), above 0 */
    public BandwidthLimit(OutputStream out, int kibPerSecond) {
        super(out);
        if (kibPerSecond <= 0) {
            throw new IllegalArgumentException("a bandwidth limit is above 0 KiB/s: " + kibPerSecond);
        }
        this.rate = kibPerSecond;
        this.writeMax = (int) Math.max(512, Math.min(Integer.MAX_VALUE, rate * 128));
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        sleepFor(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, writeMax);
            out.write(b, off, n);
            out.flush(); // the bytes leave now, so the sleep paces the wire, not a buffer
            sleepFor(n);
            off += n;
            len -= n;
        }
    }

    private void sleepFor(int bytesWritten) throws IOException {
        totalWritten += bytesWritten;
        long start = System.nanoTime();
        if (priorNanos != 0) {
            long elapsedUsec = (start - priorNanos) / 1000;
            totalWritten = Math.max(0, totalWritten - elapsedUsec * rate / (ONE_SEC / 1024));
        }
        long sleepUsec = totalWritten * (ONE_SEC / 1024) / rate;
        if (sleepUsec < ONE_SEC / 10) {
            priorNanos = start;
            return;
        }
        try {
            Thread.sleep(sleepUsec / 1000, (int) (sleepUsec % 1000) * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while keeping to --bwlimit");
        }
        priorNanos = System.nanoTime();
        long elapsedUsec = (priorNanos - start) / 1000;
        totalWritten = (sleepUsec - elapsedUsec) * rate / (ONE_SEC / 1024);
    }
}
