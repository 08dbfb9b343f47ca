package io.camelrsync.mirror;

import static io.camelrsync.mirror.MirrorTrees.awaitSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.RsyncDaemon;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.logging.Level;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random sequences of every kind of change the mirror must carry, done at the speed a program does them,
 * then a quiet period, then source and stock-daemon target compared entry by entry, and a verify that must find
 * nothing to fix. A failing seed replays with -Dmirror.seeds=N.
 */
class MirrorConformanceTest {
    private static final String[] NAMES = {"a", "b", "data.bin", "notes.txt", "ünï", "日本", "x y", "-dash", ".hid"};

    @TempDir
    Path work;

    static LongStream seeds() {
        return Arrays.stream(System.getProperty("mirror.seeds", "11,23,42,1234").split(","))
                .mapToLong(s -> Long.parseLong(s.strip()));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    @Timeout(120)
    void randomChangesEndIdenticalOnTheTarget(long seed) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path dst = Files.createDirectories(work.resolve("mirror"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Random rnd = new Random(seed);
        for (int i = 0; i < 30; i++) {
            apply(rnd, src, outside); // some of the tree exists before the mirror starts
        }
        try (RsyncDaemon daemon = RsyncDaemon.start(work.resolve("d"), RsyncDaemon.module("m", dst));
             LogCapture log = LogCapture.of(VerifyReport.class);
             MirrorRun run = MirrorRun.start(Map.of("mirror.source", src.toString(), "mirror.targets",
                     daemon.url("m"), "mirror.daemon.enabled", "false", "mirror.verify-interval", "0"))) {
            for (int i = 0; i < 150; i++) {
                apply(rnd, src, outside);
                if (rnd.nextInt(4) == 0) {
                    Thread.sleep(rnd.nextInt(30));
                }
            }
            awaitSame(src, dst, 30_000);
            // what the comparison does not look at (the top directory aside) a verify would fix and name
            Thread.sleep(2500); // every change older than the verify's "changed while it ran" window
            ProducerTemplate template = run.context.createProducerTemplate();
            template.sendBody("direct:mirror-verify", null);
            template.stop();
            String line = log.await(Level.INFO, "is up to date", 20_000);
            assertEquals(List.of(), log.lines(Level.WARNING), "the mirror left paths a verify had to fix");
            assertTrue(!line.contains("went with it") && !line.contains("changed while it ran"), line);
        }
    }

    private static void apply(Random rnd, Path src, Path outside) throws Exception {
        List<Path> files = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        dirs.add(src);
        try (Stream<Path> walk = Files.walk(src)) {
            walk.skip(1).forEach(p -> (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? dirs : files).add(p));
        }
        Path dir = dirs.get(rnd.nextInt(dirs.size()));
        Path fresh = dir.resolve(NAMES[rnd.nextInt(NAMES.length)] + rnd.nextInt(50));
        Path file = files.isEmpty() ? null : files.get(rnd.nextInt(files.size()));
        boolean regular = file != null && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
        Path subdir = dirs.size() > 1 ? dirs.get(1 + rnd.nextInt(dirs.size() - 1)) : null;
        if (Files.exists(fresh, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            switch (rnd.nextInt(17)) {
                case 0, 1 -> Files.write(fresh, bytes(rnd, rnd.nextInt(3) == 0 ? 100_000 : 2000));
                case 2 -> {
                    if (regular) {
                        Files.write(file, bytes(rnd, 3000));
                    }
                }
                case 3 -> {
                    if (regular) {
                        Files.write(file, bytes(rnd, 500), StandardOpenOption.APPEND);
                    }
                }
                case 4 -> {
                    if (regular) {
                        try (var ch = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
                            ch.truncate(rnd.nextInt(100));
                        }
                    }
                }
                case 5 -> {
                    if (regular) {
                        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(
                                rnd.nextBoolean() ? "rw-r-----" : "rwxr-xr-x"));
                    }
                }
                case 6 -> {
                    if (regular) {
                        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000_000_000L
                                + rnd.nextInt(1_000_000) * 1000L));
                    }
                }
                case 7 -> {
                    if (file != null) {
                        Files.delete(file);
                    }
                }
                case 8 -> {
                    if (file != null) {
                        Files.move(file, fresh);
                    }
                }
                case 9 -> {
                    Path deep = Files.createDirectories(fresh.resolve("p/q"));
                    Files.write(deep.resolve("leaf"), bytes(rnd, 700));
                }
                case 10 -> {
                    if (subdir != null && !fresh.startsWith(subdir)) {
                        Files.move(subdir, fresh); // a directory renamed
                    }
                }
                case 11 -> {
                    if (subdir != null) {
                        MirrorTrees.deleteTree(subdir);
                    }
                }
                case 12 -> {
                    if (subdir != null) {
                        Path away = outside.resolve("out" + rnd.nextInt(1_000_000));
                        Files.move(subdir, away); // moved out of the tree
                    }
                }
                case 13 -> {
                    Path made = Files.createDirectories(outside.resolve("in" + rnd.nextInt(1_000_000) + "/k"));
                    Files.write(made.resolve("inner"), bytes(rnd, 900));
                    Files.move(made.getParent(), fresh); // moved into the tree
                }
                case 14 -> {
                    if (subdir != null && !fresh.startsWith(subdir)) {
                        MirrorTrees.copyTree(subdir, fresh); // cp -r
                    }
                }
                case 15 -> {
                    if (file != null) {
                        if (rnd.nextBoolean()) {
                            Files.createSymbolicLink(fresh, src.relativize(file));
                        } else if (regular) {
                            Files.createLink(fresh, file);
                        }
                    }
                }
                default -> {
                    try (OutputStream out = Files.newOutputStream(fresh)) { // written slowly
                        for (int i = 0; i < 4; i++) {
                            out.write(bytes(rnd, 300));
                            out.flush();
                            Thread.sleep(15);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // a random operation can be impossible (moving a directory into itself): that is not a mirror fault
        }
    }

    private static byte[] bytes(Random rnd, int max) {
        byte[] b = new byte[rnd.nextInt(max + 1)];
        rnd.nextBytes(b);
        return new String(b, StandardCharsets.ISO_8859_1).getBytes(StandardCharsets.ISO_8859_1);
    }
}
