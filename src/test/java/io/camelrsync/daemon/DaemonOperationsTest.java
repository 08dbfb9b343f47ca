package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConfFile;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon operated as rsyncd is: it detaches, and it reads an edited rsyncd.conf for new connections. */
@Timeout(120)
class DaemonOperationsTest {
    @TempDir
    Path work;

    /** A stock client's push; returns its exit code and output. */
    private static String[] push(int port, Path src, String module) throws Exception {
        Process p = new ProcessBuilder("rsync", "-a", "--port=" + port, "--contimeout=10", "--timeout=30",
                src + "/", "127.0.0.1::" + module).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rsync did not finish");
        return new String[] {String.valueOf(p.exitValue()), out};
    }

    @Test
    void itDetachesOnceListeningAndSaysWhyWhenItCannot() throws Exception {
        Path dest = Files.createDirectories(work.resolve("dest"));
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f"), "pushed to a detached daemon");
        Path pidFile = work.resolve("rsyncd.pid");
        Path conf = Files.writeString(work.resolve("rsyncd.conf"), "pid file = " + pidFile + "\nlog file = "
                + work.resolve("rsyncd.log") + "\nuse chroot = no\nsome unknown = 1\n[m]\npath = " + dest
                + "\nread only = no\nuid = root\ngid = root\n");
        int port = RsyncDaemon.freePort();
        Cli started = Cli.run("daemon", "--config", conf.toString(), "--port", String.valueOf(port), "--address",
                "127.0.0.1");
        assertEquals(0, started.exitCode(), started::toString);
        assertTrue(started.err().contains("unknown parameter \"some unknown\""), started::toString);
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        try {
            assertTrue(pid != ProcessHandle.current().pid());
            String[] r = push(port, src, "m");
            assertEquals("0", r[0], r[1]);
            assertEquals("pushed to a detached daemon", Files.readString(dest.resolve("f")));
            assertTrue(Files.readString(work.resolve("rsyncd.log")).contains("rsync to m from"));
        } finally {
            daemon.destroy();
            daemon.onExit().get(20, TimeUnit.SECONDS);
        }

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli refused = Cli.run("daemon", "--config", conf.toString(), "--port",
                    String.valueOf(taken.getLocalPort()), "--address", "127.0.0.1");
            assertEquals(10, refused.exitCode(), refused::toString);
            assertTrue(refused.err().contains("bind to 127.0.0.1:" + taken.getLocalPort() + " failed"),
                    refused::toString);
        }
    }

    @Test
    void anEditedConfigServesTheNextConnectionAndABrokenOneKeepsTheLast() throws Exception {
        Path a = Files.createDirectories(work.resolve("a"));
        Path b = Files.createDirectories(work.resolve("b"));
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f"), "x");
        String first = "use chroot = no\n[a]\npath = " + a + "\nread only = no\nuid = root\ngid = root\n";
        Path conf = Files.writeString(work.resolve("rsyncd.conf"), first);
        List<String> log = new CopyOnWriteArrayList<>();
        try (DaemonServer server = new DaemonServer(new RsyncdConfFile(conf, log::add), log::add, s -> { })) {
            server.start("127.0.0.1", 0);
            String[] r = push(server.port(), src, "b");
            assertEquals("5", r[0], r[1]);
            assertTrue(r[1].contains("Unknown module 'b'"), r[1]);

            Files.writeString(conf, first + "[b]\npath = " + b + "\nread only = no\nuid = root\ngid = root\n");
            r = push(server.port(), src, "b");
            assertEquals("0", r[0], r[1]);
            assertTrue(Files.exists(b.resolve("f")));
            assertTrue(log.stream().anyMatch(l -> l.contains("again: modules [a, b]")), log::toString);

            Files.writeString(conf, "[broken\npath = /nowhere\n");
            r = push(server.port(), src, "a");
            assertEquals("0", r[0], r[1]);
            assertTrue(Files.exists(a.resolve("f")), "the last good config still serves");
            assertTrue(log.stream().anyMatch(l -> l.contains("cannot be read") && l.contains("closing ']'")),
                    log::toString);
        }
    }
}
