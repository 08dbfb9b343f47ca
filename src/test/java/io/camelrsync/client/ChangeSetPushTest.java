package io.camelrsync.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemon.DaemonServer;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A change set names what changed, so the receiver must not second-guess it: a same-size rewrite within the
 * second of the last push is transferred (the quick check compares whole seconds), and a deletion removes the
 * named path only. Against a stock daemon at protocols 30 and 32, and against ours.
 */
@Timeout(120)
class ChangeSetPushTest {
    /** Rewrites per case; bench runs it with -Dchangeset.rewrites=1000. */
    private static final int REWRITES = Integer.getInteger("changeset.rewrites", 25);

    @TempDir
    Path work;

    /** A target of one kind with one module "m" at {@code work/mod}; returns its URL. */
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

    private static Cli push(int protocol, Path list, Path src, String url) {
        return Cli.run("push", "-aH", "--delete", "--protocol=" + protocol, "--files-from=" + list, src + "/", url);
    }

    /** work/src as a full sync ("./": the quick check applies), the starting point of a case. */
    private void pushWholeTree(int protocol, String url) throws Exception {
        Path all = Files.writeString(work.resolve("all"), "./\n");
        Cli r = push(protocol, all, work.resolve("src"), url);
        assertEquals(0, r.exitCode(), r::toString);
    }

    @ParameterizedTest(name = "{0} daemon, protocol {1}")
    @CsvSource({"stock, 30", "stock, 32", "ours, 30", "ours, 32"})
    void aSameSizeRewriteWithinTheSameSecondIsNeverLost(String kind, int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Path mod = Files.createDirectories(work.resolve("mod"));
        Path file = src.resolve("f.bin");
        Path list = Files.writeString(work.resolve("list"), "f.bin\n");
        // a full sync that knows f.bin changed (the mirror merges a batch into a pending full sync so)
        Path wholeAndList = Files.writeString(work.resolve("whole-and-list"), "./\nf.bin\n");
        String[] url = new String[1];
        Random random = new Random(protocol);
        byte[] content = new byte[1000];
        int lost = 0;
        try (AutoCloseable t = target(kind, mod, url)) {
            for (int i = 0; i < REWRITES; i++) {
                random.nextBytes(content);
                Files.write(file, content);
                // every version carries the same whole second (and, at protocol 30, no nanoseconds at all)
                Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_700_000_000L, i * 1000L)));
                Cli r = push(protocol, i % 2 == 0 ? list : wholeAndList, src, url[0]);
                assertEquals(0, r.exitCode(), r::toString);
                if (!java.util.Arrays.equals(content, Files.readAllBytes(mod.resolve("f.bin")))) {
                    lost++;
                }
            }
        }
        assertEquals(0, lost, "same-second same-size rewrites lost out of " + REWRITES);
    }

    @ParameterizedTest(name = "{0} daemon, protocol {1}")
    @CsvSource({"stock, 30", "stock, 32", "ours, 30", "ours, 32"})
    void aDeletionRemovesTheNamedPathsOnly(String kind, int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src/dir/gone-tree/deep"));
        Path mod = Files.createDirectories(work.resolve("mod"));
        Files.writeString(src.resolve("leaf"), "leaf");
        Path dir = src.getParent().getParent();
        for (String name : new String[] {"a[1]*.txt", "a1x.txt", "a1.txt", "keep me", "back\\slash", "trail "}) {
            Files.writeString(dir.resolve(name), name);
        }
        Files.writeString(work.resolve("src/top-gone"), "x");
        String[] url = new String[1];
        try (AutoCloseable t = target(kind, mod, url)) {
            pushWholeTree(protocol, url[0]);
            Files.writeString(mod.resolve("dir/only-on-the-target"), "not in any change set");

            Files.delete(dir.resolve("a[1]*.txt"));
            Files.delete(dir.resolve("back\\slash"));
            Files.delete(dir.resolve("trail ")); // its rule keeps the space: the name is not "trail"
            PushInteropTest.deleteTree(dir.resolve("gone-tree"));
            Files.delete(work.resolve("src/top-gone"));
            Path list = Files.writeString(work.resolve("list"),
                    "dir/a[1]*.txt\ndir/back\\slash\ndir/trail \ndir/gone-tree\ndir/gone-tree/deep/leaf\ntop-gone\n");
            Cli r = push(protocol, list, work.resolve("src"), url[0]);
            assertEquals(0, r.exitCode(), r::toString);
        }
        assertFalse(Files.exists(mod.resolve("dir/a[1]*.txt")));
        assertFalse(Files.exists(mod.resolve("dir/back\\slash")));
        assertFalse(Files.exists(mod.resolve("dir/trail ")));
        assertFalse(Files.exists(mod.resolve("dir/gone-tree")));
        assertFalse(Files.exists(mod.resolve("top-gone")));
        for (String kept : new String[] {"a1x.txt", "a1.txt", "keep me", "only-on-the-target"}) {
            assertTrue(Files.exists(mod.resolve("dir").resolve(kept)), kept + " was deleted too");
        }
    }

    /**
     * A tree in the set (a directory created again, say) is sent whole and its extras on the target go, even when
     * the set also names a deletion inside it: that deletion must not turn the tree's directory into one whose
     * other entries are protected.
     */
    @ParameterizedTest(name = "{0} daemon, protocol {1}")
    @CsvSource({"stock, 32", "ours, 32"})
    void aTreeInTheSetIsSyncedWholeEvenWithADeletionInsideIt(String kind, int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src/tree"));
        Path mod = Files.createDirectories(work.resolve("mod"));
        Files.writeString(src.resolve("x"), "x");
        Files.writeString(src.resolve("stale"), "old tree");
        String[] url = new String[1];
        try (AutoCloseable t = target(kind, mod, url)) {
            pushWholeTree(protocol, url[0]);
            PushInteropTest.deleteTree(src);
            Files.createDirectories(src);
            Files.writeString(src.resolve("fresh"), "new tree");
            Path list = Files.writeString(work.resolve("list"), "tree/\ntree/x\n");
            Cli r = push(protocol, list, work.resolve("src"), url[0]);
            assertEquals(0, r.exitCode(), r::toString);
        }
        assertEquals("new tree", Files.readString(mod.resolve("tree/fresh")));
        assertFalse(Files.exists(mod.resolve("tree/x")));
        assertFalse(Files.exists(mod.resolve("tree/stale")), "the tree's extras were protected");
    }

    /**
     * A named path that cannot be read (here a name longer than NAME_MAX: the tests run as root, which reads
     * everything else) is reported and left out; the rest of the set lands, deletions included, with rsync's
     * exit 23 and no exception that would make the mirror send the same batch again forever.
     */
    @ParameterizedTest(name = "{0} daemon, protocol {1}")
    @CsvSource({"stock, 32", "ours, 32"})
    void aPathThatCannotBeReadIsReportedAndTheRestLands(String kind, int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src/dir"));
        Path mod = Files.createDirectories(work.resolve("mod"));
        Files.writeString(src.resolve("gone.txt"), "old");
        String[] url = new String[1];
        try (AutoCloseable t = target(kind, mod, url)) {
            pushWholeTree(protocol, url[0]);
            Files.delete(src.resolve("gone.txt"));
            Files.writeString(src.resolve("new.txt"), "new");
            Path list = Files.writeString(work.resolve("list"),
                    "dir/" + "n".repeat(300) + "\ndir/new.txt\ndir/gone.txt\n");
            Cli r = push(protocol, list, work.resolve("src"), url[0]);
            assertEquals(23, r.exitCode(), r::toString);
            assertTrue(r.toString().contains("File name too long"), r::toString);
        }
        assertEquals("new", Files.readString(mod.resolve("dir/new.txt")));
        assertFalse(Files.exists(mod.resolve("dir/gone.txt")), "the deletion in the same set was skipped");
    }

    /**
     * Inside a tree of the set, a directory that cannot be listed (here below a path longer than PATH_MAX: the
     * tests run as root) is reported and protected on the target, with everything in it; it does not stop the
     * deletions of the rest of the set, as rsync's io_error would.
     */
    @ParameterizedTest(name = "{0} daemon, protocol {1}")
    @CsvSource({"stock, 32", "ours, 32"})
    void aDirectoryOfATreeThatCannotBeListedIsProtectedAndTheRestLands(String kind, int protocol) throws Exception {
        Path src = Files.createDirectories(work.resolve("src/tree"));
        Path mod = Files.createDirectories(work.resolve("mod"));
        try {
            protectsWhatCannotBeListed(kind, protocol, src, mod);
        } finally { // java.nio.file cannot delete what lies past PATH_MAX; rm walks down with openat
            Process rm = new ProcessBuilder("rm", "-rf", work.resolve("src").toString(), mod.toString()).start();
            assertTrue(rm.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    private void protectsWhatCannotBeListed(String kind, int protocol, Path src, Path mod) throws Exception {
        Files.writeString(src.resolve("gone.txt"), "old");
        Files.writeString(src.resolve("x"), "x");
        String[] url = new String[1];
        try (AutoCloseable t = target(kind, mod, url)) {
            pushWholeTree(protocol, url[0]);
            Files.delete(src.resolve("gone.txt"));
            Files.writeString(src.resolve("x"), "x2");
            // 17 levels of 250-byte names: the deepest directories lie past PATH_MAX (4096 bytes), on both sides
            String deep = "d=$(printf 'n%.0s' $(seq 249)); for i in $(seq 17); do mkdir \"$d$i\" && cd \"$d$i\""
                    + " || exit 1; done; echo kept > leaf";
            for (Path top : new Path[] {src, Files.createDirectories(mod.resolve("tree"))}) {
                Process p = new ProcessBuilder("bash", "-c", "cd \"$1\" && " + deep, "deep", top.toString())
                        .inheritIO().start();
                assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0);
            }
            Path list = Files.writeString(work.resolve("list"), "tree/\n");
            Cli r = push(protocol, list, work.resolve("src"), url[0]);
            assertEquals(23, r.exitCode(), r::toString);
            assertTrue(r.toString().contains("File name too long"), r::toString);
        }
        assertEquals("x2", Files.readString(mod.resolve("tree/x")));
        assertFalse(Files.exists(mod.resolve("tree/gone.txt")), "the deletion in the same tree was skipped");
        Process kept = new ProcessBuilder("bash", "-c", "cd \"$1\" && cd n* && for i in $(seq 16); do cd n* || exit 1;"
                + " done; cat leaf", "kept", mod.resolve("tree").toString()).start();
        assertTrue(kept.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("kept\n", new String(kept.getInputStream().readAllBytes()), "what could not be listed went");
    }
}
