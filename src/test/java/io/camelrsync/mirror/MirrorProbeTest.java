package io.camelrsync.mirror;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target that was down long enough for the backoff to reach seconds is caught up as soon as it answers again:
 * its port is probed while the redelivery waits (TargetProbe), instead of the next attempt after the backoff.
 */
class MirrorProbeTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aTargetThatComesBackIsCaughtUpWithinAProbe() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("dst"));
        RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst));
        int port = daemon.port();
        // without probing, the attempts after a failure come at 0.2, 0.6, 1.4, 3, 6.2, 12.6, 25.4 s
        try (MirrorRun run = MirrorRun.start(Map.of("mirror.source", src.toString(), "mirror.targets",
                daemon.url("m"), "mirror.daemon.enabled", "false", "mirror.retry-delay-ms", "200",
                "mirror.retry-max-delay-ms", "30000", "mirror.probe-ms", "300", "mirror.verify-interval", "0"))) {
            MirrorTrees.awaitSame(src, dst, 30_000);
            daemon.close();
            Files.writeString(src.resolve("while-down.txt"), "waits for the target");
            Thread.sleep(14_000);
            daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", dst), port);
            long back = System.nanoTime();
            MirrorTrees.awaitSame(src, dst, 30_000);
            long caughtUp = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
            assertTrue(caughtUp < 5_000, "caught up " + caughtUp + " ms after the target came back");
        } finally {
            daemon.close();
        }
    }
}
