package io.camelrsync.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.DaemonProcess;
import io.camelrsync.testing.RsyncDaemon;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd unit that replaces the xinetd service: systemd accepts it, and the command line it starts serves
 * a stock client (with the unit's paths pointed at this checkout and a test config).
 */
class SystemdUnitTest {
    static final Path UNIT = Path.of("dist/systemd/camel-rsync-daemon.service");

    @TempDir
    Path work;

    @Test
    void systemdAcceptsTheUnit() throws Exception {
        Path copy = work.resolve("camel-rsync-daemon.service");
        Files.writeString(copy, Files.readString(UNIT).replace("/opt/camel-rsync", Path.of("").toAbsolutePath()
                .toString()));
        Process p = new ProcessBuilder("systemd-analyze", "verify", copy.toString()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "systemd-analyze verify (install systemd for it): " + out);
    }

    @Test
    void theUnitsCommandServesAStockClient() throws Exception {
        RsyncDaemon.requireRsync();
        String exec = Files.readAllLines(UNIT).stream().filter(l -> l.startsWith("ExecStart=")).findFirst()
                .orElseThrow().substring("ExecStart=".length());
        List<String> words = Arrays.asList(exec.split("\\s+"));
        assertTrue(words.get(0).endsWith("bin/camel-rsync") && words.get(1).equals("daemon"), exec);
        Path module = Files.createDirectories(work.resolve("module"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + module + "\nread only = no\nuid = root\ngid = root\n");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> args = new ArrayList<>();
        for (String w : words.subList(2, words.size())) {
            args.add(w.equals("/etc/rsyncd.conf") ? conf.toString() : w);
        }
        args.addAll(List.of("--port", Integer.toString(port), "--address", "127.0.0.1"));
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f.txt"), "served by the unit's command");
        try (DaemonProcess d = DaemonProcess.start(args.toArray(String[]::new))) {
            Process p = new ProcessBuilder("rsync", "-a", src + "/", "rsync://127.0.0.1:" + port + "/m")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out + d.output());
        }
        assertEquals("served by the unit's command", Files.readString(module.resolve("f.txt")));
    }
}
