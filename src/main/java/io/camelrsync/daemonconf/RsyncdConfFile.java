package io.camelrsync.daemonconf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An rsyncd.conf as stock rsyncd sees it: read again for each new connection (rsync's daemon re-reads it in each
 * forked child), so an edited module, secret or host rule applies without a restart. The file is read again only
 * when its modification time, size or inode changed; a new version that cannot be read keeps the last good one,
 * and the log says so once. Files pulled in with &include or &merge are read again with it, but their own edits
 * are seen only when the main file changes (touch it). Listening address and port are read at start-up only, as
 * rsyncd reads them.
 */
public final class RsyncdConfFile implements Supplier<RsyncdConf> {
    private final Path file;
    private final Consumer<String> log;
    private RsyncdConf current;
    /** What the file looked like when {@link #current} was read (or when a failed read was reported). */
    private Object seen;
    private Instant readAt;

    /** Reads the file now: a config that cannot be read at start-up is the caller's error to report. */
    public RsyncdConfFile(Path file, Consumer<String> log) throws IOException {
        this.file = file;
        this.log = log;
        this.seen = look();
        this.current = RsyncdConf.read(file);
        this.readAt = Instant.now();
    }

    /** The config a new connection gets. */
    @Override
    public synchronized RsyncdConf get() {
        Object now = look();
        if (Objects.equals(now, seen)) {
            return current;
        }
        seen = now;
        try {
            RsyncdConf next = RsyncdConf.read(file);
            current = next;
            readAt = Instant.now();
            log.accept("read " + file + " again: modules " + next.modules().keySet());
            next.warnings().forEach(w -> log.accept("warning: " + w));
        } catch (IOException | RuntimeException e) {
            log.accept("warning: " + file + " changed but cannot be read (" + e.getMessage() + "); still serving"
                    + " the configuration read at " + readAt + " until it is fixed");
        }
        return current;
    }

    /** The file's identity and version: (inode, mtime, size), or null when it cannot be seen. */
    private Object look() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return java.util.List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().toMillis(), a.size());
        } catch (IOException e) {
            return e.getClass().getSimpleName();
        }
    }
}
