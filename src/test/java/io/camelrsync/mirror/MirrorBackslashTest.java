package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A name with a backslash, as a file and then as a directory written into: camel-file-watch's relative-path header
 * turns the backslash into a slash, which names another file on Linux; the mirror reads the event's own path.
 */
class MirrorBackslashTest {
    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"plain48", "back\\slash48"})
    void aFileThatBecomesADirectoryIsMirroredWhateverItsName(String name) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Files.createDirectories(src.resolve(".hid10"));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst));
             MirrorRun run = MirrorRun.start(Map.of("mirror.source", src.toString(), "mirror.targets",
                     daemon.url("m"), "mirror.daemon.enabled", "false"))) {
            awaitSame(src, dst, 20_000);
            Path f = src.resolve(".hid10/" + name);
            Files.writeString(f, "a file first");
            awaitSame(src, dst, 20_000);
            Files.delete(f);
            Files.createDirectories(f);
            Files.writeString(f.resolve("x"), "x content");
            Files.createDirectories(f.resolve("y"));
            Files.writeString(f.resolve("y/z"), "z content");
            Thread.sleep(300);
            Files.writeString(f.resolve("x"), "more", StandardOpenOption.APPEND);
            awaitSame(src, dst, 20_000);
            Files.setLastModifiedTime(f.resolve("x"), FileTime.fromMillis(1_000_657_331_000L));
            Files.writeString(f.resolve("y/38tab\tx"), "new in y");
            awaitSame(src, dst, 20_000);
        }
    }
}
