package io.camelrsync.mirror;

import io.camelrsync.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** Waiting for a mirror to converge, and file operations the tests share. */
public final class MirrorTrees {
    private MirrorTrees() {
    }

    /** Waits until {@code target} equals {@code source} entry by entry, then asserts it (with every difference). */
    public static long awaitSame(Path source, Path target, long timeoutMillis) throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeoutMillis * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (same(source, target)) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(50);
        }
        TreeSnapshot.assertSameTree(source, target);
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Waits up to {@code timeoutMillis} for {@code condition}, failing with {@code what} if it never holds. */
    public static void await(Callable<Boolean> condition, long timeoutMillis, String what) throws Exception {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within " + timeoutMillis + " ms");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Waits (at most 20 s) until source and target are identical entry by entry, contents, modes, mtimes and
     * hard-link groups included, and names byte for byte (Conformance.compare); else fails with the differences.
     */
    static void awaitIdentical(Path source, Path target, String what) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        List<String> differences = Conformance.compare(source, target);
        while (!differences.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            differences = Conformance.compare(source, target);
        }
        if (!differences.isEmpty()) {
            throw new AssertionError("after " + what + " the target differs: " + differences);
        }
    }

    static boolean same(Path source, Path target) {
        try {
            TreeSnapshot a = TreeSnapshot.of(source);
            TreeSnapshot b = TreeSnapshot.of(target);
            return a.entries().equals(b.entries()) && a.linkGroups().toString().equals(b.linkGroups().toString());
        } catch (IOException | RuntimeException e) {
            return false; // a tree changing under the walk: look again
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(x);
            }
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path x : (Iterable<Path>) walk::iterator) {
                Path dest = to.resolve(from.relativize(x).toString());
                if (Files.isDirectory(x, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(x, dest, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }
}
