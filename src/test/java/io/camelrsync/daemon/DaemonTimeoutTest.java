package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.RawDaemonClient;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's deadlines over the real listener: the module's (or client's) io timeout ends a session whose
 * client went silent, the handshake deadline ends a client that never finishes its handshake, and either way
 * the "max connections" slot is free again for a stock client.
 */
class DaemonTimeoutTest {
    /** The stock client's arguments for "rsync -a SRC/ rsync://host/m/" with protocol 32's capabilities. */
    private static final String[] PUSH_ARGS = {"--server", "-logDtpre.iLsfxCIvu", ".", "m/"};

    @TempDir
    Path work;
    DaemonServer server;
    final List<String> log = new CopyOnWriteArrayList<>();

    private void start(String conf) throws Exception {
        RsyncDaemon.requireRsync();
        Path file = work.resolve("rsyncd.conf");
        Files.writeString(file, conf.replace("MODULE", Files.createDirectories(work.resolve("module")).toString()));
        server = new DaemonServer(RsyncdConf.read(file), log::add, s -> { });
        server.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Seconds until the daemon hangs up on the client, which has gone silent. */
    private static double secondsUntilHangUp(RawDaemonClient client) throws Exception {
        long silentSince = System.nanoTime();
        assertTrue(client.hungUp(), "the daemon kept the silent client connected for 20 seconds");
        return (System.nanoTime() - silentSince) / 1e9;
    }

    /** The session thread logs its end just after the connection closes, so give it a moment. */
    private void awaitLog(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (log.stream().noneMatch(l -> l.contains(text))) {
            assertTrue(System.nanoTime() < deadline, "no \"" + text + "\" in the log: " + log);
            Thread.sleep(20);
        }
    }

    private void stockPushSucceeds() throws Exception {
        Path src = Files.createDirectories(work.resolve("src/sub"));
        Files.writeString(src.resolve("file.txt"), "after the silent client");
        Process p = new ProcessBuilder("rsync", "-a", work.resolve("src") + "/", "rsync://127.0.0.1:" + server.port()
                + "/m/").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + log);
        assertSameTree(work.resolve("src"), work.resolve("module"));
    }

    @Test
    void aClientSilentMidSessionIsCutOffAfterTheModuleTimeoutAndItsSlotIsFreed() throws Exception {
        start("[m]\npath = MODULE\nread only = no\nuid = root\ngid = root\ntimeout = 2\nmax connections = 1\n");
        try (RawDaemonClient silent = new RawDaemonClient(server.port())) {
            silent.greet();
            assertEquals("@RSYNCD: OK", silent.pickModule("m"));
            silent.sendArgs(PUSH_ARGS);
            // the daemon now sends its protocol setup and waits for our checksum choice, which never comes
            try (RawDaemonClient second = new RawDaemonClient(server.port())) {
                second.greet();
                assertEquals("@ERROR: max connections (1) reached -- try again later", second.pickModule("m"));
            }
            double waited = secondsUntilHangUp(silent);
            assertTrue(waited >= 1.5 && waited < 6, "hung up after " + waited + " s, timeout = 2");
        }
        awaitLog("failed: io timeout after 2 seconds");
        stockPushSucceeds();
    }

    @Test
    void theClientsOwnTimeoutAppliesWhenTheModuleHasNone() throws Exception {
        start("[m]\npath = MODULE\nread only = no\nuid = root\ngid = root\n");
        try (RawDaemonClient silent = new RawDaemonClient(server.port())) {
            silent.greet();
            assertEquals("@RSYNCD: OK", silent.pickModule("m"));
            silent.sendArgs("--server", "-logDtpre.iLsfxCIvu", "--timeout=2", ".", "m/");
            double waited = secondsUntilHangUp(silent);
            assertTrue(waited >= 1.5 && waited < 6, "hung up after " + waited + " s, --timeout=2");
        }
    }

    @Test
    void aClientSilentAfterPickingTheModuleMeetsTheModulesHandshakeDeadline() throws Exception {
        start("[m]\npath = MODULE\nread only = no\nuid = root\ngid = root\ntimeout = 2\nmax connections = 1\n");
        try (RawDaemonClient silent = new RawDaemonClient(server.port())) {
            silent.greet();
            assertEquals("@RSYNCD: OK", silent.pickModule("m")); // and never sends its arguments
            double waited = secondsUntilHangUp(silent);
            assertTrue(waited >= 1.5 && waited < 5, "hung up after " + waited + " s");
        }
        awaitLog("failed: daemon handshake timeout after 2 seconds");
        stockPushSucceeds();
    }

    @Test
    void theHandshakeDeadlineIsAbsoluteSoTricklingBytesDoesNotExtendIt() throws Exception {
        start("timeout = 2\n[m]\npath = MODULE\nread only = no\nuid = root\ngid = root\n");
        try (RawDaemonClient trickler = new RawDaemonClient(server.port())) {
            long connected = System.nanoTime();
            trickler.greet();
            boolean hungUp = false;
            for (int i = 0; i < 40 && !hungUp; i++) { // a module name one letter at a time, never ending it
                try {
                    trickler.send("m");
                    Thread.sleep(250);
                } catch (java.io.IOException closed) {
                    hungUp = true;
                }
            }
            hungUp = hungUp || trickler.hungUp();
            double waited = (System.nanoTime() - connected) / 1e9;
            assertTrue(hungUp && waited < 5, "still connected after " + waited + " s of trickling");
        }
    }

    @Test
    void theIoTimeoutIsTheClientsUnlessTheModulesIsSetAndShorter() {
        assertEquals(0, DaemonServer.ioTimeoutSeconds(0, 0));
        assertEquals(5, DaemonServer.ioTimeoutSeconds(5, 0));
        assertEquals(7, DaemonServer.ioTimeoutSeconds(0, 7));
        assertEquals(5, DaemonServer.ioTimeoutSeconds(5, 7));
        assertEquals(7, DaemonServer.ioTimeoutSeconds(9, 7));
        assertEquals(60, DaemonServer.handshakeSeconds(0));
        assertEquals(2, DaemonServer.handshakeSeconds(2));
        assertEquals(60, DaemonServer.handshakeSeconds(600));
        assertEquals(60, DaemonServer.handshakeSeconds(-1));
    }
}
