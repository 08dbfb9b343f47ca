package io.camelrsync.receiver;

import io.camelrsync.flist.FileListReader;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one session's file list may hold: the module's "max list entries" and "max alloc", and a share of the
 * heap that every session of this JVM draws from, so that many large pushes at once are refused one by one with
 * a clear error instead of ending the daemon with an OutOfMemoryError. Released when the session ends.
 */
public final class SessionMemory implements FileListReader.Budget, AutoCloseable {
    /** The part of the heap file lists may take together; the rest is for buffers, Netty and the finishers. */
    private static final long SHARED_LIMIT = Runtime.getRuntime().maxMemory() / 4 * 3;
    private static final AtomicLong SHARED = new AtomicLong();
    /** Reserved from the shared pool in steps, so sessions do not contend per entry. */
    private static final long STEP = 1 << 20;

    private final String module;
    private final int maxEntries;
    private final long maxBytes;
    private long used;
    private long reserved;

    /** An rsyncd.conf module's default "max list entries" (daemonconf/ModuleConf), which a pull takes too. */
    public static final int DEFAULT_MAX_ENTRIES = 10_000_000;
    /** An rsyncd.conf module's default "max alloc", rsync's --max-alloc default (1G), which a pull takes too. */
    public static final long DEFAULT_MAX_BYTES = 1L << 30;

    public SessionMemory(String module, int maxEntries, long maxBytes) {
        this.module = module;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    @Override
    public void charge(int entries, long bytes) throws RsyncException {
        if (entries > maxEntries) {
            throw new RsyncException(ExitCode.MALLOC, "ERROR: the file list has more than " + maxEntries
                    + " entries, the limit of module " + module + " (its \"max list entries\")");
        }
        used += bytes;
        if (used > maxBytes) {
            throw new RsyncException(ExitCode.MALLOC, "ERROR: exceeded --max-alloc=" + size(maxBytes)
                    + " setting: the file list of " + entries + " entries needs more (module " + module
                    + "'s \"max alloc\")");
        }
        if (used > reserved) {
            long want = Math.max(STEP, used - reserved);
            if (SHARED.addAndGet(want) > SHARED_LIMIT) {
                SHARED.addAndGet(-want);
                throw new RsyncException(ExitCode.MALLOC, "ERROR: out of memory: the file lists of this "
                        + "daemon's sessions would exceed " + size(SHARED_LIMIT) + " of its " + size(
                        Runtime.getRuntime().maxMemory()) + " heap (try again later, or give the daemon a larger"
                        + " heap: CAMEL_RSYNC_HEAP)");
            }
            reserved += want;
        }
    }

    @Override
    public void close() {
        SHARED.addAndGet(-reserved);
        reserved = 0;
    }

    static String size(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "G";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "M";
        }
        return bytes >= 1L << 20 ? (bytes >> 20) + "M" : bytes + "B";
    }
}
