package io.camelrsync.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PullSession;
import io.camelrsync.client.PushListener;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.client.TransferStats;
import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * camel-rsync pull against a stock rsync daemon, refereed by the stock client pulling the same: same exit code,
 * same tree entry by entry; and from our own daemon.
 */
class PullClientTest {
    @TempDir
    Path work;

    private Path module() throws Exception {
        Path m = Files.createDirectories(work.resolve("module/sub/deep"));
        m = m.getParent().getParent();
        Files.writeString(m.resolve("a.txt"), "hello");
        byte[] big = new byte[300_000];
        new Random(11).nextBytes(big);
        Files.write(m.resolve("sub/big.bin"), big);
        Files.createLink(m.resolve("sub/hard.txt"), m.resolve("a.txt"));
        Files.createSymbolicLink(m.resolve("link"), Path.of("a.txt"));
        Files.writeString(m.resolve("sub/deep/x.log"), "a log");
        Files.writeString(m.resolve("sub/deep/y"), "y");
        return m;
    }

    private static TransferStats pull(String... argv) throws Exception {
        PushArgs a = PushArgs.parse(List.of(argv));
        return new PullSession(RsyncTarget.parse(a.operands.get(0), a.port), Path.of(a.operands.get(1)), a.options,
                new PushListener() { }).run();
    }

    private int stockPull(String... argv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        return p.exitValue();
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    @Timeout(120)
    void aWholeModuleFromAStockDaemonWithLinksAndHardLinks(int protocol) throws Exception {
        Path m = module();
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", m))) {
            Path ours = work.resolve("ours");
            TransferStats s = pull("-aH", "--protocol=" + protocol, stock.url("m") + "/", ours.toString());
            assertEquals(0, s.exitCode);
            assertEquals(0, stockPull("-aH", stock.url("m") + "/", work.resolve("ref") + "/"));
            TreeSnapshot.assertSameTree(work.resolve("ref"), ours);
            TreeSnapshot.assertSameTree(m, ours);
            assertEquals(Files.getAttribute(ours.resolve("a.txt"), "unix:ino"),
                    Files.getAttribute(ours.resolve("sub/hard.txt"), "unix:ino"));
        }
    }

    @Test
    @Timeout(120)
    void aSecondPullSendsOnlyTheDeltaAndDeletesAndExcludesAsRsyncDoes() throws Exception {
        Path m = module();
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", m))) {
            Path ours = work.resolve("ours");
            assertEquals(0, pull("-a", stock.url("m") + "/", ours.toString()).exitCode);
            byte[] big = Files.readAllBytes(m.resolve("sub/big.bin"));
            big[150_000] ^= 1;
            Files.write(m.resolve("sub/big.bin"), big);
            Files.setLastModifiedTime(m.resolve("sub/big.bin"), FileTime.fromMillis(
                    Files.getLastModifiedTime(m.resolve("sub/big.bin")).toMillis() + 10_000));
            Files.delete(m.resolve("sub/deep/y"));
            Files.writeString(ours.resolve("local-only.txt"), "--delete removes it");
            Files.writeString(ours.resolve("kept.log"), "excluded: --delete keeps it");
            TransferStats s = pull("-a", "--delete", "--exclude=*.log", stock.url("m") + "/", ours.toString());
            assertEquals(0, s.exitCode);
            assertEquals(1, s.transferredFiles);
            assertTrue(s.matchedBytes > 290_000, "matched " + s.matchedBytes + ", literal " + s.literalBytes);
            assertFalse(Files.exists(ours.resolve("local-only.txt")));
            assertFalse(Files.exists(ours.resolve("sub/deep/y")));
            assertTrue(Files.exists(ours.resolve("kept.log")), "protected by the exclude");
            assertTrue(Files.exists(ours.resolve("sub/deep/x.log")), "pulled before the exclude");
            assertEquals(-1, Files.mismatch(m.resolve("sub/big.bin"), ours.resolve("sub/big.bin")));
        }
    }

    /**
     * -c both ways with a stock daemon: a same-size rewrite that kept its mtime is pulled, and pushed, only
     * when whole-file checksums are compared (the daemon lists them for a pull, we list them for a push).
     */
    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    @Timeout(120)
    void checksumPullsAndPushesFindASameSizeSameTimeRewrite(int protocol) throws Exception {
        Path m = module();
        Path in = Files.createDirectories(work.resolve("in"));
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", m)
                + RsyncDaemon.module("in", in))) {
            Path ours = work.resolve("ours");
            String p = "--protocol=" + protocol;
            assertEquals(0, pull("-aH", p, stock.url("m") + "/", ours.toString()).exitCode);
            assertEquals(0, Cli.run("push", "-aH", p, m + "/", stock.url("in") + "/").exitCode());
            FileTime t = Files.getLastModifiedTime(m.resolve("sub/deep/y"));
            Files.writeString(m.resolve("sub/deep/y"), "z");
            Files.setLastModifiedTime(m.resolve("sub/deep/y"), t);
            assertEquals(0, pull("-aH", p, stock.url("m") + "/", ours.toString()).exitCode);
            assertEquals("y", Files.readString(ours.resolve("sub/deep/y")), "the quick check passes it by");
            assertEquals(0, pull("-acH", p, stock.url("m") + "/", ours.toString()).exitCode);
            assertEquals("z", Files.readString(ours.resolve("sub/deep/y")));
            TreeSnapshot.assertSameTree(m, ours);
            Cli quick = Cli.run("push", "-aH", p, m + "/", stock.url("in") + "/");
            assertEquals(0, quick.exitCode(), quick.toString());
            assertEquals("y", Files.readString(in.resolve("sub/deep/y")), "the quick check passes it by");
            Cli checked = Cli.run("push", "-acH", p, m + "/", stock.url("in") + "/");
            assertEquals(0, checked.exitCode(), checked.toString());
            TreeSnapshot.assertSameTree(m, in);
        }
    }

    /** Several sources of one module in one pull, from a stock daemon: the tree the stock client makes of them. */
    @Test
    @Timeout(120)
    void severalSourcesInOnePull() throws Exception {
        Path m = module();
        try (RsyncDaemon stock = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", m))) {
            String[] sources = {stock.url("m") + "/sub/deep/", stock.url("m") + "/a.txt", stock.url("m") + "/sub",
                    stock.url("m") + "/link"};
            List<String> argv = new ArrayList<>(List.of("pull", "-aH"));
            argv.addAll(List.of(sources));
            argv.add(work.resolve("ours").toString());
            Cli ours = Cli.run(argv.toArray(String[]::new));
            assertEquals(0, ours.exitCode(), ours.toString());
            List<String> ref = new ArrayList<>(List.of("-aH"));
            ref.addAll(List.of(sources));
            ref.add(Files.createDirectories(work.resolve("ref")) + "/");
            assertEquals(0, stockPull(ref.toArray(String[]::new)));
            TreeSnapshot.assertSameTree(work.resolve("ref"), work.resolve("ours"));
            Cli elsewhere = Cli.run("pull", "-a", stock.url("m") + "/a.txt", "rsync://127.0.0.2:" + stock.port()
                    + "/m/a.txt", work.resolve("x").toString());
            assertEquals(1, elsewhere.exitCode(), elsewhere.toString()); // one daemon's module only: a usage error
        }
    }

    @Test
    @Timeout(120)
    void fromOurDaemonAndTheCommandLine() throws Exception {
        Path m = module();
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, "[m]\npath = " + m + "\nread only = yes\nuid = root\ngid = root\n");
        try (DaemonServer daemon = new DaemonServer(RsyncdConf.read(conf), line -> { }, s -> { })) {
            daemon.start("127.0.0.1", 0);
            Path dest = Files.createDirectories(work.resolve("restored"));
            Files.writeString(dest.resolve("stale.txt"), "--delete removes it, with the daemon's echo of the counts");
            Cli r = Cli.run("pull", "-aH", "--delete", "--port=" + daemon.port(), "127.0.0.1::m/sub/", dest.toString());
            assertEquals(0, r.exitCode(), r.toString());
            TreeSnapshot.assertSameTree(m.resolve("sub"), dest);
            Cli missing = Cli.run("pull", "-a", "--port=" + daemon.port(), "127.0.0.1::m/none/", dest.toString());
            assertEquals(23, missing.exitCode(), missing.toString());
            assertTrue(missing.err().contains("link_stat"), missing.toString());
            assertTrue(missing.err().contains("[Receiver="), "a pulling client is the Receiver: " + missing);
        }
    }
}
