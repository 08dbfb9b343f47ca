package io.camelrsync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.ChangeSet;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A change set's moves pushed into a stock daemon and into ours, below a path of the module: the moved directory
 * and files arrive without literal data (their old copies are the basis: --link-dest, --fuzzy), names with spaces
 * included, and the old paths are gone.
 */
@Timeout(120)
class MoveSessionsTest {
    @TempDir
    Path work;

    /** Our daemon in-process (not chrooted, as the tutorials set it up), or the stock one; its URL in {@code url}. */
    private AutoCloseable target(String kind, Path mod, String[] url) throws Exception {
        if (kind.equals("ours")) {
            Path conf = work.resolve("rsyncd.conf");
            Files.writeString(conf, "[m]\npath = " + mod + "\nread only = no\nuse chroot = no\nuid = root\n"
                    + "gid = root\nmunge symlinks = no\n");
            DaemonServer server = new DaemonServer(RsyncdConf.read(conf), l -> { }, s -> { });
            server.start("127.0.0.1", 0);
            url[0] = "rsync://127.0.0.1:" + server.port() + "/m";
            return server;
        }
        RsyncDaemon d = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("m", mod));
        url[0] = d.url("m");
        return d;
    }

    @ParameterizedTest(name = "{0} daemon, protocol {1}")
    @CsvSource({"stock, 30", "stock, 32", "ours, 30", "ours, 32"})
    void movesArriveWithoutTheirBytes(String kind, int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path mod = Files.createDirectories(work.resolve("mod"));
        Path dst = mod.resolve("sub");
        Random rnd = new Random(protocol);
        Files.createDirectories(src.resolve("old dir/inner"));
        Files.createDirectories(src.resolve("other"));
        for (int i = 0; i < 5; i++) {
            Files.write(src.resolve("old dir/inner/f" + i), bytes(rnd, 200_000));
        }
        Files.write(src.resolve("other/a file.bin"), bytes(rnd, 300_000));
        Files.writeString(src.resolve("old dir/inner/kept out.txt"), "excluded at its new place only\n");
        Files.write(src.resolve("other/renamed-from.bin"), bytes(rnd, 310_000)); // fuzzy prefers equal size and mtime
        String[] url = new String[1];
        try (AutoCloseable daemon = target(kind, mod, url)) {
            RsyncTarget target = RsyncTarget.parse(url[0] + "/sub/", RsyncTarget.DEFAULT_PORT);
            PushOptions o = new PushOptions();
            o.delete = true;
            o.protocol = protocol;
            // anchored at the transfer root: the move's own session must match it there too
            o.filters = FilterRules.empty().withExclude("/new place/moved dir/inner/kept out.txt");
            new PushSession(src, true, target, o, null, new PushListener() { }).run();

            Files.createDirectories(src.resolve("new place"));
            Files.move(src.resolve("old dir"), src.resolve("new place/moved dir"));
            Files.move(src.resolve("other/a file.bin"), src.resolve("new place/a file.bin"));
            Files.move(src.resolve("other/renamed-from.bin"), src.resolve("other/renamed-to.bin"));
            ChangeSet moves = ChangeSet.builder()
                    .add("new place").add("old dir").add("other/a file.bin").add("other/renamed-from.bin")
                    .move("old dir", "new place/moved dir")
                    .move("other/a file.bin", "new place/a file.bin")
                    .move("other/renamed-from.bin", "other/renamed-to.bin").build();
            TransferStats s = new PushSession(src, true, target, o, moves, new PushListener() { }).run();
            assertEquals(0, s.exitCode);
            assertTrue(!s.basisRefused, "the daemon refused the moves' basis options");
            assertTrue(s.literalBytes < 10_000, "moves sent " + s.literalBytes + " literal bytes");
            assertTrue(!Files.exists(dst.resolve("new place/moved dir/inner/kept out.txt")),
                    "an excluded file was sent by the move's session");
            Path inner = src.resolve("new place/moved dir/inner");
            var mtime = Files.getLastModifiedTime(inner);
            Files.delete(inner.resolve("kept out.txt")); // for the comparison only
            Files.setLastModifiedTime(inner, mtime);
            TreeSnapshot.assertSameTree(src, dst);
        }
    }

    private static byte[] bytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }
}
