package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
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

    @Test
    @SuppressWarnings("removal")
    void lostEventsAfterAnInotifyOverflowAreRecoveredByAFullSync() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst));
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m")))) {
            awaitSame(src, dst, 20_000);
            // A watcher that falls behind (a loaded machine) loses events: the JDK replaces more than 512 pending
            // events of a directory by one OVERFLOW. Holding the watcher thread makes that certain here.
            List<Thread> watchers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().contains("CamelFileWatchService")).toList();
            assertTrue(!watchers.isEmpty(), "camel-file-watch's watcher thread not found");
            Path burst = Files.createDirectories(src.resolve("burst"));
            Thread.sleep(300); // the new directory is watched
            watchers.forEach(Thread::suspend);
            try {
                for (int i = 0; i < 2000; i++) {
                    Files.writeString(burst.resolve("f" + i), "burst " + i + "\n");
                }
                Thread.sleep(300);
            } finally {
                watchers.forEach(Thread::resume);
            }
            awaitSame(src, dst, 30_000);
            assertTrue(run.guard().getRecoveries() >= 1, "the overflow was not noticed");
        }
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
