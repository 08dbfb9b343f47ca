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
 * The systemd units that replace the xinetd service and the rc.local inotify loop: systemd accepts them, and the
 * command lines they start serve a stock client and mirror a tree (with the units' paths pointed at this checkout
 * and test configs); the sysctl file names real kernel settings.
 */
class SystemdUnitTest {
    static final Path UNIT = Path.of("dist/systemd/camel-rsync-daemon.service");
    static final Path MIRROR_UNIT = Path.of("dist/systemd/camel-rsync-mirror@.service");
    static final Path SYSCTL = Path.of("dist/sysctl.d/60-camel-rsync-inotify.conf");

    @TempDir
    Path work;

    @Test
    void systemdAcceptsTheUnits() throws Exception {
        // the mirror's template as an instance, the way systemctl start camel-rsync-mirror@app loads it
        for (Path[] unit : new Path[][] {{UNIT, work.resolve("camel-rsync-daemon.service")},
                {MIRROR_UNIT, work.resolve("camel-rsync-mirror@app.service")}}) {
            Files.writeString(unit[1], Files.readString(unit[0]).replace("/opt/camel-rsync",
                    Path.of("").toAbsolutePath().toString()));
            Process p = new ProcessBuilder("systemd-analyze", "verify", unit[1].toString()).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), unit[0] + ": systemd-analyze verify (install systemd for it): " + out);
        }
    }

    @Test
    void theSysctlFileNamesKernelSettings() throws Exception {
        List<String> settings = Files.readAllLines(SYSCTL).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .toList();
        assertEquals(3, settings.size(), settings::toString);
        for (String line : settings) {
            String[] kv = line.split("=");
            Path proc = Path.of("/proc/sys", kv[0].strip().replace('.', '/'));
            assertTrue(Files.exists(proc), line + ": no " + proc);
            assertTrue(Long.parseLong(kv[1].strip()) > 0, line);
        }
    }

    /** The mirror unit's command line with its settings file and working directory: it mirrors a tree. */
    @Test
    void theMirrorUnitsCommandMirrors() throws Exception {
        String exec = Files.readAllLines(MIRROR_UNIT).stream().filter(l -> l.startsWith("ExecStart=")).findFirst()
                .orElseThrow().substring("ExecStart=".length());
        List<String> words = Arrays.asList(exec.split("\\s+"));
        assertTrue(words.get(0).endsWith("bin/camel-rsync") && words.get(1).equals("mirror"), exec);
        Path state = Files.createDirectories(work.resolve("state")); // the unit's WorkingDirectory
        Path settings = Files.writeString(work.resolve("app.properties"), "mirror.daemon.port = "
                + RsyncDaemon.freePort() + "\nmirror.verify-interval = 0\ncamel.management.port = "
                + RsyncDaemon.freePort() + "\ncamel.server.port = " + RsyncDaemon.freePort() + "\n");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.camelrsync.cli.Main"));
        for (String w : words.subList(1, words.size())) {
            cmd.add(w.equals("/etc/camel-rsync/%i.properties") ? settings.toString() : w);
        }
        Files.createDirectories(state.resolve("data/source"));
        Process mirror = new ProcessBuilder(cmd).directory(state.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("mirror.out").toFile()).start();
        try {
            Path in = state.resolve("data/source/from-the-unit.txt");
            Path out = state.resolve("data/mirror/from-the-unit.txt");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(work.resolve("mirror.out")).contains("full sync")) {
                assertTrue(mirror.isAlive() && System.nanoTime() < deadline, () -> "the mirror did not start: "
                        + read(work.resolve("mirror.out")));
                Thread.sleep(100);
            }
            Files.writeString(in, "mirrored by the unit's command");
            while (!Files.exists(out) || Files.size(out) == 0) {
                assertTrue(System.nanoTime() < deadline, () -> "not mirrored: " + read(work.resolve("mirror.out")));
                Thread.sleep(50);
            }
            assertEquals("mirrored by the unit's command", Files.readString(out));
        } finally {
            mirror.destroy();
            assertTrue(mirror.waitFor(30, TimeUnit.SECONDS), "the mirror did not stop on SIGTERM");
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
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
