package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushInteropTest;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our daemon on its Netty listener, with stock rsync clients connecting over TCP. */
class DaemonServerTest {
    @TempDir
    Path work;

    private static Process rsync(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String finish(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "client did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void stockClientsPushThroughTheListenerOneAndManyAtOnce() throws Exception {
        RsyncDaemon.requireRsync();
        Path dest = Files.createDirectories(work.resolve("dest"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + dest + "\nread only = no\nuid = root\ngid = root\nmax connections = 20\n");
        List<DaemonServer.Session> sessions = new CopyOnWriteArrayList<>();
        List<String> log = new CopyOnWriteArrayList<>();
        try (DaemonServer server = new DaemonServer(RsyncdConf.read(conf), log::add, sessions::add)) {
            server.start("127.0.0.1", 0);
            String url = "rsync://127.0.0.1:" + server.port() + "/m";

            Path src = Files.createDirectories(work.resolve("src"));
            PushInteropTest.buildRichTree(src);
            Files.delete(src.resolve("a/fifo"));
            Files.createDirectories(dest.resolve("rich"));
            finish(rsync("-aH", "--delete", src + "/", url + "/rich"));
            assertSameTree(src, dest.resolve("rich"));

            int clients = 8;
            List<Process> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Path tree = Files.createDirectories(work.resolve("tree" + c));
                for (int d = 0; d < 10; d++) {
                    Path dir = Files.createDirectories(tree.resolve("d" + d));
                    for (int f = 0; f < 20; f++) {
                        Files.writeString(dir.resolve("f" + f), "client " + c + " dir " + d + " file " + f);
                    }
                }
                running.add(rsync("-a", "--delete", tree + "/", url + "/client" + c));
            }
            for (Process p : running) {
                finish(p);
            }
            for (int c = 0; c < clients; c++) {
                assertSameTree(work.resolve("tree" + c), dest.resolve("client" + c));
            }
            assertEquals(1 + clients, sessions.size(), log::toString);
            assertTrue(sessions.stream().allMatch(s -> s.failure() == null), log::toString);
            assertEquals(200, sessions.get(sessions.size() - 1).stats().transferredFiles);
        }
    }
}
