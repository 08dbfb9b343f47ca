package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real browser (Debian's headless Chromium, which .ci/run installs) against a running mirror:
 * what it shows after a change, during a target outage, and after the recovery.
 */
class MirrorStatusPageTest {
    /** A rendered error line (the page's script holds the words too, so the element is what counts). */
    private static final String ERROR = "<div class=\"error\">last error: ";
    @TempDir
    Path work;

    @Test
    @Timeout(value = 170, unit = TimeUnit.SECONDS)
    void thePageShowsEachTargetThroughAnOutageAndTheRecovery() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("dst"));
        Files.writeString(src.resolve("seed.txt"), "seed");
        int pagePort = RsyncDaemon.freePort();
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst));
        int rsyncPort = daemon.port();
        Map<String, String> settings = new HashMap<>(Map.of("mirror.source", src.toString(),
                "mirror.targets", daemon.url("m"), "mirror.daemon.enabled", "false",
                "camel.server.port", String.valueOf(pagePort),
                "camel.management.port", String.valueOf(RsyncDaemon.freePort()), "mirror.status.sample-ms", "200",
                "mirror.retry-max-delay-ms", "500", "mirror.verify-interval", "0"));
        Main main = null;
        String page = "http://127.0.0.1:" + pagePort + "/";
        String target = "127.0.0.1:" + rsyncPort + "/m";
        try { // the daemon is stopped whatever fails, the mirror's start included
            main = MirrorMain.create(settings, System.out);
            main.start();
            awaitPage(page, d -> d.contains(target) && d.contains("state ok") && d.contains("watching")
                    && d.contains("full sync, 1 files"));
            Files.writeString(src.resolve("report.txt"), "a change\n");
            String dom = awaitPage(page, d -> d.contains("state ok") && d.contains("last batch</span>1 files, 9 B"));
            assertTrue(dom.contains("throughput") && dom.contains("<polyline"), "the charts are drawn: " + dom);

            daemon.close();
            Files.writeString(src.resolve("while-down.txt"), "waits");
            dom = awaitPage(page, d -> d.contains("state failing") && d.contains(ERROR));
            assertTrue(dom.contains("failed") || dom.contains("refused") || dom.contains("exit code"), dom);

            daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst), rsyncPort);
            awaitPage(page, d -> d.contains("state ok") && !d.contains(ERROR));
            Path shot = work.resolve("status.png");
            chromium(List.of("--window-size=1100,700", "--screenshot=" + shot, page));
            assertTrue(Files.size(shot) > 1000, "a screenshot of the page");
        } finally {
            if (main != null) {
                main.stop();
            }
            daemon.close();
        }
    }

    /** The page as Chromium renders it (scripts run, status.json fetched), until it passes. */
    private String awaitPage(String url, Predicate<String> test) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        String dom = "";
        while (System.nanoTime() < deadline) {
            dom = chromium(List.of("--dump-dom", url));
            if (test.test(dom)) {
                return dom;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the page never showed what was expected; last: " + dom);
    }

    private String chromium(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + work.resolve("chromium-profile"),
                "--virtual-time-budget=4000"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium did not finish (install it: apt-get install chromium)");
        return out;
    }
}
