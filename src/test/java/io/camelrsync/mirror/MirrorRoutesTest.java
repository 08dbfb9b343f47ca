package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real routes/*.camel.yaml under camel-test-junit5, mirroring into Debian's stock rsync daemon: the start-up
 * sync of what was there before, then each kind of change the inotifywait loop handled, compared entry by entry.
 */
class MirrorRoutesTest extends CamelTestSupport {
    @TempDir
    static Path work;
    static RsyncDaemon daemon;
    static Path src;
    static Path dst;
    static Path outside;

    @BeforeAll
    static void startDaemon() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        dst = Files.createDirectories(work.resolve("mirror"));
        outside = Files.createDirectories(work.resolve("outside"));
        // present before the mirror starts: only the start-up sync can carry these
        Files.createDirectories(src.resolve("old/deep"));
        Files.writeString(src.resolve("old/deep/before.txt"), "written before the mirror started\n");
        Files.writeString(dst.resolve("stale.txt"), "only on the target: the start-up sync deletes it\n");
        daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("mirror", dst));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        daemon.close();
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        return MirrorRun.build(Map.of("mirror.source", src.toString(), "mirror.targets", daemon.url("mirror"),
                "mirror.daemon.enabled", "false", "mirror.excludes", "*.tmp,cache/"));
    }

    @Test
    void mirrorsEveryKindOfChange() throws Exception {
        awaitSame(src, dst, 20_000); // the start-up sync

        Path f = src.resolve("notes.txt");
        Files.writeString(f, "created\n");
        awaitSame(src, dst, 10_000);
        Files.writeString(f, "rewritten with other bytes\n");
        awaitSame(src, dst, 10_000);
        Files.writeString(f, "appended\n", StandardOpenOption.APPEND);
        awaitSame(src, dst, 10_000);
        try (var ch = Files.newByteChannel(f, StandardOpenOption.WRITE)) {
            ch.truncate(5); // truncate without a close-write of new data
        }
        awaitSame(src, dst, 10_000);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        awaitSame(src, dst, 10_000);
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2001-02-03T04:05:06Z")));
        awaitSame(src, dst, 10_000);

        Files.move(f, src.resolve("renamed.txt"));
        Files.createDirectories(src.resolve("dir/sub"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(src.resolve("dir/sub/f" + i), "file " + i + "\n");
        }
        awaitSame(src, dst, 10_000);
        Files.move(src.resolve("dir"), src.resolve("dir-renamed")); // arrives as delete plus create
        awaitSame(src, dst, 10_000);

        Path tree = Files.createDirectories(outside.resolve("moved-in/a/b"));
        Files.writeString(tree.resolve("x.txt"), "moved into the tree\n");
        Files.move(outside.resolve("moved-in"), src.resolve("moved-in"));
        Files.move(src.resolve("old"), outside.resolve("moved-out"));
        awaitSame(src, dst, 10_000);

        Files.createDirectories(src.resolve("p/q/r"));
        Files.writeString(src.resolve("p/q/r/deep.txt"), "mkdir -p then a file\n");
        MirrorTrees.copyTree(src.resolve("dir-renamed"), src.resolve("copied"));
        awaitSame(src, dst, 10_000);

        Files.createSymbolicLink(src.resolve("link"), Path.of("renamed.txt"));
        Files.createSymbolicLink(src.resolve("dangling"), Path.of("../nowhere"));
        Files.createLink(src.resolve("hard-partner"), src.resolve("renamed.txt"));
        Files.writeString(src.resolve("grüße-日本語.txt"), "non-ASCII name\n");
        awaitSame(src, dst, 10_000);

        Files.writeString(src.resolve("scratch.tmp"), "excluded: never sent\n");
        Files.createDirectories(src.resolve("cache"));
        Files.writeString(src.resolve("cache/c.bin"), "excluded directory\n");
        Files.writeString(src.resolve("after-excluded.txt"), "sent\n");
        MirrorTrees.deleteTree(src.resolve("copied"));
        Files.delete(src.resolve("link"));
        MirrorTrees.await(() -> Files.exists(dst.resolve("after-excluded.txt")) && !Files.exists(dst.resolve("copied")),
                10_000, "the change after the excluded files not mirrored");
        boolean excludedStayed = !Files.exists(dst.resolve("scratch.tmp")) && !Files.exists(dst.resolve("cache"));
        Files.delete(src.resolve("scratch.tmp")); // so that later whole-tree comparisons hold
        MirrorTrees.deleteTree(src.resolve("cache"));
        assertTrue(excludedStayed, "excluded paths must not reach the target");
    }

    @Test
    void fileWrittenSlowlyIsPushedWhileWrittenAndAgainAtTheEnd() throws Exception {
        awaitSame(src, dst, 20_000);
        Path slow = src.resolve("slow.log");
        long start = System.nanoTime();
        boolean seenPartial = false;
        try (OutputStream out = Files.newOutputStream(slow)) {
            // 3 s of writes 20 ms apart: never quiet, so only the batch's maximum age pushes it meanwhile
            for (int i = 0; i < 150; i++) {
                out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(20);
                Path copy = dst.resolve("slow.log");
                seenPartial |= Files.exists(copy) && Files.size(copy) > 0 && Files.size(copy) < Files.size(slow);
            }
        }
        assertTrue(seenPartial, "a file written without pause must reach the target before the writer stops"
                + " (after " + (System.nanoTime() - start) / 1_000_000 + " ms it had not)");
        awaitSame(src, dst, 10_000);
        assertEquals(Files.readString(slow), Files.readString(dst.resolve("slow.log")));
    }
}
