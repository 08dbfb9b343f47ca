package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded staleness: every mirror.verify-interval each target gets a full sync through its queue, which fixes
 * what went out of date without the mirror seeing it and names it. Against Debian's stock rsync daemon.
 */
class MirrorVerifyTest {
    @TempDir
    Path work;

    private Map<String, String> settings(Path src, String targets, String verifyInterval) {
        Map<String, String> m = new HashMap<>();
        m.put("mirror.source", src.toString());
        m.put("mirror.targets", targets);
        m.put("mirror.daemon.enabled", "false");
        m.put("mirror.retry-delay-ms", "100");
        m.put("mirror.retry-max-delay-ms", "500");
        m.put("mirror.verify-interval", verifyInterval);
        return m;
    }

    @Test
    @Timeout(90)
    void aTargetChangedBehindTheMirrorsBackIsFixedByTheNextVerifyWhichNamesThePaths() throws Exception {
        Path src = Files.createDirectories(work.resolve("src/keep"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        src = src.getParent();
        Files.writeString(src.resolve("a.txt"), "the source's a\n");
        Files.writeString(src.resolve("keep/b.txt"), "b\n");
        Files.writeString(src.resolve("keep/c.txt"), "c\n");
        Files.writeString(src.resolve("d.txt"), "d\n");
        // an old time, so the deletion below surely changes the target's directory time (not within its second)
        Files.setLastModifiedTime(src.resolve("keep"), FileTime.fromMillis(1_000_000_000_000L));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst));
             LogCapture log = LogCapture.of(VerifyReport.class);
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m"), "3s"))) {
            awaitSame(src, dst, 20_000);
            // what no file-watch event of the source shows: someone edits the target
            Files.writeString(dst.resolve("a.txt"), "edited on the target, another size\n");
            Files.delete(dst.resolve("keep/b.txt"));
            Files.writeString(dst.resolve("extra.txt"), "only on the target\n");
            Files.setPosixFilePermissions(dst.resolve("d.txt"), PosixFilePermissions.fromString("rw-------"));
            String label = "127.0.0.1:" + daemon.port() + "/m";
            String warn = log.await(Level.WARNING, "out of date on " + label + ": ", 20_000);
            assertEquals("verify: 5 paths were out of date on " + label + ": a.txt, d.txt, deleted extra.txt, keep/,"
                    + " keep/b.txt (fixed)", warn);
            awaitSame(src, dst, 10_000);
            int fixed = log.mark();
            String info = log.await(Level.INFO, "verify: " + label + " is up to date", 20_000, fixed);
            assertTrue(info.matches("verify: \\S+ is up to date \\(6 files checked in \\d+ ms\\)"), info);
            assertEquals(1, log.lines(Level.WARNING).size(), "one WARN line per verify that fixed something");
        }
    }

    @Test
    @Timeout(90)
    void changesThatMergedIntoAVerifyAreNotReportedAsOutOfDate() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("before.txt"), "deleted on the target behind the mirror's back\n");
        int port = RsyncDaemon.freePort();
        String module = RsyncDaemon.module("m", dst);
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), module, port);
        // no timer: the test sends the verify itself, at the moment it needs
        try (LogCapture log = LogCapture.of(VerifyReport.class);
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m"), "0"))) {
            awaitSame(src, dst, 20_000);
            daemon.close(); // the target is down: what follows waits in its queue
            Files.writeString(src.resolve("first.txt"), "its push is being redelivered\n");
            Thread.sleep(500);
            ProducerTemplate template = run.context.createProducerTemplate();
            template.sendBody("direct:mirror-verify-default", null); // queued behind the redelivered push
            template.stop();
            Files.createDirectories(src.resolve("pending"));
            Files.writeString(src.resolve("pending/second.txt"), "merges into the waiting verify\n");
            Files.delete(dst.resolve("before.txt"));
            // older than any batch still on its way: only the merge says the mirror knew about these changes
            Thread.sleep(2500);
            daemon = RsyncDaemon.start(work.resolve("d"), module, port);
            String label = "127.0.0.1:" + port + "/m";
            String warn = log.await(Level.WARNING, "out of date on " + label, 20_000);
            assertEquals("verify: 1 path was out of date on " + label + ": before.txt (fixed; 2 paths of pending"
                    + " change sets went with it)", warn);
            awaitSame(src, dst, 10_000);
        } finally {
            daemon.close();
        }
    }

    @Test
    @Timeout(90)
    void changesQueuedBehindARedeliveredVerifyAreNotReportedAsOutOfDate() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.writeString(src.resolve("before.txt"), "synced at start-up\n");
        int port = RsyncDaemon.freePort();
        String module = RsyncDaemon.module("m", dst);
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), module, port);
        try (LogCapture log = LogCapture.of(VerifyReport.class);
             MirrorRun run = MirrorRun.start(settings(src, daemon.url("m"), "0"))) {
            awaitSame(src, dst, 20_000);
            daemon.close();
            ProducerTemplate template = run.context.createProducerTemplate();
            template.sendBody("direct:mirror-verify-default", null); // taken at once, then redelivered: the target is down
            template.stop();
            Thread.sleep(500);
            Files.writeString(src.resolve("queued.txt"), "its change set waits behind the verify\n");
            Thread.sleep(2500); // older than any batch on its way: only the queue says the mirror knew
            daemon = RsyncDaemon.start(work.resolve("d"), module, port);
            String label = "127.0.0.1:" + port + "/m";
            String info = log.await(Level.INFO, "verify: " + label + " is up to date", 20_000);
            assertTrue(info.endsWith("; 1 path of pending change sets went with it)"), info);
            assertEquals(java.util.List.of(), log.lines(Level.WARNING));
            awaitSame(src, dst, 10_000);
        } finally {
            daemon.close();
        }
    }

    @Test
    void theIntervalIsADurationAndZeroTurnsItOff() {
        assertEquals(3_600_000, VerifyReport.intervalMillis("1h"));
        assertEquals(5_400_000, VerifyReport.intervalMillis("1h30m"));
        assertEquals(90_000, VerifyReport.intervalMillis("90s"));
        assertEquals(2_500, VerifyReport.intervalMillis("2500"));
        assertEquals(0, VerifyReport.intervalMillis("0"));
        // Camel's own parser reads these as 0 (off) without a word; a typo must not silently stop verifying
        for (String bad : new String[] {"1 hour", "10x", "abc", "-5", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VerifyReport.intervalMillis(bad));
            assertTrue(e.getMessage().contains("mirror.verify-interval"), e.getMessage());
        }
        VerifyReport off = new VerifyReport();
        off.setInterval("0");
        assertFalse(off.isEnabled());
    }
}
