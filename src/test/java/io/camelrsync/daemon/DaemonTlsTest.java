package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushInteropTest;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.DaemonProcess;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TestTls;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code camel-rsync daemon --ssl-cert --ssl-key}: the stock rsync-ssl client pushes through TLS. */
class DaemonTlsTest {
    @TempDir
    Path work;

    private static String finish(Process p, int expectedExit) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the client did not finish");
        assertEquals(expectedExit, p.exitValue(), out);
        return out;
    }

    @Test
    void rsyncSslPushesATreeAndAPlaintextClientIsToldToUseTls() throws Exception {
        RsyncDaemon.requireRsync();
        TestTls tls = TestTls.create(work);
        Path dest = Files.createDirectories(work.resolve("dest"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + dest + "\nread only = no\nuid = root\ngid = root\n");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (DaemonProcess daemon = DaemonProcess.start("--config", conf.toString(), "--port", String.valueOf(port),
                "--address", "127.0.0.1", "--ssl-cert", tls.cert().toString(), "--ssl-key", tls.key().toString())) {
            assertTrue(daemon.output().contains("listening on 127.0.0.1:" + port + " (TLS)"), daemon.output());
            Path src = Files.createDirectories(work.resolve("src"));
            PushInteropTest.buildRichTree(src);
            Files.delete(src.resolve("a/fifo"));
            Files.createDirectories(dest.resolve("rich"));

            finish(tls.rsyncSsl("-aH", "--delete", src + "/", "rsync://localhost:" + port + "/m/rich").start(), 0);
            assertSameTree(src, dest.resolve("rich"));

            // a second push over TLS with a change: the delta path works through the tunnel too
            Files.writeString(src.resolve("a/changed.txt"), "changed after the first push");
            finish(tls.rsyncSsl("-aH", "--delete", src + "/", "rsync://localhost:" + port + "/m/rich").start(), 0);
            assertSameTree(src, dest.resolve("rich"));

            String plain = finish(new ProcessBuilder("rsync", "-a", "--contimeout=10", "--timeout=20", src + "/",
                    "rsync://127.0.0.1:" + port + "/m/plain").redirectErrorStream(true).start(), 5);
            assertTrue(plain.contains("@ERROR: this port speaks TLS only: connect with rsync-ssl"), plain);
            assertFalse(Files.exists(dest.resolve("plain")));
            assertTrue(daemon.output().contains("on the TLS port refused"), daemon.output());
        }
    }

    @Test
    void aCertificateWithoutItsKeyOrAKeyInTheWrongFormatIsAUsageError() throws Exception {
        TestTls tls = TestTls.create(work);
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + work + "\n");
        Cli onlyCert = Cli.run("daemon", "--config", conf.toString(), "--ssl-cert", tls.cert().toString());
        assertEquals(1, onlyCert.exitCode(), onlyCert.toString());
        assertTrue(onlyCert.err().contains("--ssl-cert FILE and --ssl-key FILE"), onlyCert.toString());

        Path rsaKey = work.resolve("rsa-key.pem");
        Process p = new ProcessBuilder("openssl", "rsa", "-in", tls.key().toString(), "-traditional", "-out",
                rsaKey.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        Cli pkcs1 = Cli.run("daemon", "--config", conf.toString(), "--ssl-cert", tls.cert().toString(), "--ssl-key",
                rsaKey.toString());
        assertEquals(11, pkcs1.exitCode(), pkcs1.toString());
        assertTrue(pkcs1.err().contains("openssl pkcs8 -topk8 -nocrypt"), pkcs1.toString());
    }
}
