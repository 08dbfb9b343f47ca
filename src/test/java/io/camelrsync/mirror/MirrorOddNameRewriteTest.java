package io.camelrsync.mirror;

import io.camelrsync.testing.NameBytes;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A same-size rewrite with its mtime set back, below a top-level name that is not UTF-8: the watcher shows such a
 * name with U+FFFD and cannot name it, and a full sync's quick check would skip the rewrite; the mirror finds the
 * name's bytes among the root's entries and lists it whole, so the rewrite is transferred.
 */
class MirrorOddNameRewriteTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sameSecondRewriteBelowATopLevelNameThatIsNotUtf8() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Random rnd = new Random(7);
        Map<String, String> settings = new HashMap<>(Map.of("mirror.source", src.toString()));
        settings.put("mirror.daemon.enabled", "false");
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst))) {
            settings.put("mirror.targets", daemon.url("m"));
            try (MirrorRun run = MirrorRun.start(settings)) {
                MirrorTrees.awaitIdentical(src, dst, "the start-up sync");
                Path bad = NameBytes.child(src, "bad-\377\376".getBytes(StandardCharsets.ISO_8859_1));
                Files.createDirectories(bad.resolve("sub"));
                Path y = bad.resolve("sub").resolve("y");
                Files.write(y, bytes(rnd));
                MirrorTrees.awaitIdentical(src, dst, "a new top-level directory whose name is not UTF-8");
                FileTime before = Files.getLastModifiedTime(y);
                Files.write(y, bytes(rnd), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                Files.setLastModifiedTime(y, before);
                MirrorTrees.awaitIdentical(src, dst, "a same-size rewrite below it, its mtime set back");
            }
        }
    }

    private static byte[] bytes(Random rnd) {
        byte[] b = new byte[1000];
        rnd.nextBytes(b);
        return b;
    }
}
