package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code camel-rsync daemon} as a process, the way a service manager runs it, with a stock client pushing. */
class DaemonCommandTest {
    @TempDir
    Path work;

    @Test
    void servesTheSeedConfigToAStockClient() throws Exception {
        RsyncDaemon.requireRsync();
        Path dest = Files.createDirectories(work.resolve("app_rsync_client"));
        Path secrets = work.resolve("rsync.pass");
        Files.writeString(secrets, "rsync:123456\n");
        Files.setPosixFilePermissions(secrets, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "pid file = " + work.resolve("rsyncd.pid") + "\n"
                + "log file = " + work.resolve("rsyncd.log") + "\n"
                + "[app_rsync_client]\npath = " + dest + "\nuid = root\ngid = root\nread only = no\nlist = no\n"
                + "max connections = 200\ntimeout = 600\nauth users = rsync\nsecrets file = " + secrets + "\n"
                + "hosts allow = 127.0.0.1\nhosts deny = 192.168.0.46,192.168.0.47\nmac connections = 2\n");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.camelrsync.cli.Main", "daemon", "--config",
                conf.toString(), "--port", String.valueOf(port), "--address", "127.0.0.1", "--no-detach")
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder before = new StringBuilder();
            String line;
            while ((line = out.readLine()) != null && !line.contains("listening on 127.0.0.1:" + port)) {
                before.append(line).append('\n');
            }
            assertTrue(line != null, "it never said it listens: " + before);
            // with a log file, the config's warnings reach the operator's terminal too
            assertTrue(before.toString().contains("warning: ") && before.toString().contains("mac connections"),
                    before::toString);
            Path src = Files.createDirectories(work.resolve("src"));
            Files.createDirectories(src.resolve("a/b"));
            Files.writeString(src.resolve("a/b/file.txt"), "seed");
            ProcessBuilder pb = new ProcessBuilder("rsync", "-avH", "--delete", "--port=" + port, src + "/",
                    "rsync@127.0.0.1::app_rsync_client").redirectErrorStream(true);
            pb.environment().put("RSYNC_PASSWORD", "123456");
            Process client = pb.start();
            String clientOut = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, client.exitValue(), clientOut);
            assertSameTree(src, dest);
            assertTrue(Files.readString(work.resolve("rsyncd.pid")).trim().equals(String.valueOf(daemon.pid())));
            String log = Files.readString(work.resolve("rsyncd.log"));
            assertTrue(log.contains("unknown parameter \"mac connections\"") && log.contains("max connections"),
                    log);
            assertTrue(log.contains("rsync to app_rsync_client from"), log);
        } finally {
            daemon.destroy();
            assertTrue(daemon.waitFor(10, TimeUnit.SECONDS));
        }
        assertTrue(!Files.exists(work.resolve("rsyncd.pid")), "the pid file is removed on shutdown");
    }
}
