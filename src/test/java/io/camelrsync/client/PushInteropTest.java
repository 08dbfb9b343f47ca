package io.camelrsync.client;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Our client pushing into Debian's stock rsync daemon, once per protocol version we offer. */
public class PushInteropTest {
    @TempDir
    static Path work;
    static RsyncDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assertEquals("UTF-8", System.getProperty("sun.jnu.encoding"),
                "run the JVM under a UTF-8 locale (LC_ALL=C.UTF-8) so non-ASCII file names survive");
        StringBuilder modules = new StringBuilder();
        for (int p = 30; p <= 32; p++) {
            for (String kind : new String[] {"tree", "delta", "delete", "changes"}) {
                Path dir = Files.createDirectories(work.resolve("mod-" + kind + p));
                modules.append(RsyncDaemon.module(kind + p, dir));
            }
        }
        daemon = RsyncDaemon.start(work.resolve("daemon"), modules.toString());
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        daemon.close();
    }

    private static Cli push(int protocol, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "push";
        all[1] = "--protocol=" + protocol;
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(all);
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void wholeTreeArrivesEntryByEntry(int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("tree-src" + protocol));
        buildRichTree(src);
        Cli r = push(protocol, "-avH", "--delete", "--stats", src + "/", daemon.url("tree" + protocol));
        assertEquals(0, r.exitCode(), r::toString);
        assertSameTree(src, work.resolve("mod-tree" + protocol));

        // Unchanged re-push moves no file data at all.
        Cli again = push(protocol, "-aH", "--delete", "--stats", src + "/", daemon.url("tree" + protocol));
        assertEquals(0, again.exitCode(), again::toString);
        assertEquals(0, again.stat("Number of regular files transferred"), again::toString);
        assertEquals(0, again.stat("Literal data"), again::toString);
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void editsAppendsAndTruncatesSendOnlyTheDelta(int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("delta-src" + protocol));
        Path big = src.resolve("big.bin");
        byte[] data = new byte[5 << 20]; // above DeltaEncoder.PARALLEL_DIGEST_MIN
        new Random(protocol).nextBytes(data);
        Files.write(big, data);
        String url = daemon.url("delta" + protocol);
        Path mod = work.resolve("mod-delta" + protocol);
        assertEquals(0, push(protocol, "-a", src + "/", url).exitCode());
        assertSameTree(src, mod);

        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.seek(2_500_000);
            f.write("edited in place".getBytes(StandardCharsets.US_ASCII));
        }
        bumpMtime(big, 1); // same size: only a new mtime gets past rsync's quick check, as in real life
        assertSmallDelta(push(protocol, "-a", "--stats", src + "/", url), Files.size(big));
        assertSameTree(src, mod);

        byte[] tail = new byte[20_000];
        new Random(7).nextBytes(tail);
        Files.write(big, tail, java.nio.file.StandardOpenOption.APPEND);
        bumpMtime(big, 2);
        assertSmallDelta(push(protocol, "-a", "--stats", src + "/", url), Files.size(big));
        assertSameTree(src, mod);

        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(1_000_000);
        }
        bumpMtime(big, 3);
        assertSmallDelta(push(protocol, "-a", "--stats", src + "/", url), Files.size(big));
        assertSameTree(src, mod);
    }

    private static void bumpMtime(Path p, int step) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2022-01-01T00:00:00Z").plusSeconds(step)));
    }

    private static void assertSmallDelta(Cli r, long fileSize) {
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(1, r.stat("Number of regular files transferred"), r::toString);
        long literal = r.stat("Literal data");
        assertTrue(literal < fileSize / 20, "literal " + literal + " of " + fileSize + "\n" + r);
        assertTrue(r.stat("Matched data") > 0, r::toString);
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void deleteRemovesExtrasButExcludesProtect(int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("del-src" + protocol));
        Files.createDirectories(src.resolve("a/b"));
        Files.writeString(src.resolve("a/keep.txt"), "keep");
        Files.writeString(src.resolve("a/b/also.txt"), "also");
        Files.writeString(src.resolve("local.tmp"), "excluded, never sent");
        Path mod = work.resolve("mod-delete" + protocol);
        Files.createDirectories(mod.resolve("a/b"));
        Files.createDirectories(mod.resolve("gone/deeper"));
        Files.writeString(mod.resolve("gone/deeper/x"), "x");
        Files.writeString(mod.resolve("a/stale.txt"), "stale");
        Files.writeString(mod.resolve("a/b/protected.tmp"), "protected by the exclude");
        Files.createDirectories(mod.resolve("cache"));
        Files.writeString(mod.resolve("cache/blob"), "protected dir");
        Path excludes = work.resolve("exclude" + protocol + ".list");
        Files.writeString(excludes, "# comment line\n*.tmp\ncache/\n");

        Cli r = push(protocol, "-av", "--delete", "--exclude-from=" + excludes, src + "/",
                daemon.url("delete" + protocol));
        assertEquals(0, r.exitCode(), r::toString);
        assertTrue(r.out().contains("deleting a/stale.txt"), r::toString);
        assertTrue(r.out().contains("deleting gone/"), r::toString);
        assertFalse(Files.exists(mod.resolve("gone")));
        assertFalse(Files.exists(mod.resolve("a/stale.txt")));
        assertFalse(Files.exists(mod.resolve("local.tmp")), "excluded file was sent");
        assertTrue(Files.exists(mod.resolve("a/b/protected.tmp")), "exclude did not protect a file");
        assertTrue(Files.exists(mod.resolve("cache/blob")), "exclude did not protect a directory");
        assertEquals("keep", Files.readString(mod.resolve("a/keep.txt")));
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void changeSetPushesOnlyTheNamedPaths(int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("cs-src" + protocol));
        Files.createDirectories(src.resolve("dir/sub"));
        Files.writeString(src.resolve("dir/edit.txt"), "v1");
        Files.writeString(src.resolve("dir/remove.txt"), "remove me");
        Files.writeString(src.resolve("dir/sub/s.txt"), "s");
        Files.createDirectories(src.resolve("other"));
        Files.writeString(src.resolve("other/untouched.txt"), "v1");
        Files.createDirectories(src.resolve("olddir/inner"));
        Files.writeString(src.resolve("olddir/inner/f"), "f");
        Path mod = work.resolve("mod-changes" + protocol);
        String url = daemon.url("changes" + protocol);
        assertEquals(0, push(protocol, "-aH", "--delete", src + "/", url).exitCode());

        Files.writeString(src.resolve("dir/edit.txt"), "version two");
        Files.delete(src.resolve("dir/remove.txt"));
        Files.createDirectories(src.resolve("new/tree/deep"));
        Files.writeString(src.resolve("new/tree/deep/n.txt"), "new file");
        Files.writeString(src.resolve("new/名前 with space.txt"), "unicode");
        Files.createDirectories(src.resolve("fresh/a/b"));
        Files.writeString(src.resolve("fresh/a/b/leaf.txt"), "parents listed only as parents");
        deleteTree(src.resolve("olddir"));
        Files.writeString(src.resolve("other/untouched.txt"), "changed but not in the change set");
        Path list = work.resolve("changes" + protocol + ".txt");
        Files.writeString(list, "dir/edit.txt\ndir/remove.txt\nnew/\nolddir\nolddir/inner/f\n"
                + "vanished/before/push\nfresh/a/b/leaf.txt\n");

        Cli r = push(protocol, "-avH", "--delete", "--stats", "--files-from=" + list, src + "/", url);
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("version two", Files.readString(mod.resolve("dir/edit.txt")));
        assertFalse(Files.exists(mod.resolve("dir/remove.txt")), r::toString);
        assertFalse(Files.exists(mod.resolve("olddir")), r::toString);
        assertEquals("new file", Files.readString(mod.resolve("new/tree/deep/n.txt")));
        assertEquals("unicode", Files.readString(mod.resolve("new/名前 with space.txt")));
        assertEquals("s", Files.readString(mod.resolve("dir/sub/s.txt")));
        assertEquals("parents listed only as parents", Files.readString(mod.resolve("fresh/a/b/leaf.txt")));
        // A deletion lists its parent in full (content-directory marking), so only the parents of deleted
        // paths are re-checked; other/ had no deletion and must not be looked at.
        assertEquals("v1", Files.readString(mod.resolve("other/untouched.txt")),
                "a path outside the change set was sent");
        assertTrue(r.stat("Number of files") < 15, "the change set walked more than it named:\n" + r);

        // Once the untouched file is pushed too, the trees agree entry by entry.
        Files.writeString(list, "other/untouched.txt\n");
        assertEquals(0, push(protocol, "-aH", "--delete", "--files-from=" + list, src + "/", url).exitCode());
        assertSameTree(src, mod);
    }

    /**
     * A directory replaced by a file, and one replaced by a symlink, after their contents were pushed: the change
     * set still names the old contents (from their delete events), and they are deletions, not an error that
     * would fail the batch again on every retry.
     */
    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void pathsBelowADirectoryThatBecameAFileOrASymlinkAreDeletions(int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("type-src" + protocol));
        Files.createDirectories(src.resolve("d/sub"));
        Files.writeString(src.resolve("d/sub/x"), "x");
        Files.createDirectories(src.resolve("l/sub"));
        Files.writeString(src.resolve("l/sub/y"), "y");
        Path elsewhere = Files.createDirectories(work.resolve("elsewhere" + protocol + "/sub"));
        Files.writeString(elsewhere.resolve("y"), "not in the source tree");
        Path mod = work.resolve("mod-changes" + protocol);
        String url = daemon.url("changes" + protocol) + "/types";
        assertEquals(0, push(protocol, "-aH", "--delete", src + "/", url).exitCode());

        deleteTree(src.resolve("d"));
        Files.writeString(src.resolve("d"), "now a file");
        deleteTree(src.resolve("l"));
        Files.createSymbolicLink(src.resolve("l"), elsewhere.getParent());
        Path list = work.resolve("types" + protocol + ".txt");
        Files.writeString(list, "d\nd/sub\nd/sub/x\nl/sub/y\nl\nl/sub\n");
        Cli r = push(protocol, "-aH", "--delete", "--files-from=" + list, src + "/", url);
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("now a file", Files.readString(mod.resolve("types/d")));
        assertTrue(Files.isSymbolicLink(mod.resolve("types/l")), r::toString);
        assertSameTree(src, mod.resolve("types"));
    }

    /** Nested dirs, empty files and dirs, non-ASCII and spaced names, symlinks, hard links, modes, mtimes. */
    public static void buildRichTree(Path src) throws Exception {
        Files.createDirectories(src.resolve("a/b/c/d"));
        Files.createDirectories(src.resolve("empty dir"));
        Files.createDirectories(src.resolve("中文目录/子目录"));
        Files.writeString(src.resolve("中文目录/子目录/文件.txt"), "你好，世界\n");
        Files.writeString(src.resolve("Ünïcödé név.txt"), "accents");
        Files.writeString(src.resolve("a/b/c/d/deep.txt"), "deep");
        Files.createFile(src.resolve("empty"));
        Files.writeString(src.resolve("a/same-prefix-1"), "1");
        Files.writeString(src.resolve("a/same-prefix-2"), "2");
        Files.writeString(src.resolve("a/b/with space.txt"), "space");
        String longName = "n".repeat(200);
        Path longDir = Files.createDirectories(src.resolve("long/" + "d".repeat(120)));
        Files.writeString(longDir.resolve(longName), "the path is over 255 bytes");
        byte[] blob = new byte[1 << 20];
        new Random(42).nextBytes(blob);
        Files.write(src.resolve("a/b/blob.bin"), blob);
        Files.createSymbolicLink(src.resolve("rel-link"), Path.of("a/b/c/d/deep.txt"));
        Files.createSymbolicLink(src.resolve("dangling"), Path.of("/no/such/target"));
        Files.createSymbolicLink(src.resolve("dir-link"), Path.of("a/b"));
        Files.writeString(src.resolve("a/hl-1"), "hard linked three ways");
        Files.createLink(src.resolve("a/b/hl-2"), src.resolve("a/hl-1"));
        Files.createLink(src.resolve("hl-3"), src.resolve("a/hl-1"));
        Files.writeString(src.resolve("pair-1"), "hard linked pair");
        Files.createLink(src.resolve("a/b/c/pair-2"), src.resolve("pair-1"));
        Path priv = src.resolve("private.txt");
        Files.writeString(priv, "0600");
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        Path script = src.resolve("a/run.sh");
        Files.writeString(script, "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(src.resolve("a/b/c"), PosixFilePermissions.fromString("rwx------"));
        Path owned = src.resolve("owned-by-4321");
        Files.writeString(owned, "numeric owner without a name");
        Files.setAttribute(owned, "unix:uid", 4321);
        Files.setAttribute(owned, "unix:gid", 4321);
        Path named = src.resolve("owned-by-nobody");
        Files.writeString(named, "travels by user and group name");
        Files.setAttribute(named, "unix:uid", 65534); // nobody: sent as a name in the uid list
        Files.setAttribute(named, "unix:gid", 65534); // nogroup
        new ProcessBuilder("mkfifo", src.resolve("a/fifo").toString()).inheritIO().start().waitFor();
        // mtimes last, deepest first, so creating children does not bump them again
        FileTime t = FileTime.from(Instant.parse("2021-03-04T05:06:07.123456789Z"));
        try (var walk = Files.walk(src)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                // setting a FIFO's time through the JDK opens it, which blocks without a reader
                if (!Files.isSymbolicLink(p) && !p.getFileName().toString().equals("fifo")) {
                    Files.setLastModifiedTime(p, t);
                }
            }
        }
    }

    public static void deleteTree(Path p) throws IOException {
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
