package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushInteropTest;
import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.receiver.ReceiveStats;
import io.camelrsync.testing.RsyncDaemon;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Debian's stock rsync client pushes into our daemon's receiving side; the trees must end up identical. */
class DaemonReceiveTest {
    @TempDir
    Path work;

    record Push(int exit, String clientOutput, ReceiveStats stats) {
    }

    private Push push(Path conf, int protocol, Path src) throws Exception {
        return push(conf, protocol, src, false);
    }

    private Push push(Path conf, int protocol, Path src, boolean ourClient) throws Exception {
        RsyncdConf rc = RsyncdConf.read(conf);
        List<String> log = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(15_000);
            CompletableFuture<ReceiveStats> served = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(20_000);
                    ServerHandshake hs = new ServerHandshake(rc, new HostAccess(HostAccess.Resolver.system()),
                            m -> true, log::add);
                    ModuleRequest req = hs.run(s.getInputStream(), s.getOutputStream(), s.getInetAddress(),
                            "localhost").orElseThrow();
                    return new ServerSession(req, ClientArgs.parse(req.args()), Path.of(req.module().path()),
                            log::add, 20_000).run(s.getInputStream(), s.getOutputStream());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String url = "rsync://127.0.0.1:" + server.getLocalPort() + "/m";
            int exit;
            String out;
            if (ourClient) {
                io.camelrsync.testing.Cli r = io.camelrsync.testing.Cli.run("push", "-aH", "--delete",
                        "--protocol=" + protocol, src + "/", url);
                exit = r.exitCode();
                out = r.toString();
            } else {
                Process p = new ProcessBuilder("rsync", "-aH", "--delete", "--protocol=" + protocol, src + "/", url)
                        .redirectErrorStream(true).start();
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                exit = p.exitValue();
            }
            ReceiveStats stats = served.get(30, TimeUnit.SECONDS);
            return new Push(exit, out + "\n--- daemon log ---\n" + String.join("\n", log), stats);
        }
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void ourClientPushesIntoOurDaemon(int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo"));
        Path dest = Files.createDirectories(work.resolve("dest"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + dest + "\nread only = no\nuid = root\ngid = root\n");
        Push first = push(conf, protocol, src, true);
        assertEquals(0, first.exit(), first.clientOutput());
        assertSameTree(src, dest);
        Files.writeString(src.resolve("a/new.txt"), "new");
        Files.delete(src.resolve("a/hl-1"));
        Push second = push(conf, protocol, src, true);
        assertEquals(0, second.exit(), second.clientOutput());
        assertSameTree(src, dest);
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void stockClientPushesATreeThenADelta(int protocol) throws Exception {
        RsyncDaemon.requireRsync();
        Path src = Files.createDirectories(work.resolve("src"));
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo")); // specials are not created by this daemon yet
        Path dest = Files.createDirectories(work.resolve("dest"));
        Files.writeString(dest.resolve("stale.txt"), "not in the source");
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + dest + "\nread only = no\nuid = root\ngid = root\n");

        Push first = push(conf, protocol, src);
        assertEquals(0, first.exit(), first.clientOutput());
        assertSameTree(src, dest);
        assertEquals(1, first.stats().deleted(), first.clientOutput());

        try (RandomAccessFile f = new RandomAccessFile(src.resolve("a/b/blob.bin").toFile(), "rw")) {
            f.seek(500_000);
            f.write("changed in the middle".getBytes(StandardCharsets.US_ASCII));
        }
        Files.setLastModifiedTime(src.resolve("a/b/blob.bin"), FileTime.from(Instant.parse("2024-01-01T00:00:00Z")));
        Files.delete(src.resolve("empty"));
        PushInteropTest.deleteTree(src.resolve("中文目录"));
        Files.writeString(src.resolve("a/new.txt"), "new");
        Push second = push(conf, protocol, src);
        assertEquals(0, second.exit(), second.clientOutput());
        assertSameTree(src, dest);
        assertEquals(2, second.stats().transferredFiles, second.clientOutput());
        assertTrue(second.stats().literalBytes < 10_000, "delta: " + second.stats().literalBytes);
        // "empty", then the removed tree entry by entry: its file, its subdirectory, itself
        assertEquals(4, second.stats().deleted(), second.clientOutput());
    }
}
