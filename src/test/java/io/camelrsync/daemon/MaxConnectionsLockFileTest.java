package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.DaemonProcess;
import io.camelrsync.testing.RawDaemonClient;
import io.camelrsync.testing.RsyncDaemon;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "max connections" with a "lock file" shared between daemons, as rsync shares it: one fcntl-locked record per
 * connection, so the limit holds across processes - our daemon as a process, our server in this JVM, and stock
 * rsync --daemon all count against the same records.
 */
class MaxConnectionsLockFileTest {
    private static final String FULL = "@ERROR: max connections (1) reached -- try again later";

    @TempDir
    Path work;
    Path module;
    Path lockFile;
    Path src;
    final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void tree() throws Exception {
        RsyncDaemon.requireRsync();
        module = Files.createDirectories(work.resolve("module"));
        lockFile = work.resolve("rsyncd.lock");
        src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("file.txt"), "pushed");
    }

    private Path conf(String lockFileLine) throws Exception {
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, lockFileLine + "\n[m]\npath = " + module + "\nread only = no\nmax connections = 1\n");
        return conf;
    }

    private DaemonServer inJvmServer(Path conf) throws Exception {
        DaemonServer server = new DaemonServer(RsyncdConf.read(conf), log::add, s -> { });
        server.start("127.0.0.1", 0);
        return server;
    }

    /** A stock client's push; returns what it printed, after checking its exit code. */
    private String push(int port, int expectedExit) throws Exception {
        Process p = new ProcessBuilder("rsync", "-a", src + "/", "rsync://127.0.0.1:" + port + "/m/")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(expectedExit, p.exitValue(), out + log);
        return out;
    }

    /** A stock client's push once the slot has been given back (the holder's daemon notices the hang-up). */
    private void pushOnceFree(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Process p = new ProcessBuilder("rsync", "-a", src + "/", "rsync://127.0.0.1:" + port + "/m/")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            if (p.exitValue() == 0) {
                return;
            }
            assertTrue(out.contains(FULL) && System.nanoTime() < deadline, "the slot was not given back: " + out);
            Thread.sleep(100);
        }
    }

    /** Connects, picks the module and stays there: the daemon holds its slot for us. */
    private static RawDaemonClient holdSlot(int port) throws Exception {
        RawDaemonClient holder = new RawDaemonClient(port);
        holder.greet();
        assertEquals("@RSYNCD: OK", holder.pickModule("m"));
        return holder;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aDaemonProcessAndAServerInThisJvmShareTheLimit() throws Exception {
        Path conf = conf("lock file = " + lockFile);
        int processPort = freePort();
        try (DaemonProcess process = DaemonProcess.start("--config", conf.toString(), "--port",
                String.valueOf(processPort), "--address", "127.0.0.1");
             DaemonServer inJvm = inJvmServer(conf)) {
            try (RawDaemonClient holder = holdSlot(processPort)) {
                assertTrue(push(inJvm.port(), 5).contains(FULL));
            }
            pushOnceFree(inJvm.port());
            try (RawDaemonClient holder = holdSlot(inJvm.port())) {
                assertTrue(push(processPort, 5).contains(FULL), process.output());
            }
            pushOnceFree(processPort);
        }
    }

    @Test
    void stockRsyncDaemonSharesTheLimitBothWays() throws Exception {
        Path conf = conf("lock file = " + lockFile);
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("stock"), RsyncDaemon.module("m", module,
                "max connections = 1", "lock file = " + lockFile));
             DaemonServer ours = inJvmServer(conf)) {
            try (RawDaemonClient holder = holdSlot(stock.port())) {
                assertTrue(push(ours.port(), 5).contains(FULL));
            }
            pushOnceFree(ours.port());
            try (RawDaemonClient holder = holdSlot(ours.port())) {
                assertTrue(push(stock.port(), 5).contains(FULL)); // refused by rsync itself, in its own words
            }
            pushOnceFree(stock.port());
        }
    }

    @Test
    void twoServersInOneJvmShareTheLimit() throws Exception {
        // fcntl would grant this process its own record twice; the in-JVM bookkeeping must not
        Path conf = conf("lock file = " + lockFile);
        try (DaemonServer a = inJvmServer(conf); DaemonServer b = inJvmServer(conf)) {
            try (RawDaemonClient holder = holdSlot(a.port()); RawDaemonClient second = new RawDaemonClient(b.port())) {
                second.greet();
                assertEquals(FULL, second.pickModule("m"));
            }
            pushOnceFree(b.port());
        }
    }

    @Test
    void aLockFileThatCannotBeOpenedRefusesAsRsyncDoes() throws Exception {
        Path conf = conf("lock file = " + work.resolve("no/such/dir/rsyncd.lock"));
        try (DaemonServer server = inJvmServer(conf); RawDaemonClient client = new RawDaemonClient(server.port())) {
            client.greet();
            assertEquals("@ERROR: failed to open lock file", client.pickModule("m"));
            assertTrue(client.hungUp());
        }
        assertTrue(log.stream().anyMatch(l -> l.contains("failed to open lock file " + work)), log::toString);
    }
}
