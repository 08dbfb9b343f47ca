package io.camelrsync.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's stock {@code rsync --daemon} on a free loopback port with a config the test writes: the referee
 * for every interop test. A missing rsync binary fails the test (CI installs it), it never skips.
 */
public final class RsyncDaemon implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    private RsyncDaemon(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Starts a daemon whose rsyncd.conf is the global lines we need followed by {@code modules}. */
    public static RsyncDaemon start(Path workDir, String modules) throws IOException, InterruptedException {
        return start(workDir, modules, freePort());
    }

    /** The same on a given port (a daemon restarted where its clients expect it). */
    public static RsyncDaemon start(Path workDir, String modules, int port) throws IOException,
            InterruptedException {
        requireRsync();
        Files.createDirectories(workDir);
        Path conf = writeConfig(workDir, modules);
        Process p = new ProcessBuilder("rsync", "--daemon", "--no-detach", "--config=" + conf, "--port=" + port,
                "--address=127.0.0.1").redirectErrorStream(true)
                .redirectOutput(workDir.resolve("rsyncd.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                fail("rsync daemon exited at start: " + Files.readString(workDir.resolve("rsyncd.out")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new RsyncDaemon(p, port, workDir);
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("rsync daemon did not listen on port " + port + " within 15 s");
    }

    private static Path writeConfig(Path workDir, String modules) throws IOException {
        Path conf = workDir.resolve("rsyncd.conf");
        Files.writeString(conf, "pid file = " + workDir.resolve("rsyncd.pid") + "\n"
                + "log file = " + workDir.resolve("rsyncd.log") + "\n" + modules, StandardCharsets.UTF_8);
        return conf;
    }

    /** Replaces the modules: stock rsync reads its config again for every connection. */
    public void reconfigure(String modules) throws IOException {
        writeConfig(dir, modules);
    }

    /** A module section for a writable module at {@code path}, chrooted as the default daemon is. */
    public static String module(String name, Path path, String... extraLines) {
        StringBuilder sb = new StringBuilder("[" + name + "]\npath = " + path + "\nread only = no\nuid = root\n"
                + "gid = root\nuse chroot = yes\nmunge symlinks = no\n");
        for (String l : extraLines) {
            sb.append(l).append('\n');
        }
        return sb.toString();
    }

    public static void requireRsync() {
        try {
            Process p = new ProcessBuilder("rsync", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                fail("`rsync --version` failed: install Debian's rsync (apt-get install -y rsync)");
            }
        } catch (IOException | InterruptedException e) {
            fail("the rsync binary is missing: install Debian's rsync (apt-get install -y rsync): " + e);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public String url(String module) {
        return "rsync://127.0.0.1:" + port + "/" + module;
    }

    public String log() throws IOException {
        Path log = dir.resolve("rsyncd.log");
        // names in it are bytes, not always UTF-8: readString would refuse them
        return Files.exists(log) ? new String(Files.readAllBytes(log), java.nio.charset.StandardCharsets.UTF_8) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
