package io.camelrsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushListener;
import io.camelrsync.client.PushOptions;
import io.camelrsync.client.PushSession;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.client.TransferStats;
import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * --bwlimit paces what each side writes, as rsync's does: our push into a stock daemon, and a pull by the stock
 * client from our daemon (the client sends its --bwlimit to the daemon, which paces what it sends). Only lower
 * bounds on time are asserted: a limit that does not hold makes the transfer too fast.
 */
class BandwidthLimitTest {
    @TempDir
    Path work;

    private Path fileOf(int bytes) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        byte[] b = new byte[bytes];
        new Random(3).nextBytes(b); // incompressible, and no basis on the other side: every byte travels
        Files.write(src.resolve("data.bin"), b);
        return src;
    }

    @Test
    @Timeout(60)
    void ratesAreReadAsRsyncReadsThem() throws Exception {
        assertEquals(100, PushArgs.parse(List.of("--bwlimit=100", "src", "h::m")).options.bwlimit);
        assertEquals(1536, PushArgs.parse(List.of("--bwlimit", "1.5M", "src", "h::m")).options.bwlimit);
        assertEquals(98, PushArgs.parse(List.of("--bwlimit=100KB", "src", "h::m")).options.bwlimit);
        assertEquals(1, PushArgs.parse(List.of("--bwlimit=512b", "src", "h::m")).options.bwlimit);
        assertEquals(0, PushArgs.parse(List.of("--bwlimit=100", "--no-bwlimit", "src", "h::m")).options.bwlimit);
        assertThrows(UsageException.class, () -> PushArgs.parse(List.of("--bwlimit=100b", "src", "h::m")));
        assertThrows(UsageException.class, () -> PushArgs.parse(List.of("--bwlimit=fast", "src", "h::m")));
    }

    @Test
    @Timeout(60)
    void ourPushKeepsToTheLimit() throws Exception {
        Path src = fileOf(768 * 1024);
        Path dst = Files.createDirectories(work.resolve("dst"));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst))) {
            PushOptions o = new PushOptions();
            o.bwlimit = 256; // 768 KiB at 256 KiB/s: about 3 s
            long start = System.nanoTime();
            TransferStats stats = new PushSession(src, true, RsyncTarget.parse(daemon.url("m"), 873), o, null,
                    new PushListener() { }).run();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1, stats.transferredFiles);
            assertTrue(millis >= 2_300, "768 KiB at 256 KiB/s took only " + millis + " ms");
            assertEquals(Files.size(src.resolve("data.bin")), Files.size(dst.resolve("data.bin")));
        }
    }

    @Test
    @Timeout(60)
    void aPullFromOurDaemonKeepsToTheClientsLimit() throws Exception {
        Path module = fileOf(768 * 1024);
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, "[m]\npath = " + module + "\nread only = yes\nuid = root\ngid = root\n");
        try (DaemonServer ours = new DaemonServer(RsyncdConf.read(conf), line -> { }, s -> { })) {
            ours.start("127.0.0.1", 0);
            Path dest = work.resolve("pulled");
            long start = System.nanoTime();
            Process p = new ProcessBuilder("rsync", "-a", "--bwlimit=256", "rsync://127.0.0.1:" + ours.port() + "/m/",
                    dest + "/").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(50, TimeUnit.SECONDS), out);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, p.exitValue(), out);
            assertEquals(768 * 1024, Files.size(dest.resolve("data.bin")));
            assertTrue(millis >= 2_300, "768 KiB at 256 KiB/s took only " + millis + " ms");
        }
    }
}
