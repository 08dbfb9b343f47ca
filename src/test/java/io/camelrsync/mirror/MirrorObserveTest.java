package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mirror as an operator watches it, over Camel's observe endpoints of a real camel-main mirror: health DOWN until
 * the start-up sync is done, per-target counters after a change, health DOWN while a stopped target falls behind,
 * failures counted, and UP again once the target is back and caught up.
 */
class MirrorObserveTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The mirror's management port (observe endpoints). */
    private int httpPort;

    @TempDir
    Path work;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void healthAndMetricsFollowTheTargets() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("dst"));
        Files.writeString(src.resolve("seed.txt"), "seed");
        httpPort = RsyncDaemon.freePort();
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst));
        int rsyncPort = daemon.port();
        Map<String, String> settings = new HashMap<>(Map.of("mirror.source", src.toString(),
                "mirror.targets", daemon.url("m"), "mirror.daemon.enabled", "false",
                "camel.management.port", String.valueOf(httpPort), "mirror.health.max-lag", "2s",
                "mirror.retry-max-delay-ms", "500", "mirror.verify-interval", "0"));
        Main main = null;
        try { // the daemon is stopped whatever fails, the mirror's start included
            main = MirrorMain.create(settings, System.out);
            main.start();
            String target = "127.0.0.1:" + rsyncPort + "/m";
            await(200, "health", body -> body.contains("\"UP\""));
            await(200, "metrics", body -> value(body, "mirror_full_syncs_total", target) >= 1);

            Files.writeString(src.resolve("new.txt"), "a change");
            await(200, "metrics", body -> value(body, "mirror_batches_total", target) >= 2
                    && value(body, "mirror_files_sent_total", target) >= 2);
            assertTrue(Files.exists(dst.resolve("new.txt")));

            daemon.close(); // the target goes down with a change pending
            Files.writeString(src.resolve("while-down.txt"), "waits for the target");
            await(503, "health", body -> body.contains("DOWN"));
            await(200, "metrics", body -> value(body, "mirror_failures_total", target) >= 1
                    && value(body, "mirror_lag_seconds", target) >= 2);

            daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst), rsyncPort);
            await(200, "health", body -> body.contains("\"UP\""));
            assertEquals("waits for the target", Files.readString(dst.resolve("while-down.txt")));
            await(200, "metrics", body -> value(body, "mirror_lag_seconds", target) == 0);
        } finally {
            if (main != null) {
                main.stop();
            }
            daemon.close();
        }
    }

    /** Polls the observe endpoint until it answers with {@code status} and a body that passes. */
    private void await(int status, String endpoint, Predicate<String> test) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                        + "/observe/" + endpoint))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == status && test.test(r.body())) {
                    return;
                }
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("/observe/" + endpoint + " never answered " + status + " as expected; last: "
                + (last.length() > 3000 ? last.substring(0, 3000) : last));
    }

    /** A Prometheus sample's value for this target (0 when absent). */
    private static double value(String metrics, String name, String target) {
        Matcher m = Pattern.compile("^" + name + "\\{[^}]*target=\"" + Pattern.quote(target) + "\"[^}]*} (\\S+)$",
                Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
