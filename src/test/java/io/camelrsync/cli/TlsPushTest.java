package io.camelrsync.cli;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushListener;
import io.camelrsync.client.PushOptions;
import io.camelrsync.client.PushSession;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemon.DaemonTls;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TestTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes (and a pull) over TLS, as rsync-ssl does: into our daemon (--ssl-cert), and into a stock rsync daemon behind stunnel
 * (Debian's stunnel4), the daemon's certificate verified against the CA file given; a certificate of another CA
 * is refused before anything is sent.
 */
class TlsPushTest {
    @TempDir
    Path work;

    private Path source() throws Exception {
        Path src = Files.createDirectories(work.resolve("src/sub"));
        Files.writeString(src.resolve("a.txt"), "over TLS");
        Files.write(src.resolve("big.bin"), new byte[200_000]);
        return src.getParent();
    }

    private static void push(Path src, PushArgs a) throws Exception {
        RsyncTarget t = RsyncTarget.parse(a.operands.get(1), a.port);
        new PushSession(src, true, t, a.options, null, new PushListener() { }).run();
    }

    @Test
    @Timeout(60)
    void intoOurDaemonWithItsCertificateVerified() throws Exception {
        TestTls tls = TestTls.create(Files.createDirectories(work.resolve("tls")));
        TestTls other = TestTls.create(Files.createDirectories(work.resolve("other")));
        Path dst = Files.createDirectories(work.resolve("dst"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + dst + "\nread only = no\nuid = root\ngid = root\n");
        Path src = source();
        try (DaemonServer ours = new DaemonServer(RsyncdConf.read(conf), line -> { }, s -> { })) {
            ours.start("127.0.0.1", 0, DaemonTls.fromPem(tls.cert(), tls.key()));
            PushArgs a = PushArgs.parse(List.of("-a", "--ssl-ca-cert", tls.cert().toString(), src + "/",
                    "rsyncs://localhost:" + ours.port() + "/m"));
            assertTrue(a.options.tls);
            push(src, a);
            assertSameTree(src, dst);

            Files.writeString(src.resolve("sub/a.txt"), "over TLS, changed");
            PushArgs wrongCa = PushArgs.parse(List.of("-a", "--ssl", "--ssl-ca-cert", other.cert().toString(),
                    src + "/", "rsync://localhost:" + ours.port() + "/m"));
            RsyncException e = assertThrows(RsyncException.class, () -> push(src, wrongCa));
            assertEquals(10, e.exitCode());
            assertTrue(e.getMessage().contains("TLS with localhost:" + ours.port() + " failed"), e.getMessage());
            assertEquals("over TLS", Files.readString(dst.resolve("sub/a.txt")), "nothing was sent");

            // and back: a pull through the same TLS connection (rsyncs://), written inside its DEST
            Path restored = work.resolve("restored");
            PushArgs pullArgs = PushArgs.parse(List.of("-a", "--ssl-ca-cert", tls.cert().toString(),
                    "rsyncs://localhost:" + ours.port() + "/m/", restored.toString()));
            new io.camelrsync.client.PullSession(RsyncTarget.parse(pullArgs.operands.get(0), pullArgs.port),
                    restored, pullArgs.options, new PushListener() { }).run();
            assertSameTree(dst, restored);

            PushOptions plain = PushOptions.none();
            plain.recursive = true;
            assertThrows(RsyncException.class, () -> new PushSession(src, true,
                    RsyncTarget.parse("rsync://localhost:" + ours.port() + "/m", 873), plain, null,
                    new PushListener() { }).run(), "a TLS daemon does not speak plain rsync");
        }
    }

    @Test
    @Timeout(60)
    void intoAStockDaemonBehindStunnel() throws Exception {
        TestTls tls = TestTls.create(Files.createDirectories(work.resolve("tls")));
        Path dst = Files.createDirectories(work.resolve("dst"));
        Path src = source();
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("stock"), RsyncDaemon.module("m", dst))) {
            int tlsPort = RsyncDaemon.freePort();
            Path conf = work.resolve("stunnel.conf");
            Files.writeString(conf, "foreground = yes\npid =\n[rsyncd]\naccept = 127.0.0.1:" + tlsPort
                    + "\nconnect = 127.0.0.1:" + stock.port() + "\ncert = " + tls.cert() + "\nkey = " + tls.key()
                    + "\n");
            Process stunnel = new ProcessBuilder("stunnel4", conf.toString()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("stunnel.log").toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!listening(tlsPort)) {
                    assertTrue(System.nanoTime() < deadline && stunnel.isAlive(),
                            "stunnel did not listen: " + Files.readString(work.resolve("stunnel.log")));
                    Thread.sleep(50);
                }
                push(src, PushArgs.parse(List.of("-aH", "--delete", "--ssl-ca-cert", tls.cert().toString(),
                        src + "/", "rsyncs://localhost:" + tlsPort + "/m")));
                assertSameTree(src, dst);
            } finally {
                stunnel.destroy();
                stunnel.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
