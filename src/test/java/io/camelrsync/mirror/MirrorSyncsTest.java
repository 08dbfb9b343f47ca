package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Several syncs in one mirror process: how their settings are read, and that each runs on its own. */
class MirrorSyncsTest {
    @TempDir
    Path work;

    private static Map<String, String> defaults(Map<String, String> overrides) {
        return MirrorSettings.load(overrides, Map.of(), new java.util.Properties());
    }

    @Test
    @Timeout(30)
    void withoutSyncsTheSourceAndTargetsAreTheOneNamedDefault() {
        List<MirrorSyncs.Sync> syncs = MirrorSyncs.of(defaults(Map.of("mirror.source", "/srv/a",
                "mirror.targets", "rsync://h/m,rsync://h2:8873/n/sub")));
        assertEquals(1, syncs.size());
        MirrorSyncs.Sync s = syncs.get(0);
        assertEquals("default", s.name());
        assertEquals("/srv/a", s.source());
        assertEquals(List.of("h:873/m", "h2:8873/n/sub"), s.targets().stream().map(MirrorSyncs.Target::label).toList());
        assertEquals("mirror-queue:default-1,mirror-queue:default-2", s.queues());
        Map<String, String> p = MirrorSyncs.properties(syncs);
        assertEquals("mirror-watch", p.get("camel.route-template[mirror-watch-default].template-id"));
        assertEquals("/srv/a", p.get("camel.route-template[mirror-watch-default].source"));
        assertEquals("mirror-target", p.get("camel.route-template[mirror-target-default-2].template-id"));
        assertFalse(p.containsKey("camel.route-template[mirror-relay-default].template-id"));
    }

    @Test
    @Timeout(30)
    void aSyncSetsItsOwnKeysAndTakesTheOthersFromTheMirror() {
        Map<String, String> in = new HashMap<>(Map.of("mirror.quiet-ms", "25", "mirror.excludes", "*.tmp",
                "mirror.syncs[docs].source", "/srv/docs", "mirror.syncs[docs].targets", "rsync://h/docs",
                "mirror.syncs[docs].excludes", "*.log", "mirror.syncs[www].source", "/srv/www",
                "mirror.syncs[www].targets", "rsync://h/www", "mirror.syncs[www].quiet-ms", "500"));
        List<MirrorSyncs.Sync> syncs = MirrorSyncs.of(defaults(in));
        assertEquals(List.of("docs", "www"), syncs.stream().map(MirrorSyncs.Sync::name).sorted().toList());
        MirrorSyncs.Sync docs = syncs.stream().filter(s -> s.name().equals("docs")).findFirst().orElseThrow();
        MirrorSyncs.Sync www = syncs.stream().filter(s -> s.name().equals("www")).findFirst().orElseThrow();
        assertEquals("*.log", docs.get("excludes"));
        assertEquals("25", docs.get("quiet-ms"));
        assertEquals("*.tmp", www.get("excludes"));
        assertEquals("500", www.get("quiet-ms"));
        assertTrue(www.targets().get(0).uri().contains("source=RAW(/srv/www)"), www.targets().get(0).uri());
        // the embedded default's data/source is not a sync once syncs are named
        assertTrue(syncs.stream().noneMatch(s -> s.name().equals("default")));
    }

    @Test
    @Timeout(30)
    void mistakesAreToldBeforeAnythingStarts() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> MirrorSyncs.of(
                defaults(Map.of("mirror.syncs[a].source", "/x", "mirror.syncs[a].target", "rsync://h/m"))));
        assertTrue(unknown.getMessage().contains("mirror.syncs[a].target: unknown setting"), unknown.getMessage());
        IllegalArgumentException noSource = assertThrows(IllegalArgumentException.class, () -> MirrorSyncs.of(
                defaults(Map.of("mirror.syncs[a].targets", "rsync://h/m"))));
        assertTrue(noSource.getMessage().contains("mirror.syncs[a].source is empty"), noSource.getMessage());
        IllegalArgumentException badName = assertThrows(IllegalArgumentException.class, () -> MirrorSyncs.of(
                defaults(Map.of("mirror.syncs[a b].source", "/x"))));
        assertTrue(badName.getMessage().contains("a sync's name"), badName.getMessage());
        IllegalArgumentException noDaemon = assertThrows(IllegalArgumentException.class, () -> MirrorSyncs.of(
                defaults(Map.of("mirror.daemon.enabled", "false", "mirror.syncs[r].relay", "in",
                        "mirror.syncs[r].targets", "rsync://h/m"))));
        assertTrue(noDaemon.getMessage().contains("needs the mirror's own daemon"), noDaemon.getMessage());
    }

    @Test
    @Timeout(30)
    void aRelaysSourceIsItsModulesPath() throws Exception {
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[in]\npath = " + work.resolve("in") + "\nread only = no\n");
        List<MirrorSyncs.Sync> syncs = MirrorSyncs.of(defaults(Map.of("mirror.daemon.enabled", "true",
                "mirror.daemon.config", conf.toString(), "mirror.syncs[edge].relay", "in",
                "mirror.syncs[edge].targets", "rsync://h/m")));
        assertEquals(work.resolve("in").toString(), syncs.get(0).source());
        Map<String, String> p = MirrorSyncs.properties(syncs);
        assertEquals("in=edge", p.get("mirror.relay-modules"));
        assertEquals("mirror-relay", p.get("camel.route-template[mirror-relay-edge].template-id"));
        assertFalse(p.containsKey("camel.route-template[mirror-watch-edge].template-id"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> MirrorSyncs.of(
                defaults(Map.of("mirror.daemon.enabled", "true", "mirror.daemon.config", conf.toString(),
                        "mirror.syncs[edge].relay", "out", "mirror.syncs[edge].targets", "rsync://h/m"))));
        assertTrue(missing.getMessage().contains("has no module [out]"), missing.getMessage());
    }

    /**
     * Two syncs in one process, against a stock daemon: each with its own excludes and targets, and a dead target
     * of one delays neither the other sync nor its own live target.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoSyncsRunSideBySideAndADeadTargetBlocksNeither() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        Path www = Files.createDirectories(work.resolve("www"));
        Path docsTarget = Files.createDirectories(work.resolve("t/docs"));
        Path wwwTarget = Files.createDirectories(work.resolve("t/www"));
        Files.writeString(docs.resolve("before.txt"), "there before the start");
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"),
                RsyncDaemon.module("docs", docsTarget) + RsyncDaemon.module("www", wwwTarget))) {
            String dead = "rsync://127.0.0.1:" + RsyncDaemon.freePort() + "/gone";
            Map<String, String> settings = new HashMap<>(Map.of("mirror.daemon.enabled", "false",
                    "mirror.verify-interval", "0", "mirror.retry-max-delay-ms", "500",
                    "mirror.syncs[docs].source", docs.toString(),
                    "mirror.syncs[docs].targets", daemon.url("docs"),
                    "mirror.syncs[docs].excludes", "*.log",
                    "mirror.syncs[www].source", www.toString(),
                    "mirror.syncs[www].targets", daemon.url("www") + "," + dead));
            try (MirrorRun run = MirrorRun.start(settings)) {
                assertNotNull(run.guard("docs"));
                assertEquals(ServiceStatus.Started, run.context.getRouteController().getRouteStatus("mirror-watch-www"));
                MirrorTrees.await(() -> Files.exists(docsTarget.resolve("before.txt")), 20_000,
                        "the docs sync's start-up sync");
                Files.writeString(docs.resolve("a.txt"), "docs");
                Files.writeString(docs.resolve("debug.log"), "excluded in docs only");
                Files.createDirectories(www.resolve("css"));
                Files.writeString(www.resolve("css/site.css"), "body {}");
                Files.writeString(www.resolve("debug.log"), "www keeps its logs");
                MirrorTrees.await(() -> Files.exists(docsTarget.resolve("a.txt"))
                        && Files.exists(wwwTarget.resolve("css/site.css"))
                        && Files.exists(wwwTarget.resolve("debug.log")), 20_000, "both syncs' changes");
                assertFalse(Files.exists(docsTarget.resolve("debug.log")), "docs excludes *.log");
                assertFalse(Files.exists(wwwTarget.resolve("before.txt")), "a sync pushes only its own source");
                Files.writeString(www.resolve("later.html"), "the dead target is still being retried");
                MirrorTrees.await(() -> Files.exists(wwwTarget.resolve("later.html")), 20_000,
                        "www's live target, while its other target is down");
            }
        }
    }
}
