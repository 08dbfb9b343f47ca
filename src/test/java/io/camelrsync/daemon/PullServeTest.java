package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stock rsync client pulls from our daemon (a restore: `rsync -aH backup::app/ /app/`), refereed by the same
 * pull from a stock daemon serving the same tree: same exit code, same tree, entry by entry.
 */
class PullServeTest {
    @TempDir
    Path work;
    Path module;
    RsyncDaemon stock;
    DaemonServer ours;
    final List<String> ourLog = new CopyOnWriteArrayList<>();

    void start(String... moduleLines) throws Exception {
        module = Files.createDirectories(work.resolve("module"));
        String conf = "[m]\npath = " + module + "\nread only = yes\nuid = root\ngid = root\nuse chroot = no\n"
                + "munge symlinks = no\n" + String.join("\n", moduleLines) + "\n";
        stock = RsyncDaemon.start(work.resolve("stock"), conf);
        Path ourConf = work.resolve("ours.conf");
        Files.writeString(ourConf, conf);
        ours = new DaemonServer(RsyncdConf.read(ourConf), ourLog::add, s -> { });
        ours.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() throws Exception {
        if (ours != null) {
            ours.close();
        }
        if (stock != null) {
            stock.close();
        }
    }

    void tree() throws Exception {
        Files.createDirectories(module.resolve("sub/deep"));
        Files.writeString(module.resolve("a.txt"), "hello");
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        Files.write(module.resolve("sub/big.bin"), big);
        Files.createLink(module.resolve("sub/hard.txt"), module.resolve("a.txt"));
        Files.createSymbolicLink(module.resolve("link"), Path.of("a.txt"));
        Files.writeString(module.resolve("sub/deep/x.log"), "a log");
        Files.writeString(module.resolve("sub/deep/y"), "y");
    }

    record Run(int exit, String output) {
    }

    Run rsync(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(work, "rsync", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("rsync did not finish: " + cmd + "\n" + Files.readString(log) + ourLog);
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    String ourUrl(String path) {
        return "rsync://127.0.0.1:" + ours.port() + "/" + path;
    }

    /** The same pull from both daemons into dirs of their own: same exit code, same trees. */
    Run both(String path, String dest, String... options) throws Exception {
        Path refDest = Files.createDirectories(work.resolve("ref")).resolve(dest);
        Path ourDest = Files.createDirectories(work.resolve("ours")).resolve(dest);
        List<String> a = new ArrayList<>(List.of(options));
        a.add(stock.url(path));
        a.add(refDest + "/");
        Run referee = rsync(a.toArray(String[]::new));
        a.set(a.size() - 2, ourUrl(path));
        a.set(a.size() - 1, ourDest + "/");
        Run ourRun = rsync(a.toArray(String[]::new));
        String context = "\n--- from the stock daemon ---\n" + referee.output() + "\n--- from ours ---\n"
                + ourRun.output() + "\n--- our log ---\n" + String.join("\n", ourLog);
        assertEquals(referee.exit(), ourRun.exit(), "exit codes differ" + context);
        if (Files.exists(refDest)) {
            TreeSnapshot.assertSameTree(refDest, ourDest);
        } else {
            assertFalse(Files.exists(ourDest) && Files.list(ourDest).findAny().isPresent(), context);
        }
        return new Run(ourRun.exit(), ourRun.output() + context);
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    @Timeout(120)
    void aWholeModuleIsRestoredWithLinksAndHardLinks(int protocol) throws Exception {
        start();
        tree();
        Run r = both("m/", "all", "-aH", "--protocol=" + protocol);
        assertEquals(0, r.exit(), r.output());
        TreeSnapshot.assertSameTree(module, work.resolve("ours/all"));
        Path out = work.resolve("ours/all");
        assertEquals(Files.getAttribute(out.resolve("a.txt"), "unix:ino"),
                Files.getAttribute(out.resolve("sub/hard.txt"), "unix:ino"), "hard links stay linked");
        assertTrue(Files.isSymbolicLink(out.resolve("link")));
    }

    /**
     * -c: the daemon lists each file's checksum, so a same-size rewrite that kept its mtime is found (and only
     * with -c: the quick check passes it by), from our daemon as from the stock one.
     */
    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    @Timeout(120)
    void checksumPullsFindASameSizeSameTimeRewrite(int protocol) throws Exception {
        start();
        tree();
        assertEquals(0, both("m/", "c", "-a", "--protocol=" + protocol).exit());
        java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(module.resolve("sub/deep/x.log"));
        Files.writeString(module.resolve("sub/deep/x.log"), "b log"); // same size
        Files.setLastModifiedTime(module.resolve("sub/deep/x.log"), t);
        Run quick = both("m/", "c", "-a", "--protocol=" + protocol);
        assertEquals(0, quick.exit(), quick.output());
        assertEquals("a log", Files.readString(work.resolve("ours/c/sub/deep/x.log")), "the quick check skips it");
        Run checked = both("m/", "c", "-ac", "--protocol=" + protocol);
        assertEquals(0, checked.exit(), checked.output());
        assertEquals("b log", Files.readString(work.resolve("ours/c/sub/deep/x.log")), checked.output());
    }

    /** A second pull after an edit in the middle of a big file sends only the delta. */
    @Test
    @Timeout(120)
    void aChangedFileComesAsADelta() throws Exception {
        start();
        tree();
        assertEquals(0, both("m/", "d", "-a").exit());
        byte[] big = Files.readAllBytes(module.resolve("sub/big.bin"));
        big[150_000] ^= 1;
        Files.write(module.resolve("sub/big.bin"), big);
        Files.setLastModifiedTime(module.resolve("sub/big.bin"), java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(module.resolve("sub/big.bin")).toMillis() + 10_000)); // past the quick check
        Run r = both("m/", "d", "-a", "--stats");
        assertEquals(0, r.exit(), r.output());
        String ourStats = r.output().substring(0, r.output().indexOf("--- from the stock daemon"));
        assertTrue(ourStats.contains("Matched data: 29"), "most of the file was matched: " + ourStats);
    }

    @Test
    @Timeout(120)
    void aSubdirectoryItsContentsOneFileAndAListingAsTheStockDaemonServesThem() throws Exception {
        start();
        tree();
        assertEquals(0, both("m/sub/", "contents", "-a").exit());
        assertEquals(0, both("m/sub", "itself", "-a").exit());
        assertTrue(Files.isDirectory(work.resolve("ours/itself/sub/deep")));
        assertEquals(0, both("m/a.txt", "one", "-a").exit());
        Run listing = rsync(ourUrl("m/"));
        assertEquals(0, listing.exit(), listing.output());
        for (String name : List.of(" .\n", " a.txt\n", " link\n", " sub\n")) {
            assertTrue(listing.output().contains(name), name + " is listed: " + listing.output());
        }
        assertFalse(listing.output().contains("big.bin"), "-d lists one level: " + listing.output());
        assertNotEquals(0, both("m/missing", "missing", "-a").exit());
    }

    /** The client's --exclude and --delete, and the module's exclude, apply as with a stock daemon. */
    @Test
    @Timeout(120)
    void filtersAndDeletionsOfTheClientAndTheModulesExcludes() throws Exception {
        start("exclude = /sub/deep/y");
        tree();
        for (String side : List.of("ref", "ours")) {
            Path d = Files.createDirectories(work.resolve(side + "/f"));
            Files.writeString(d.resolve("extra.txt"), "only here: --delete removes it");
        }
        Run r = both("m/", "f", "-a", "--delete", "--exclude=*.log");
        assertEquals(0, r.exit(), r.output());
        Path out = work.resolve("ours/f");
        assertFalse(Files.exists(out.resolve("extra.txt")));
        assertFalse(Files.exists(out.resolve("sub/deep/x.log")), "the client's exclude");
        assertFalse(Files.exists(out.resolve("sub/deep/y")), "the module's exclude");
        assertTrue(Files.exists(out.resolve("sub/big.bin")));
    }

    /** A directory the module excludes ("secret/", a rule for directories) cannot be asked for by name. */
    @Test
    @Timeout(60)
    void aDirectoryTheModuleExcludesIsNotServedByName() throws Exception {
        start("exclude = secret/");
        tree();
        Files.createDirectories(module.resolve("secret"));
        Files.writeString(module.resolve("secret/key"), "not for pulling");
        Path dest = Files.createDirectories(work.resolve("ours")).resolve("secret");
        Run r = rsync("-a", ourUrl("m/secret/"), dest + "/");
        assertEquals(23, r.exit(), r.output());
        assertTrue(r.output().contains("the module excludes it"), r.output());
        assertFalse(Files.exists(dest.resolve("key")));
    }

    @Test
    @Timeout(60)
    void aWriteOnlyModuleRefusesPulls() throws Exception {
        start("write only = yes");
        tree();
        Run r = both("m/", "w", "-a");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("ERROR: module is write only"), r.output());
    }

    /**
     * The module's "refuse options" hold for pulls too, as stock rsyncd applies them: -z is refused (same text,
     * exit 4); --delete is the pulling client's own and never reaches the daemon, so nothing refuses it.
     */
    @Test
    @Timeout(60)
    void refusedOptionsOfAPull() throws Exception {
        start("refuse options = delete compress");
        tree();
        Run delete = both("m/", "r", "-a", "--delete");
        assertEquals(0, delete.exit(), delete.output());
        // stock rsyncd exits 4 (RERR_UNSUPPORTED) too, but its reset often reaches the client first (exit 10)
        Run theirs = rsync("-az", stock.url("m/"), work.resolve("r-stock") + "/");
        Run ours = rsync("-az", ourUrl("m/"), work.resolve("r-ours") + "/");
        for (Run r : List.of(theirs, ours)) {
            assertTrue(r.output().contains("The server is configured to refuse --compress (-z)"), r.output());
        }
        assertTrue(theirs.exit() == 4 || theirs.exit() == 10, theirs.output());
        assertEquals(4, ours.exit(), ours.output());
    }

    /** A checksum the client forces (--checksum-choice, block and file sums apart) serves the same tree. */
    @ParameterizedTest(name = "--cc={0}")
    @ValueSource(strings = {"md5", "xxh64", "xxh3", "xxh128", "xxh128,md5"})
    @Timeout(60)
    void aChecksumChoiceOfTheClient(String choice) throws Exception {
        start();
        tree();
        Run r = both("m/", "cc", "-aH", "--checksum-choice=" + choice);
        assertEquals(0, r.exit(), r.output());
        TreeSnapshot.assertSameTree(module, work.resolve("ours/cc"));
        Run checked = both("m/", "cc", "-aHc", "--checksum-choice=" + choice); // -c: the file sums in the list
        assertEquals(0, checked.exit(), checked.output());
    }

    /**
     * Several paths in one pull (main.c do_server_sender's arguments): a directory's contents, a file, a
     * directory itself and a symlink arrive as one merged list, as from the stock daemon; a missing one is
     * reported (exit 23) and the others still arrive.
     */
    @Test
    @Timeout(60)
    void severalPathsInOnePull() throws Exception {
        start();
        tree();
        Files.createDirectories(work.resolve("ref"));
        Files.createDirectories(work.resolve("ours"));
        for (boolean missing : new boolean[] {false, true}) {
            String dest = missing ? "some" : "all";
            List<Run> runs = new ArrayList<>();
            for (String base : List.of(stock.url(""), ourUrl(""))) {
                List<String> a = new ArrayList<>(List.of("-aH", base + "m/sub/deep/", base + "m/a.txt",
                        base + "m/sub", base + "m/link"));
                if (missing) {
                    a.add(base + "m/none");
                }
                a.add(work.resolve((base.equals(stock.url("")) ? "ref/" : "ours/") + dest) + "/");
                runs.add(rsync(a.toArray(String[]::new)));
            }
            String context = runs.get(0).output() + "\n--- ours ---\n" + runs.get(1).output();
            assertEquals(missing ? 23 : 0, runs.get(0).exit(), context);
            assertEquals(runs.get(0).exit(), runs.get(1).exit(), context);
            TreeSnapshot.assertSameTree(work.resolve("ref/" + dest), work.resolve("ours/" + dest));
            assertTrue(Files.exists(work.resolve("ours/" + dest + "/sub/big.bin")), context);
            assertTrue(Files.exists(work.resolve("ours/" + dest + "/x.log")), context);
        }
    }

    /** A path through a symlink is refused, never followed out of the module (stock rsync follows it). */
    @Test
    @Timeout(60)
    void aSymlinkedDirectoryInThePathIsNeverFollowed() throws Exception {
        start();
        tree();
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "not in the module");
        Files.createSymbolicLink(module.resolve("escape"), outside);
        Path dest = Files.createDirectories(work.resolve("ours")).resolve("escape");
        Run r = rsync("-a", ourUrl("m/escape/"), dest + "/");
        assertEquals(3, r.exit(), r.output());
        assertTrue(r.output().contains("never followed"), r.output());
        assertFalse(Files.exists(dest.resolve("secret")));
        r = rsync("-a", ourUrl("m/escape/secret"), dest + "/");
        assertNotEquals(0, r.exit(), r.output());
        assertFalse(Files.exists(dest.resolve("secret")));
        // the symlink itself is served as a symlink
        assertEquals(0, rsync("-a", ourUrl("m/"), work.resolve("ours/whole") + "/").exit());
        assertTrue(Files.isSymbolicLink(work.resolve("ours/whole/escape")));
    }
}
