package io.camelrsync.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's embedding example, as a user meets it: the component jar this build packaged is installed, the
 * example camel-main app (examples/camel-main-app, a Maven project of its own) is built against it and run, and
 * its rsync: route pushes beside its own route into a stock rsync daemon, with its own settings and logging and
 * none of the mirror's.
 */
class ExampleAppIT {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // a first build may download the example's own dependencies
    void theExampleAppPushesBesideItsOwnRoutes() throws Exception {
        Path build = Path.of(System.getProperty("camelrsync.build", "target"));
        Path jar = build.resolve("camel-rsync.jar");
        assertTrue(Files.isRegularFile(jar), "the component jar is packaged before integration tests: " + jar);
        run(Path.of(""), 600, "mvn", "-B", "-ntp", "-q", "install:install-file", "-Dfile=" + jar.toAbsolutePath(),
                "-DpomFile=pom.xml");

        Path app = work.resolve("app");
        copy(Path.of("examples/camel-main-app"), app);
        run(app, 900, "mvn", "-B", "-ntp", "-q", "package",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
                "-Dmdep.outputFile=target/cp.txt");
        String classpath = "target/classes:" + Files.readString(app.resolve("target/cp.txt")).strip();
        assertFalse(classpath.contains("slf4j-jdk14"), "the component brings no logging binding: " + classpath);

        Path backup = Files.createDirectories(work.resolve("backup"));
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("daemon"), RsyncDaemon.module("backup", backup))) {
            Path out = work.resolve("app.out");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dapp.target=" + daemon.url("backup"), "-cp", classpath, "org.apache.camel.main.Main")
                    .directory(app.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (!(Files.exists(backup.resolve("report.txt")) && read(out).contains("pushed the outbox"))) {
                    assertTrue(p.isAlive() && System.nanoTime() < deadline, () -> "nothing pushed: " + read(out));
                    Thread.sleep(200);
                }
                assertTrue(Files.readString(backup.resolve("report.txt")).startsWith("report "));
                String log = read(out);
                assertTrue(log.contains("example-app") && log.contains("write-report") && log.contains("push-outbox"),
                        log);
                assertFalse(log.contains("mirror") || log.contains("camel-rsync-mirror"), "the mirror ran: " + log);
                // slf4j-simple's format ("[main] INFO ..."), not the java.util.logging one the CLI sets
                assertTrue(log.contains("] INFO "), log);
            } finally {
                p.destroy();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the app did not stop");
            }
        }
    }

    private static void run(Path dir, int seconds, String... command) throws Exception {
        Path log = Files.createTempFile("example-build", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toAbsolutePath().toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " took over " + seconds + " s: " + read(log));
            }
            assertEquals(0, p.exitValue(), () -> String.join(" ", command) + ": " + read(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(from)) {
            all = new ArrayList<>(s.filter(p -> !p.toString().contains("/target")).toList());
        }
        for (Path p : all) {
            Path dest = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(dest);
            } else {
                Files.copy(p, dest);
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
