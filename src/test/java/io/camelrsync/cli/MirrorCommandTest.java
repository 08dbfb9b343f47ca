package io.camelrsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.mirror.MirrorMain;
import io.camelrsync.mirror.MirrorTrees;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `camel-rsync mirror` as operators run it, through camel-main: the seed's loop options against a stock daemon,
 * and the embedded default (our own daemon from daemon.camel.yaml serving the mirror directory).
 */
class MirrorCommandTest {
    @TempDir
    Path work;

    @Test
    void theLoopsCommandLineMirrorsIntoAStockDaemon() throws Exception {
        Path src = Files.createDirectories(work.resolve("app/src"));
        Path dst = Files.createDirectories(work.resolve("backup"));
        Files.writeString(src.resolve("present.txt"), "there before the start\n");
        Files.writeString(work.resolve("exclude.list"), "*.tmp\nlogs/\n");
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("app", dst))) {
            Map<String, String> settings = MirrorCommand.overrides(List.of("-aH", "--delete", "--port="
                    + daemon.port(), "--exclude-from=" + work.resolve("exclude.list"), src + "/", "127.0.0.1::app"));
            assertEquals("false", settings.get("mirror.daemon.enabled"));
            Main main = MirrorMain.create(ownManagementPort(settings), new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8));
            main.start();
            try {
                MirrorTrees.await(() -> Files.exists(dst.resolve("present.txt")), 20_000,
                        "the start-up sync did not arrive");
                Files.createDirectories(src.resolve("logs"));
                Files.writeString(src.resolve("logs/app.log"), "excluded\n");
                Files.writeString(src.resolve("scratch.tmp"), "excluded\n");
                Files.writeString(src.resolve("new.txt"), "mirrored\n");
                Files.delete(src.resolve("present.txt"));
                MirrorTrees.await(() -> Files.exists(dst.resolve("new.txt")) && !Files.exists(dst.resolve("present.txt")),
                        20_000, "the change and the deletion did not arrive");
                assertFalse(Files.exists(dst.resolve("scratch.tmp")) || Files.exists(dst.resolve("logs")),
                        "excluded paths reached the target");
            } finally {
                main.stop();
            }
        }
    }

    @Test
    @Timeout(90)
    void aDatedTrashKeepsWhatTheMirrorOverwritesOrDeletes() throws Exception {
        Path src = Files.createDirectories(work.resolve("app/src"));
        Path dst = Files.createDirectories(work.resolve("backup"));
        Files.writeString(src.resolve("report.txt"), "first draft\n");
        Files.writeString(src.resolve("old.txt"), "deleted later\n");
        String trash = ".trash/" + java.time.LocalDate.now(); // as --backup-dir=.trash/$(date +%F) gives it
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("app", dst))) {
            Map<String, String> settings = MirrorCommand.overrides(List.of("-a", "--delete", "--port="
                    + daemon.port(), "--backup-dir=/" + trash, "--exclude=/.trash/", src + "/", "127.0.0.1::app"));
            assertTrue(settings.get("mirror.push-options").contains("backupDir=RAW(/" + trash + ")"),
                    settings.toString());
            Main main = MirrorMain.create(ownManagementPort(settings), new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8));
            main.start();
            try {
                MirrorTrees.await(() -> Files.exists(dst.resolve("old.txt")), 20_000, "the start-up sync did not arrive");
                // replaced in one rename, as editors save: no push can see it half written
                Path draft = Files.writeString(work.resolve("draft"), "second draft\n");
                Files.move(draft, src.resolve("report.txt"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Files.delete(src.resolve("old.txt"));
                Path kept = dst.resolve(trash);
                MirrorTrees.await(() -> Files.exists(kept.resolve("report.txt")) && Files.exists(kept.resolve("old.txt"))
                        && Files.readString(dst.resolve("report.txt")).equals("second draft\n"), 20_000,
                        "the overwritten and the deleted file did not reach the trash");
                assertEquals("first draft\n", Files.readString(kept.resolve("report.txt")));
                assertEquals("deleted later\n", Files.readString(kept.resolve("old.txt")));
                assertFalse(Files.exists(dst.resolve("old.txt")));
            } finally {
                main.stop();
            }
        }
    }

    @Test
    void withNoArgumentsTheEmbeddedDefaultMirrorsIntoOurOwnDaemon() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> settings = new HashMap<>(MirrorCommand.overrides(List.of()));
        assertTrue(settings.isEmpty(), "no arguments means application.properties as it is");
        // the defaults, moved under the test's directory and onto a free port
        settings.put("mirror.source", data.resolve("source").toString());
        settings.put("mirror.daemon.path", data.resolve("mirror").toString());
        settings.put("mirror.daemon.config", data.resolve("rsyncd.conf").toString());
        settings.put("mirror.daemon.port", String.valueOf(RsyncDaemon.freePort()));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Main main = MirrorMain.create(ownManagementPort(settings), new PrintStream(printed, true, StandardCharsets.UTF_8));
        String told = printed.toString(StandardCharsets.UTF_8);
        assertTrue(told.contains("drop files into " + data.resolve("source")) && told.contains("they appear in "
                + data.resolve("mirror")), told);
        assertTrue(Files.readString(data.resolve("rsyncd.conf")).contains("path = " + data.resolve("mirror")));
        main.start();
        try {
            Files.createDirectories(data.resolve("source/docs/ünïcode"));
            Files.writeString(data.resolve("source/docs/ünïcode/readme.txt"), "dropped in\n");
            Files.createSymbolicLink(data.resolve("source/link"), Path.of("docs"));
            MirrorTrees.awaitSame(data.resolve("source"), data.resolve("mirror"), 20_000);
        } finally {
            main.stop();
        }
    }

    /** --config: the settings of a file of the operator's, no rebuild; every part of the mirror reads them. */
    @Test
    void aSettingsFileMovesTheEmbeddedDefaultBannerAndTargetIncluded() throws Exception {
        Path data = work.resolve("data");
        int port = RsyncDaemon.freePort();
        Path file = Files.writeString(work.resolve("mirror.properties"), "mirror.source = " + data.resolve("src")
                + "\nmirror.daemon.path = " + data.resolve("copy") + "\nmirror.daemon.config = "
                + data.resolve("rsyncd.conf") + "\nmirror.daemon.port = " + port + "\nmirror.quiet-ms = 20\n"
                + "camel.main.name = from-the-file\n");
        Map<String, String> settings = MirrorCommand.overrides(List.of("--config", file.toString()));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Main main = MirrorMain.create(ownManagementPort(settings), new PrintStream(printed, true, StandardCharsets.UTF_8));
        String told = printed.toString(StandardCharsets.UTF_8);
        assertTrue(told.contains("drop files into " + data.resolve("src")) && told.contains(":" + port), told);
        main.start();
        try {
            assertEquals("from-the-file", main.getCamelContext().getName());
            Files.writeString(data.resolve("src/from-config.txt"), "configured without a rebuild\n");
            MirrorTrees.awaitSame(data.resolve("src"), data.resolve("copy"), 20_000);
        } finally {
            main.stop();
        }
    }

    @Test
    void verifyIntervalTakesSecondsAsRsyncDoesOrAUnit() throws Exception {
        for (String[] c : new String[][] {{"90", "90000"}, {"1h", "3600000"}, {"30m", "1800000"}, {"0", "0"}}) {
            assertEquals(c[1], MirrorCommand.overrides(List.of("-a", "--verify-interval", c[0], "/s/", "h::m"))
                    .get("mirror.verify-interval"), c[0]);
        }
        assertEquals("86400000", MirrorCommand.overrides(List.of("-a", "--verify-interval=1d", "/s/", "h::m"))
                .get("mirror.verify-interval"));
        assertFalse(MirrorCommand.overrides(List.of("-a", "/s/", "h::m")).containsKey("mirror.verify-interval"),
                "without the option application.properties decides");
    }

    @Test
    void badCommandLinesAreRefusedWithTheReason() {
        UsageException e = assertThrows(UsageException.class, () -> MirrorCommand.overrides(List.of("-v", "/src/")));
        assertTrue(e.getMessage().contains("mirror needs SRC and at least one DEST"), e.getMessage());
        e = assertThrows(UsageException.class, () -> MirrorCommand.overrides(List.of("-lpt", "/src/", "h::m")));
        assertTrue(e.getMessage().contains("give -a (or -r)"), e.getMessage());
        e = assertThrows(UsageException.class, () -> MirrorCommand.overrides(List.of("-a", "--delay", "x", "/s/",
                "h::m")));
        assertTrue(e.getMessage().contains("--delay needs seconds"), e.getMessage());
        e = assertThrows(UsageException.class, () -> MirrorCommand.overrides(List.of("-a", "--verify-interval=1x",
                "/s/", "h::m")));
        assertTrue(e.getMessage().contains("--verify-interval needs seconds or a duration"), e.getMessage());
        Cli cli = Cli.run("mirror", "-a", "--include=*.c", "/s/", "h::m");
        assertEquals(1, cli.exitCode(), cli.toString());
        assertTrue(cli.err().contains("--include is not supported by camel-rsync mirror"), cli.toString());
    }

    /** The settings with free ports for the observe endpoints and the status page (the defaults may be taken). */
    private static Map<String, String> ownManagementPort(Map<String, String> settings) throws Exception {
        Map<String, String> s = new java.util.HashMap<>(settings);
        s.put("camel.management.port", String.valueOf(RsyncDaemon.freePort()));
        s.put("camel.server.port", String.valueOf(RsyncDaemon.freePort()));
        return s;
    }
}
