package io.camelrsync.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Our daemon's sessions counted in the app's meter registry: pushes, bytes, and refused logins. */
class DaemonMetricsTest {
    @TempDir
    Path work;

    @Test
    @Timeout(60)
    void sessionsBytesAndAuthFailuresAreCounted() throws Exception {
        Path inbox = Files.createDirectories(work.resolve("inbox"));
        Path secrets = Files.writeString(work.resolve("secrets"), "alice:right\n");
        Files.setPosixFilePermissions(secrets, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path conf = Files.writeString(work.resolve("rsyncd.conf"), "[inbox]\npath = " + inbox + "\nread only = no\n"
                + "uid = root\ngid = root\nauth users = alice\nsecrets file = " + secrets + "\n");
        int port = RsyncDaemon.freePort();
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("a.txt"), "twelve bytes");
        MeterRegistry meters = new SimpleMeterRegistry();
        try (DefaultCamelContext ctx = new DefaultCamelContext()) {
            ctx.getRegistry().bind("meters", meters);
            ctx.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rsync://127.0.0.1:" + port + "?config=" + conf).to("log:pushed?level=DEBUG");
                }
            });
            ctx.start();
            assertEquals(0, push(port, src, "right"));
            assertEquals(5, push(port, src, "wrong"));
            // a session is reported once its connection is closed, a moment after the client exits
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (sessions(meters, "ok") + sessions(meters, "auth-failed") < 2 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(1.0, sessions(meters, "ok"));
            assertEquals(1.0, sessions(meters, "auth-failed"));
            assertEquals(1.0, meters.get("rsync.daemon.files").tag("module", "inbox").counter().count());
            assertTrue(meters.get("rsync.daemon.literal.bytes").tag("module", "inbox").counter().count() >= 12);
        }
    }

    private int push(int port, Path src, String password) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("rsync", "-a", src + "/", "rsync://alice@127.0.0.1:" + port + "/inbox")
                .redirectErrorStream(true);
        pb.environment().put("RSYNC_PASSWORD", password);
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    private static double sessions(MeterRegistry meters, String outcome) {
        var c = meters.find("rsync.daemon.sessions").tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }
}
