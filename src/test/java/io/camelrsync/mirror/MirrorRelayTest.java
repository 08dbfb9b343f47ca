package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.flist.ChangeSet;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source mirrored to two relays, each our daemon forwarding every push into its module to two stock rsync
 * daemons' modules: every change reaches all four, and the relays keep nothing back.
 */
class MirrorRelayTest {
    @TempDir
    Path work;

    @Test
    @Timeout(30)
    void aPushsPathsBecomeTheChangeSetItsTargetsGet() {
        ChangeSet set = MirrorRelays.changeSet(List.of("./", "a/", "a/x", "b"), List.of("gone/", "old.txt"), true);
        assertEquals(Set.of("a", "a/x", "b", "gone", "old.txt"), set.paths(), "directories as their own entries");
        assertEquals(Set.of(), set.trees());
        assertEquals(ChangeSets.fullSync().toLines(),
                MirrorRelays.changeSet(List.of(), List.of(), false).toLines(), "names cut off: a full sync");
        assertEquals(true, MirrorRelays.changeSet(null, null, null).isEmpty(), "failed before receiving anything");
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aSourceFeedsTwoRelaysThatFeedFourTargets() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        List<Path> finals = new ArrayList<>();
        StringBuilder modules = new StringBuilder();
        for (int i = 1; i <= 4; i++) {
            finals.add(Files.createDirectories(work.resolve("final/t" + i)));
            modules.append(RsyncDaemon.module("t" + i, finals.get(i - 1)));
        }
        Files.createDirectories(src.resolve("docs/deep"));
        Files.writeString(src.resolve("docs/deep/before.txt"), "there before anything started");
        List<MirrorRun> runs = new ArrayList<>();
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("stock"), modules.toString())) {
            List<String> relayUrls = new ArrayList<>();
            List<Path> relayDirs = new ArrayList<>();
            for (int r = 1; r <= 2; r++) {
                Path dir = Files.createDirectories(work.resolve("relay" + r + "/in"));
                Path conf = work.resolve("relay" + r + "/rsyncd.conf");
                Files.writeString(conf, "use chroot = no\n[in]\npath = " + dir + "\nread only = no\nuid = root\n"
                        + "gid = root\nmunge symlinks = no\n");
                int port = RsyncDaemon.freePort();
                runs.add(MirrorRun.start(new HashMap<>(Map.of("mirror.daemon.enabled", "true",
                        "mirror.daemon.port", String.valueOf(port), "mirror.daemon.config", conf.toString(),
                        "mirror.verify-interval", "0", "mirror.syncs[edge].relay", "in",
                        "mirror.syncs[edge].targets", stock.url("t" + (2 * r - 1)) + "," + stock.url("t" + 2 * r)))));
                relayUrls.add("rsync://127.0.0.1:" + port + "/in");
                relayDirs.add(dir);
            }
            runs.add(MirrorRun.start(new HashMap<>(Map.of("mirror.source", src.toString(),
                    "mirror.targets", String.join(",", relayUrls), "mirror.daemon.enabled", "false",
                    "mirror.verify-interval", "0"))));
            awaitEverywhere(src, relayDirs, finals, "the start-up syncs");

            Files.writeString(src.resolve("new.txt"), "new");
            Files.writeString(src.resolve("docs/deep/before.txt"), "rewritten, same second, same size?"
                    .substring(0, 29));
            Files.createSymbolicLink(src.resolve("docs/link"), Path.of("deep/before.txt"));
            Files.createLink(src.resolve("docs/hard.txt"), src.resolve("new.txt"));
            Files.createDirectories(src.resolve("tree/a/b"));
            for (int i = 0; i < 50; i++) {
                Files.writeString(src.resolve("tree/a/b/f" + i), "file " + i);
            }
            awaitEverywhere(src, relayDirs, finals, "new files, a rewrite, a symlink, a hard link, a new tree");

            Files.delete(src.resolve("new.txt"));
            MirrorTrees.deleteTree(src.resolve("tree/a/b"));
            Files.move(src.resolve("docs"), src.resolve("documents"));
            Files.setPosixFilePermissions(src.resolve("documents/hard.txt"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            awaitEverywhere(src, relayDirs, finals, "deletions, a moved directory, a chmod");
        } finally {
            for (MirrorRun run : runs) {
                run.close();
            }
        }
    }

    /**
     * A push into the relay that fails part way (its client killed) is forwarded too: what it wrote before that
     * is in the module, and no later push would name it.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void whatAFailedPushWroteIntoTheRelayGoesOn() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        for (int i = 0; i < 40; i++) {
            Files.write(src.resolve(String.format("f%02d.bin", i)), new byte[64 * 1024]);
        }
        Path fin = Files.createDirectories(work.resolve("final"));
        Path in = Files.createDirectories(work.resolve("relay/in"));
        Path conf = work.resolve("relay/rsyncd.conf");
        Files.writeString(conf, "use chroot = no\n[in]\npath = " + in + "\nread only = no\nuid = root\ngid = root\n"
                + "munge symlinks = no\n");
        int port = RsyncDaemon.freePort();
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("stock"), RsyncDaemon.module("t", fin));
             MirrorRun relay = MirrorRun.start(new HashMap<>(Map.of("mirror.daemon.enabled", "true",
                     "mirror.daemon.port", String.valueOf(port), "mirror.daemon.config", conf.toString(),
                     "mirror.verify-interval", "0", "mirror.syncs[edge].relay", "in",
                     "mirror.syncs[edge].targets", stock.url("t"))))) {
            // 40 x 64 KiB at 256 KiB/s: about 10 s; killed after 3 s, some files complete in the module
            Process client = new ProcessBuilder("rsync", "-a", "--bwlimit=256", src + "/",
                    "rsync://127.0.0.1:" + port + "/in/").redirectErrorStream(true).start();
            Thread.sleep(3_000);
            client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            MirrorTrees.await(() -> {
                try (var names = Files.list(in)) {
                    return names.anyMatch(p -> p.getFileName().toString().endsWith(".bin"));
                }
            }, 10_000, "some files arrived before the client was killed");
            Thread.sleep(500); // the daemon notices the broken session
            List<String> arrived;
            try (var names = Files.list(in)) {
                arrived = names.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bin")).sorted()
                        .toList();
            }
            assertTrue(arrived.size() < 40, "the push was cut short: " + arrived.size());
            for (String name : arrived) {
                MirrorTrees.await(() -> Files.exists(fin.resolve(name))
                        && Files.size(fin.resolve(name)) == 64 * 1024, 20_000, name + " went on to the target");
            }
        }
    }

    private static void awaitEverywhere(Path src, List<Path> relays, List<Path> finals, String what)
            throws Exception {
        for (Path relay : relays) {
            MirrorTrees.awaitIdentical(src, relay, what + " (relay " + relay + ")");
        }
        for (Path t : finals) {
            MirrorTrees.awaitIdentical(src, t, what + " (target " + t + ")");
        }
    }
}
