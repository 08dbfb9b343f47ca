package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The faults the inotifywait loop lost changes to, each against Debian's stock rsync daemon. */
class MirrorFaultsTest {
    @TempDir
    Path work;

    private Map<String, String> settings(Path src, String targets) {
        Map<String, String> m = new HashMap<>();
        m.put("mirror.source", src.toString());
        m.put("mirror.targets", targets);
        m.put("mirror.daemon.enabled", "false");
        m.put("mirror.retry-delay-ms", "100");
        m.put("mirror.retry-max-delay-ms", "500");
        m.put("mirror.root-check-ms", "200");
        return m;
    }

    @Test
    void treeOverTheInotifyLimitIsRefusedWithTheSysctlLineThatFixesIt() throws Exception {
        Path src = Files.createDirectories(work.resolve("src/a/b/c"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst))) {
            Map<String, String> s = settings(work.resolve("src"), daemon.url("m"));
            s.put("mirror.max-user-watches", "3"); // the tree has 4 directories
            Exception e = assertThrows(Exception.class, () -> MirrorRun.start(s).close());
            String all = messages(e);
            assertTrue(all.contains("has 4 directories but inotify allows 3 watches")
                    && all.contains("sysctl -w fs.inotify.max_user_watches="), all);
            try (var list = Files.list(dst)) {
                assertEquals(0, list.count(), "nothing may be pushed from a tree that cannot be watched");
            }
        }
    }

    /**
     * A real overflow: a native tool creates files in one directory faster than the watcher drains them, so the JDK
     * replaces the events it holds for that directory (more than 512) by one OVERFLOW, or the kernel's queue
     * (fs.inotify.max_queued_events) overflows. Neither is forced; a burst that happened to be drained in time is
     * followed by a bigger one. The guard must have seen lost events (its warning, which only the file watcher's
     * problem report writes), re-watched and fully synced, and the target must end identical.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void lostEventsAfterAnInotifyOverflowAreRecoveredByAFullSync() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        List<String> guardWarnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                guardWarnings.add(String.valueOf(r.getMessage()) + " " + Arrays.toString(r.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger guardLog = Logger.getLogger(WatchGuard.class.getName());
        guardLog.addHandler(capture);
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst));
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m")))) {
            Path burst = Files.createDirectories(src.resolve("burst"));
            awaitSame(src, dst, 20_000); // the start-up sync done, and the burst directory watched
            int files = 0;
            for (int round = 1; round <= 4 && !lostEventsSeen(guardWarnings); round++) {
                int n = 15_000 * round;
                // four touch processes on two cores: the watcher's threads get a third of the CPU at most
                Process p = new ProcessBuilder("sh", "-c", "cd \"$1\" && seq -f 'r" + round + "-%06g' 1 " + n
                        + " | xargs -P 4 -n 1000 touch", "sh", burst.toString()).inheritIO().start();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("creating " + n + " files took longer than 30 s");
                }
                assertEquals(0, p.exitValue(), "seq | xargs touch failed");
                files += n;
                // the guard waits mirror.recovery-delay-ms without new warnings before it acts and logs
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (!lostEventsSeen(guardWarnings) && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
            }
            assertTrue(lostEventsSeen(guardWarnings), "no burst of up to " + files + " files overflowed the watcher;"
                    + " the guard logged: " + guardWarnings);
            awaitSame(src, dst, 60_000);
            assertTrue(run.guard().getRecoveries() >= 1, "the lost events were noticed but no full sync was sent: "
                    + guardWarnings);
        } finally {
            guardLog.removeHandler(capture);
        }
    }

    /** The guard's warning that only camel-file-watch's problem report (an OVERFLOW, or the library's NPE) causes. */
    private static boolean lostEventsSeen(List<String> guardWarnings) {
        return guardWarnings.stream().anyMatch(w -> w.contains("the file watcher reported a problem"));
    }

    @Test
    void sourceRootDeletedAndCreatedAgainIsWatchedAgain() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("first.txt"), "first\n");
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst));
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m")))) {
            awaitSame(src, dst, 20_000);
            MirrorTrees.deleteTree(src);
            Thread.sleep(600);
            Files.createDirectories(src.resolve("new/dir"));
            Files.writeString(src.resolve("new/dir/second.txt"), "after the root came back\n");
            awaitSame(src, dst, 20_000);
            Files.writeString(src.resolve("third.txt"), "an event on the new root\n");
            awaitSame(src, dst, 10_000);
            assertTrue(run.guard().getRecoveries() >= 1);
        }
    }

    /**
     * A same-size rewrite within the second while the watch saw nothing (its events lost): the recovery's full
     * sync names what changed since (ctime) and sends it with -I, so the quick check cannot keep the old bytes
     * (conformance seed 9012: a rewrite between a watcher failure and the watch's restart was lost).
     */
    @Test
    void aSameSecondRewriteWhileEventsWereLostReachesTheTargetAfterTheRecovery() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Path x = src.resolve("x.bin");
        Files.write(x, "a".repeat(1000).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Map<String, String> settings = settings(src, "");
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst))) {
            settings.put("mirror.targets", daemon.url("m"));
            settings.put("mirror.verify-interval", "0");
            try (MirrorRun run = MirrorRun.start(settings)) {
                awaitSame(src, dst, 20_000);
                java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(x);
                run.context.getRouteController().stopRoute("mirror-watch-default"); // blind: no event is seen
                Files.write(x, "b".repeat(1000).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                Files.setLastModifiedTime(x, mtime); // same size, same mtime: only ctime tells
                run.guard().requestRecovery("a test's lost events");
                MirrorTrees.await(() -> Files.readString(dst.resolve("x.bin")).startsWith("b"), 20_000,
                        "the rewrite made while events were lost reaches the target");
                assertTrue(run.guard().getRecoveries() >= 1);
            }
        }
    }

    @Test
    void targetDownKeepsItsChangesAndCatchesUpWhenBack() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("keep.txt"), "keep\n");
        Files.writeString(src.resolve("gone.txt"), "deleted while the target is down\n");
        int port = RsyncDaemon.freePort();
        String module = RsyncDaemon.module("m", dst);
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), module, port);
        try (MirrorRun run = MirrorRun.start(settings(src, daemon.url("m")))) {
            awaitSame(src, dst, 20_000);
            daemon.close();
            Files.delete(src.resolve("gone.txt"));
            for (int i = 0; i < 50; i++) {
                Files.createDirectories(src.resolve("while-down/" + (i % 5)));
                Files.writeString(src.resolve("while-down/" + (i % 5) + "/f" + i), "written while down " + i);
                Thread.sleep(10);
            }
            Thread.sleep(1500); // several failed pushes, each redelivered with backoff
            assertTrue(Files.exists(dst.resolve("gone.txt")), "nothing can have reached a stopped daemon");
            daemon = RsyncDaemon.start(work.resolve("d"), module, port);
            awaitSame(src, dst, 20_000);
        } finally {
            daemon.close();
        }
    }

    @Test
    void restartedMirrorCatchesUpWhatChangedWhileItWasStopped() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst))) {
            Map<String, String> s = settings(src, daemon.url("m"));
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; writing.get() && i < 100_000; i++) {
                        Files.writeString(src.resolve("burst-" + (i % 400)), "round " + i + "\n");
                        if (i % 7 == 0) {
                            Files.deleteIfExists(src.resolve("burst-" + ((i + 200) % 400)));
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            MirrorRun first = MirrorRun.start(s);
            writer.start();
            Thread.sleep(400);
            first.close(); // stopped mid-burst
            Thread.sleep(300);
            writing.set(false);
            writer.join();
            try (MirrorRun second = MirrorRun.start(s)) {
                awaitSame(src, dst, 30_000);
            }
        }
    }

    @Test
    void aDeadTargetDelaysNoOther() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        int deadPort = RsyncDaemon.freePort(); // nothing listens there
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst));
             MirrorRun run = MirrorRun.start(settings(src, "rsync://127.0.0.1:" + deadPort + "/m,"
                     + daemon.url("m")))) {
            awaitSame(src, dst, 20_000);
            for (int i = 0; i < 5; i++) {
                Files.writeString(src.resolve("live-" + i), "reaches the live target\n");
                long ms = awaitSame(src, dst, 5_000);
                assertTrue(ms < 5_000, "the live target waited " + ms + " ms");
            }
        }
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable x = t; x != null; x = x.getCause()) {
            sb.append(x.getMessage()).append('\n');
        }
        return sb.toString();
    }

}
