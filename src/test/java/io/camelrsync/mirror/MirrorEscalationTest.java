package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures that are not the target's are never retried endlessly: against Debian's stock rsync daemon, whose
 * rsyncd.conf can refuse an option the mirror sends (exit code 4) and is read again for every connection, so a
 * test can clear the fault afterwards.
 */
class MirrorEscalationTest {
    @TempDir
    Path work;

    private Map<String, String> settings(Path src, String targets) {
        Map<String, String> m = new HashMap<>();
        m.put("mirror.source", src.toString());
        m.put("mirror.targets", targets);
        m.put("mirror.daemon.enabled", "false");
        m.put("mirror.retry-delay-ms", "100");
        m.put("mirror.retry-max-delay-ms", "500");
        m.put("mirror.verify-interval", "0"); // no full sync but the ones under test
        return m;
    }

    @Test
    @Timeout(90)
    void aChangeSetTheTargetRefusesEscalatesToAFullSyncAfterTwoAttempts() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("before.txt"), "there at start-up\n");
        // Change sets send -I (every named file transferred); the full sync keeps rsync's quick check and not -I
        String refusing = RsyncDaemon.module("m", dst, "refuse options = ignore-times");
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), refusing);
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m")));
             LogCapture log = LogCapture.of(TargetEscalation.class)) {
            awaitSame(src, dst, 20_000);
            Files.writeString(src.resolve("changed.txt"), "a change set the target refuses\n");
            String line = log.await(Level.SEVERE, "escalating to a full sync", 20_000);
            assertTrue(line.startsWith("mirror: batch to 127.0.0.1:" + daemon.port() + "/m failed twice (exit code"
                    + " 4: rsync: The server is configured to refuse --ignore-times"), line);
            awaitSame(src, dst, 20_000);
            Thread.sleep(1500); // several retry delays: room for a third attempt, were there one
            int escalations = log.lines(Level.SEVERE).size();
            assertEquals(2 * escalations, count(daemon.log(), "refuse --ignore-times"),
                    "each refused batch is tried twice, then escalated: " + log.lines(Level.SEVERE));
        }
    }

    @Test
    @Timeout(90)
    void aFullSyncThatFailsTwiceMarksTheTargetAndItsNextBatchGoesAsAFullSync() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("before.txt"), "there at start-up\n"); // the start-up sync is awaited
        String module = RsyncDaemon.module("m", dst);
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), module);
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m")));
             LogCapture log = LogCapture.of(TargetEscalation.class)) {
            awaitSame(src, dst, 20_000);
            daemon.reconfigure(RsyncDaemon.module("m", dst, "refuse options = delete")); // every push: exit 4
            Files.writeString(src.resolve("lost-unless-marked.txt"), "reaches the target only with a full sync\n");
            String label = "127.0.0.1:" + daemon.port() + "/m";
            log.await(Level.SEVERE, "mirror: batch to " + label + " failed twice", 20_000);
            String line = log.await(Level.SEVERE, "mirror: full sync to " + label + " failed twice", 20_000);
            assertTrue(line.endsWith("not retried: the target's next batch goes as a full sync"), line);
            Thread.sleep(1500); // several retry delays: room for more attempts, were there any
            int failures = log.lines(Level.SEVERE).size();
            assertEquals(2 * failures, count(daemon.log(), "refuse --delete"),
                    "each failed batch is tried twice: " + log.lines(Level.SEVERE));
            assertFalse(Files.exists(dst.resolve("lost-unless-marked.txt")));
            TargetEscalation escalation = run.context.getRegistry().lookupByNameAndType("mirrorEscalation",
                    TargetEscalation.class);
            assertTrue(escalation.needsFullSync("mirror-queue:default-1"));

            daemon.reconfigure(module); // the fault is gone; only the next batch can tell
            Files.writeString(src.resolve("next.txt"), "its change set goes as a full sync\n");
            log.await(Level.WARNING, "goes as a full sync", 20_000);
            awaitSame(src, dst, 20_000);
            assertFalse(escalation.needsFullSync("mirror-queue:default-1"));
        }
    }

    @Test
    @Timeout(90)
    void aTargetThatHangsUpIsRetriedUntilItIsBackAndNeverEscalated() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("first.txt"), "waits for the target\n");
        int port = RsyncDaemon.freePort();
        AtomicInteger sessions = new AtomicInteger();
        RsyncDaemon daemon = null;
        // a daemon that accepts and hangs up at once: rsync's "connection unexpectedly closed", a network failure
        ServerSocket hangUp = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!hangUp.isClosed()) {
                try (Socket s = hangUp.accept()) {
                    sessions.incrementAndGet();
                } catch (IOException closed) {
                    // the test closed the socket
                }
            }
        }, "hang-up");
        acceptor.start();
        try (MirrorRun run = MirrorRun.start(settings(src, "rsync://127.0.0.1:" + port + "/m"));
             LogCapture log = LogCapture.of(TargetEscalation.class)) {
            MirrorTrees.await(() -> sessions.get() >= 5, 20_000, "five attempts at the start-up sync");
            Files.writeString(src.resolve("second.txt"), "a change while the target hangs up\n");
            Thread.sleep(300);
            hangUp.close();
            acceptor.join(5_000);
            daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst), port);
            awaitSame(src, dst, 20_000);
            assertEquals(java.util.List.of(), log.lines(Level.SEVERE), "a target failure must not escalate");
        } finally {
            hangUp.close();
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
