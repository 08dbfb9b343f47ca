package io.camelrsync.mirror;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.LoggerFactory;

/**
 * Keeps the watch route honest where camel-file-watch is silent. Before it starts: the source must exist and fit
 * under the inotify watch limit. While it runs: lost events and a deleted or replaced source root each end in a
 * re-watch (the route restarted, so every directory is registered again, including any created while events
 * were lost) and then a full sync. Lost events show only as a warning on the component's logger: an OVERFLOW
 * it logs, or the exception its watcher library throws while handling one.
 */
public class WatchGuard extends RoutePolicySupport {
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(WatchGuard.class);
    /** camel-file-watch reports OVERFLOW on this logger, and nowhere else. */
    private static final Logger FILE_WATCH_LOG =
            Logger.getLogger("org.apache.camel.component.file.watch.FileWatchConsumer");
    private static final Set<WatchGuard> ACTIVE = new CopyOnWriteArraySet<>();

    static {
        FILE_WATCH_LOG.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    ACTIVE.forEach(g -> g.requestRecovery("the file watcher reported a problem (" + r.getMessage()
                            + "), so changes may have gone unseen"));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    /** The sync whose watch this guards: its mirror-full-sync route hands every target of it a full sync. */
    private String sync = MirrorSyncs.DEFAULT;
    private Path source;
    private DirectoryIndex directories;
    private long maxUserWatches;
    private final AtomicInteger recoveries = new AtomicInteger();
    /** Recovery restarts the watch route, which must not happen on the watcher's own thread. */
    private final ScheduledExecutorService recoverer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mirror-watch-recovery-" + sync);
        t.setDaemon(true);
        return t;
    });
    private long recoveryDelayMillis = 250;
    private ScheduledFuture<?> recovery;
    private long firstRequestNanos;
    private String recoveryReason;
    private volatile Route route;
    /** Why the watch route is being restarted (a recovery), for the full sync that follows its start. */
    private volatile String restartReason;
    /**
     * Epoch millis from which changes may have gone unseen (the first sign of lost events, less a margin for
     * events queued before it), for the recovery's full sync; -1 when none is pending.
     */
    private volatile long blindSince = -1;
    private volatile long restartBlindSince = -1;
    /** How long before the first sign of lost events changes may already have been lost. */
    private static final long LOST_EVENTS_MARGIN_MILLIS = 2_000;
    private volatile Object rootIdentity;
    private volatile boolean rootMissing;
    /** Watches the root's parent for the root's own deletion and creation, which the root's watch cannot see. */
    private WatchService parentWatch;

    @Override
    public void onInit(Route route) {
        this.route = route;
        checkSource();
    }

    @Override
    public void onStart(Route route) {
        this.route = route;
        rootIdentity = identity(source);
        closeParentWatch();
        try {
            parentWatch = source.getFileSystem().newWatchService();
            source.getParent().register(parentWatch, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot watch {} for the source root being replaced ({}); checking its inode instead",
                    source.getParent(), e.toString());
            closeParentWatch();
        }
        ACTIVE.add(this);
        String reason = restartReason;
        long since = restartBlindSince;
        restartReason = null;
        restartBlindSince = -1;
        recoverer.execute(() -> fullSyncOnceStarted(route, reason == null ? "start-up" : reason, since));
    }

    /**
     * The full sync that follows every start of the watch (the mirror's, a reload of its routes, a recovery): sent
     * once the route has started, so that the watch was registered before the sync reads the tree; a change in
     * between is then seen by one or the other.
     */
    private void fullSyncOnceStarted(Route r, String reason, long blindSinceMillis) {
        CamelContext ctx = r.getCamelContext();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ctx.getRouteController().getRouteStatus(r.getRouteId()) != ServiceStatus.Started) {
            if (System.nanoTime() > deadline || route != r || ctx.isStopping() || ctx.isStopped()) {
                return; // stopped or replaced meanwhile: its next start sends one
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        ProducerTemplate template = ctx.createProducerTemplate();
        try {
            // after lost events, what changed since (by ctime, which no one sets back) goes first with -I: a
            // same-size rewrite within the second, unseen, would pass the quick check of the full sync
            Object body = blindSinceMillis < 0 ? reason : ChangedSince.fullSync(source, blindSinceMillis);
            template.sendBody("direct:mirror-full-sync-" + sync, body);
        } catch (RuntimeException e) {
            LOG.error("the full sync after the watch of {} started could not be queued: {}", source, e.toString());
        } finally {
            template.stop();
        }
    }

    @Override
    public void onStop(Route route) {
        ACTIVE.remove(this);
        closeParentWatch();
    }

    @Override
    public void onRemove(Route route) {
        onStop(route);
    }

    private synchronized void closeParentWatch() {
        if (parentWatch != null) {
            try {
                parentWatch.close();
            } catch (IOException ignored) {
                // closing a watch service has nothing to report
            }
            parentWatch = null;
        }
    }

    /** True when the parent's watch saw an entry named like the root deleted or created since the last call. */
    private synchronized boolean rootEntryChanged() {
        boolean changed = false;
        if (parentWatch == null) {
            return false;
        }
        for (WatchKey key = parentWatch.poll(); key != null; key = parentWatch.poll()) {
            for (WatchEvent<?> e : key.pollEvents()) {
                if (e.kind() == StandardWatchEventKinds.OVERFLOW || source.getFileName().equals(e.context())) {
                    changed = true;
                }
            }
            key.reset();
        }
        return changed;
    }

    private void checkSource() {
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException("the mirror's source " + source + " is not a directory"
                    + (Files.exists(source) ? "" : " (it does not exist: create it or fix mirror.source)"));
        }
        long limit = maxUserWatches > 0 ? maxUserWatches : InotifyLimits.maxUserWatches();
        if (directories == null) { // routes without the shared index: one of its own, for counting
            directories = new DirectoryIndex();
            directories.setSource(source.toString());
        }
        // the walk that counts the directories also files them for recognising moves
        InotifyLimits.check(source, directories.rebuild(), limit);
    }

    /**
     * Called periodically (the mirror-root-check route): notices a source root that was deleted, or deleted and
     * created again, which leaves the watcher watching nothing.
     */
    public void checkRoot() throws Exception {
        Route r = route;
        if (r == null) {
            return;
        }
        boolean replaced = rootEntryChanged();
        Object now = identity(source);
        if (now == null) {
            if (!rootMissing) {
                rootMissing = true;
                LOG.error("the mirror's source {} was deleted: nothing is mirrored until it exists again", source);
            }
            return;
        }
        if (!rootMissing && !replaced && Objects.equals(now, rootIdentity)) {
            return;
        }
        String what = rootMissing ? "created again" : "replaced";
        rootMissing = false;
        rootIdentity = now;
        requestRecovery("the mirror's source " + source + " was " + what);
    }

    /**
     * Re-watches the source and then sends every target a full sync, once for any number of requests meanwhile.
     * It waits for recoveryDelayMillis without new requests (at most 8 times that): a burst that overflows the
     * watcher keeps overflowing while it lasts, and re-walking the tree during it would only slow the writer.
     */
    public synchronized void requestRecovery(String reason) {
        if (route == null) {
            return;
        }
        long now = System.nanoTime();
        if (recovery == null) {
            firstRequestNanos = now;
            recoveryReason = reason;
            blindSince = System.currentTimeMillis() - LOST_EVENTS_MARGIN_MILLIS;
        } else if (now - firstRequestNanos < recoveryDelayMillis * 8_000_000L) {
            recovery.cancel(false);
        } else {
            return; // postponed long enough: the one scheduled runs
        }
        recovery = recoverer.schedule(this::recover, recoveryDelayMillis, TimeUnit.MILLISECONDS);
    }

    private void recover() {
        String reason;
        synchronized (this) {
            reason = recoveryReason;
            recovery = null;
        }
        try {
            Route r = route;
            LOG.warn("{}: watching {} again", reason, source);
            checkSource();
            CamelContext ctx = r.getCamelContext();
            ctx.getRouteController().stopRoute(r.getRouteId());
            recoveries.incrementAndGet();
            LOG.warn("{}: sending every target a full sync of {}", reason, source);
            restartReason = reason; // the restart's full sync (onStart) is this recovery's
            restartBlindSince = blindSince;
            ctx.getRouteController().startRoute(r.getRouteId());
        } catch (Exception e) {
            LOG.error("cannot watch {} again ({}); the next check of the source root retries", source,
                    e.toString());
            rootIdentity = null;
        }
    }

    /** Device and inode of the root directory; null when it is not a directory (or gone). */
    private static Object identity(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isDirectory() ? a.fileKey() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Full syncs this guard has sent to recover lost events (the start-up sync is not one of them). */
    public int getRecoveries() {
        return recoveries.get();
    }

    public void setDirectories(DirectoryIndex directories) {
        this.directories = directories;
    }

    public DirectoryIndex getDirectories() {
        return directories;
    }

    public void setSource(String source) {
        this.source = Path.of(source).toAbsolutePath().normalize();
    }

    public void setSync(String sync) {
        this.sync = sync;
    }

    public String getSync() {
        return sync;
    }

    public String getSource() {
        return source == null ? null : source.toString();
    }

    /** Quiet time after the last sign of lost events before the source is watched again and fully synced. */
    public void setRecoveryDelayMillis(long recoveryDelayMillis) {
        this.recoveryDelayMillis = recoveryDelayMillis;
    }

    public long getRecoveryDelayMillis() {
        return recoveryDelayMillis;
    }

    /** Overrides the kernel's fs.inotify.max_user_watches (0: read it from /proc). */
    public void setMaxUserWatches(long maxUserWatches) {
        this.maxUserWatches = maxUserWatches;
    }

    public long getMaxUserWatches() {
        return maxUserWatches;
    }
}
