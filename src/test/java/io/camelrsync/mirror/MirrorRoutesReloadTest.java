package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.apache.camel.ServiceStatus;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edited routes/*.camel.yaml is loaded again by the running mirror (camel-main's route reload), and nothing is
 * lost across it: a change waiting for a target that is down, and changes made while the routes are replaced.
 */
class MirrorRoutesReloadTest {
    @TempDir
    Path work;

    static void awaitNewRoute(Main main, String id, org.apache.camel.Route before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (main.getCamelContext().getRoute(id) == before || main.getCamelContext().getRoute(id) == null) {
            assertTrue(System.nanoTime() < deadline, id + " was not made again after the reload");
            Thread.sleep(20);
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void anEditedRouteFileIsLoadedWhileTheMirrorRunsAndNoChangeIsLost() throws Exception {
        Path routes = Files.createDirectories(work.resolve("routes"));
        for (String f : List.of("mirror.camel.yaml", "daemon.camel.yaml")) {
            Files.copy(Path.of("routes", f), routes.resolve(f));
        }
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("dst"));
        Files.writeString(src.resolve("seed.txt"), "seed");
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst));
        int port = daemon.port();
        Map<String, String> settings = new HashMap<>(Map.of("mirror.source", src.toString(),
                "mirror.targets", daemon.url("m"), "mirror.daemon.enabled", "false",
                "mirror.routes-directory", routes.toString(), "mirror.retry-max-delay-ms", "500",
                "mirror.verify-interval", "0", "camel.server.port", String.valueOf(RsyncDaemon.freePort()),
                "camel.management.port", String.valueOf(RsyncDaemon.freePort())));
        Main main = null;
        try (LogCapture reloads = LogCapture.of(org.apache.camel.support.RouteWatcherReloadStrategy.class)) {
            main = MirrorMain.create(settings, System.out); // inside: the daemon is stopped whatever fails
            main.start();
            MirrorTrees.awaitSame(src, dst, 30_000);

            org.apache.camel.Route watchBefore = main.getCamelContext().getRoute("mirror-watch-default");
            daemon.close(); // a change waits in the target's queue while the routes are replaced
            Files.writeString(src.resolve("waiting.txt"), "made while the target was down");
            Thread.sleep(300);
            String yaml = Files.readString(routes.resolve("mirror.camel.yaml"));
            Files.writeString(routes.resolve("mirror.camel.yaml"), yaml.replace(
                    "# The live mirror, every hop in one place.", "# The live mirror, every hop in one place; edited."));
            reloads.await(Level.INFO, "Routes reloaded", 30_000);
            // the routes made from templates are made again, from the reloaded file: an edit applies to them too
            awaitNewRoute(main, "mirror-watch-default", watchBefore);
            Files.writeString(src.resolve("after.txt"), "made after the reload");

            daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst), port);
            MirrorTrees.awaitSame(src, dst, 30_000);
            assertEquals("made while the target was down", Files.readString(dst.resolve("waiting.txt")));
            assertEquals(ServiceStatus.Started, main.getCamelContext().getRouteController()
                    .getRouteStatus("mirror-watch-default"));
            Files.writeString(src.resolve("later.txt"), "the reloaded watch sees it");
            MirrorTrees.awaitSame(src, dst, 30_000);
            assertTrue(Files.exists(dst.resolve("later.txt")));
        } finally {
            if (main != null) {
                main.stop();
            }
            daemon.close();
        }
    }
}
