package io.camelrsync.mirror;

import io.camelrsync.testing.NameBytes;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With hard links kept (the default -H), a write through one name of a linked file reaches every name on the target
 * and the target keeps them linked, even when size and mtime say nothing changed (a same-size rewrite with its mtime
 * set back) and when the name written through is deleted at once. Trees are compared entry by entry, contents and
 * hard-link groups included, against a stock daemon and ours.
 */
class MirrorHardLinksTest {
    private static final int SIZE = 1000;

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void writesThroughOneNameReachEveryName(boolean stock) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Random rnd = new Random(11);
        Path a = src.resolve("a.txt");
        Files.write(a, bytes(rnd));
        Files.createDirectories(src.resolve("sub/deep"));
        Path b = Files.createLink(src.resolve("sub/deep/b.txt"), a); // filed by the start-up walk
        Files.write(src.resolve("c.txt"), bytes(rnd));
        Map<String, String> settings = new HashMap<>(Map.of("mirror.source", src.toString()));
        if (stock) {
            settings.put("mirror.daemon.enabled", "false");
        } else {
            settings.put("mirror.daemon.path", dst.toString());
            settings.put("mirror.daemon.config", work.resolve("rsyncd.conf").toString());
            settings.put("mirror.daemon.port", String.valueOf(RsyncDaemon.freePort()));
            EmbeddedTarget.prepare(MirrorSettings.load(settings));
        }
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst))) {
            if (stock) {
                settings.put("mirror.targets", daemon.url("m"));
            }
            try (MirrorRun run = MirrorRun.start(settings)) {
                MirrorTrees.awaitIdentical(src, dst, "the start-up sync");

                rewriteKeepingMtime(a, rnd);
                MirrorTrees.awaitIdentical(src, dst, "a same-size rewrite through one name, its mtime set back");

                rewriteKeepingMtime(b, rnd);
                Files.delete(b);
                MirrorTrees.awaitIdentical(src, dst, "a rewrite through a name deleted at once");

                Path d = Files.createLink(src.resolve("d.txt"), a); // a link the index has not seen
                MirrorTrees.awaitIdentical(src, dst, "a new link");
                rewriteKeepingMtime(d, rnd);
                MirrorTrees.awaitIdentical(src, dst, "a rewrite through the new link");

                Path tmp = src.resolve(".d.tmp");
                Files.write(tmp, bytes(rnd));
                Files.move(tmp, d, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                MirrorTrees.awaitIdentical(src, dst, "a link broken by a file renamed over it");

                Files.write(a, bytes(rnd), StandardOpenOption.APPEND);
                MirrorTrees.awaitIdentical(src, dst, "a write to the last name of a group");

                // a name that is not UTF-8: its events name its directory, listed whole, and a's name must come too
                Files.createDirectories(src.resolve("odd"));
                MirrorTrees.awaitIdentical(src, dst, "a new directory");
                Path odd = NameBytes.child(src.resolve("odd"), "bad-\377".getBytes(StandardCharsets.ISO_8859_1));
                Files.createLink(odd, a);
                MirrorTrees.awaitIdentical(src, dst, "a link with a name that is not UTF-8");
                rewriteKeepingMtime(odd, rnd);
                MirrorTrees.awaitIdentical(src, dst, "a rewrite through a name that is not UTF-8");
            }
        }
    }

    /** Other bytes of the same size, in place (every name sees them), then the mtime the file had before. */
    private static void rewriteKeepingMtime(Path file, Random rnd) throws Exception {
        FileTime before = Files.getLastModifiedTime(file);
        Files.write(file, bytes(rnd), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        Files.setLastModifiedTime(file, before);
    }

    private static byte[] bytes(Random rnd) {
        byte[] b = new byte[SIZE];
        rnd.nextBytes(b);
        return b;
    }
}
