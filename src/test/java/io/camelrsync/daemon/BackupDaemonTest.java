package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTreeExceptDirTimes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.testing.Cli;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * -b, --backup-dir and --suffix received by our daemon (backup.c, delete.c, options.c). The stock daemon is the
 * referee: the stock client pushes the same changes into both, and exit codes and module trees must agree
 * (directory times inside a backup tree are the clock's, so they are left out). Then what only our daemon must
 * also survive: backup dirs that try to leave the module, by name or through a symlink.
 */
class BackupDaemonTest {
    private static final FileTime T1 = FileTime.from(Instant.parse("2021-01-01T10:00:00Z"));
    private static final FileTime T2 = FileTime.from(Instant.parse("2022-02-02T10:00:00Z"));
    private static final FileTime T3 = FileTime.from(Instant.parse("2023-03-03T10:00:00Z"));

    @TempDir
    Path work;
    Path src;
    Path stockModule;
    Path ourModule;
    RsyncDaemon stock;
    DaemonServer ours;
    final List<String> ourLog = new CopyOnWriteArrayList<>();

    record Run(int exit, String output) {
    }

    @AfterEach
    void stop() throws Exception {
        if (stock != null) {
            stock.close();
        }
        if (ours != null) {
            ours.close();
        }
    }

    /** Both daemons with the same module "m" (chrooted, as the stock default); ours alone when stock is false. */
    void start(boolean withStock, String... moduleLines) throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        stockModule = Files.createDirectories(work.resolve("stock/m"));
        ourModule = Files.createDirectories(work.resolve("ours/m"));
        if (withStock) {
            stock = RsyncDaemon.start(work.resolve("stock-daemon"), RsyncDaemon.module("m", stockModule,
                    moduleLines));
        }
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, RsyncDaemon.module("m", ourModule, moduleLines));
        ours = new DaemonServer(RsyncdConf.read(conf), ourLog::add, s -> { });
        ours.start("127.0.0.1", 0);
    }

    String ourUrl(String path) {
        return "rsync://127.0.0.1:" + ours.port() + "/" + path;
    }

    Run rsync(String url, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("rsync"));
        cmd.addAll(List.of(args));
        cmd.add(src + "/");
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rsync did not finish: " + cmd);
        return new Run(p.exitValue(), out);
    }

    /** The same push into both daemons (module path {@code path}); same exit code, same trees. */
    Run both(String path, String backupTree, String... args) throws Exception {
        Run referee = rsync(stock.url(path), args);
        Run ourRun = rsync(ourUrl(path), args);
        String context = "\n--- stock client into stock daemon ---\n" + referee.output()
                + "\n--- stock client into ours ---\n" + ourRun.output() + "\n--- our log ---\n"
                + String.join("\n", ourLog);
        assertEquals(referee.exit(), ourRun.exit(), "exit codes differ" + context);
        assertSameTreeExceptDirTimes(stockModule, ourModule, backupTree);
        return new Run(ourRun.exit(), ourRun.output() + context);
    }

    void write(String rel, String text, FileTime time) throws Exception {
        Path p = src.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        Files.setLastModifiedTime(p, time);
    }

    /** A tree with something of every kind that a push can replace or delete. */
    void firstTree() throws Exception {
        write("keep.txt", "unchanged\n", T1);
        write("edit.txt", "version 1\n", T1);
        write("gone.txt", "deleted later\n", T1);
        write("d/f.txt", "in a deleted directory\n", T1);
        write("d/e/deep.txt", "deeper in it\n", T1);
        write("sub/inner.txt", "inner 1\n", T1);
        Files.setPosixFilePermissions(src.resolve("sub"), PosixFilePermissions.fromString("rwxr-x---"));
        write("dir2file/x.txt", "a directory that becomes a file\n", T1);
        write("file2dir", "a file that becomes a directory\n", T1);
        write("file2link", "a file that becomes a symlink\n", T1);
        Files.createSymbolicLink(src.resolve("link"), Path.of("keep.txt"));
        Files.setLastModifiedTime(src.resolve("d"), T1);
    }

    /** Every kind of change to {@link #firstTree()}. */
    void changeEverything(String edit) throws Exception {
        write("edit.txt", edit, T2);
        write("sub/inner.txt", "inner " + edit, T2);
        Files.delete(src.resolve("gone.txt"));
        deleteTree(src.resolve("d"));
        deleteTree(src.resolve("dir2file"));
        write("dir2file", "now a file\n", T2);
        Files.delete(src.resolve("file2dir"));
        write("file2dir/y.txt", "now a directory\n", T2);
        Files.delete(src.resolve("file2link"));
        Files.createSymbolicLink(src.resolve("file2link"), Path.of("edit.txt"));
        Files.delete(src.resolve("link"));
        Files.createSymbolicLink(src.resolve("link"), Path.of("edit.txt"));
    }

    static void deleteTree(Path p) throws Exception {
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 32})
    @Timeout(120)
    void backupDirKeepsWhatIsReplacedOrDeletedAsTheStockDaemonDoes(int protocol) throws Exception {
        start(true);
        firstTree();
        String p = "--protocol=" + protocol;
        assertEquals(0, both("m", ".trash", "-a", "--delete", p).exit());
        changeEverything("version 2\n");
        Run r = both("m", ".trash", "-av", "--delete", p, "--backup-dir=.trash", "--suffix=.old",
                "--exclude=/.trash/");
        assertEquals(0, r.exit(), r.output());
        Path trash = ourModule.resolve(".trash");
        assertEquals("version 1\n", Files.readString(trash.resolve("edit.txt.old")), r.output());
        assertEquals("inner 1\n", Files.readString(trash.resolve("sub/inner.txt.old")));
        assertEquals("in a deleted directory\n", Files.readString(trash.resolve("d/f.txt.old")));
        assertEquals("deeper in it\n", Files.readString(trash.resolve("d/e/deep.txt.old")));
        assertEquals("a directory that becomes a file\n", Files.readString(trash.resolve("dir2file/x.txt.old")));
        assertEquals("a file that becomes a directory\n", Files.readString(trash.resolve("file2dir.old")));
        assertEquals(Path.of("keep.txt"), Files.readSymbolicLink(trash.resolve("link.old")));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(trash.resolve("sub"))),
                "a directory of the backup tree takes the mode of the one it stands for");
        assertEquals("version 2\n", Files.readString(ourModule.resolve("edit.txt")));
        assertFalse(Files.exists(ourModule.resolve("d")));

        // again: the excluded trash is protected from --delete, and the newest backup of a name wins
        write("edit.txt", "version 3\n", T3);
        r = both("m", ".trash", "-a", "--delete", p, "--backup-dir=.trash", "--suffix=.old", "--exclude=/.trash/");
        assertEquals(0, r.exit(), r.output());
        assertEquals("version 2\n", Files.readString(trash.resolve("edit.txt.old")));
        assertTrue(Files.exists(trash.resolve("d/e/deep.txt.old")));
    }

    @Test
    @Timeout(120)
    void backupBesideTheFileWithTheDefaultTilde() throws Exception {
        start(true);
        firstTree();
        assertEquals(0, both("m", "", "-a", "--delete").exit());
        changeEverything("version 2\n");
        // "dir2file" cannot be made way for: its x.txt~ stays in it, so both exit 23 (could not make way)
        Run r = both("m", "", "-a", "--delete", "-b");
        assertEquals(23, r.exit(), r.output());
        assertEquals("version 1\n", Files.readString(ourModule.resolve("edit.txt~")));
        assertEquals("in a deleted directory\n", Files.readString(ourModule.resolve("d/f.txt~")));
        assertEquals("deeper in it\n", Files.readString(ourModule.resolve("d/e/deep.txt~")));
        assertEquals(Path.of("keep.txt"), Files.readSymbolicLink(ourModule.resolve("link~")));
        assertTrue(r.output().contains("cannot delete non-empty directory: d"), r.output());

        // the client's "P *~" rule protects the backups from the next --delete; an old backup is replaced
        write("edit.txt", "version 3\n", T3);
        r = both("m", "", "-a", "--delete", "-b");
        assertEquals("version 2\n", Files.readString(ourModule.resolve("edit.txt~")), r.output());
        assertTrue(Files.exists(ourModule.resolve("d/e/deep.txt~")));
    }

    @Test
    @Timeout(120)
    void suffixOfOurOwnWithoutDeleteAndAbsoluteAndRelativeDirsBelowADestinationPath() throws Exception {
        start(true);
        firstTree();
        assertEquals(0, both("m/site", "", "-a").exit());
        write("edit.txt", "version 2\n", T2);
        Run r = both("m/site", "", "-a", "-b", "--suffix=.bak");
        assertEquals(0, r.exit(), r.output());
        assertEquals("version 1\n", Files.readString(ourModule.resolve("site/edit.txt.bak")));

        // absolute: from the module's root; relative: from the destination
        write("edit.txt", "version 3\n", T3);
        r = both("m/site", "trash", "-a", "--backup-dir=/trash/today");
        assertEquals(0, r.exit(), r.output());
        assertEquals("version 2\n", Files.readString(ourModule.resolve("trash/today/edit.txt")));
        write("sub/inner.txt", "inner 3\n", T3);
        // stock rsync sets "site"'s time when its incremental list is done, then its receiver makes "old" in
        // it: the time it ends with is the clock's. Ours sets every directory's time once all files are in.
        r = both("m/site", "", "-a", "--backup-dir=old");
        assertEquals(0, r.exit(), r.output());
        assertEquals("inner 1\n", Files.readString(ourModule.resolve("site/old/sub/inner.txt")));
        assertEquals(Files.getLastModifiedTime(src), Files.getLastModifiedTime(ourModule.resolve("site")));
    }

    @Test
    @Timeout(60)
    void refusedAsRsyncRefusesIt() throws Exception {
        start(true, "refuse options = backup");
        write("f", "x\n", T1);
        Run r = both("m", "", "-a", "-b");
        assertEquals(4, r.exit(), r.output());
        assertTrue(r.output().contains("The server is configured to refuse --backup (-b)"), r.output());
    }

    // ------------------------------------------------------------------ ours only: escapes

    Path sentinel;

    /** Our daemon alone, not chrooted (the tutorials' setup), a sentinel tree beside the module, one push done. */
    void startConfined() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        ourModule = Files.createDirectories(work.resolve("module"));
        sentinel = Files.createDirectories(work.resolve("outside"));
        Files.writeString(sentinel.resolve("edit.txt"), "the sentinel's own\n");
        Files.createDirectories(sentinel.resolve("sub"));
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, "[m]\npath = " + ourModule + "\nread only = no\nuid = root\ngid = root\n"
                + "use chroot = no\n");
        ours = new DaemonServer(RsyncdConf.read(conf), ourLog::add, s -> { });
        ours.start("127.0.0.1", 0);
        write("edit.txt", "version 1\n", T1);
        write("sub/inner.txt", "inner 1\n", T1);
        assertEquals(0, rsync(ourUrl("m"), "-a").exit());
        write("edit.txt", "version 2\n", T2);
        write("sub/inner.txt", "inner 2\n", T2);
    }

    String sentinelState() throws Exception {
        return TreeSnapshot.of(sentinel).entries().toString();
    }

    @ParameterizedTest(name = "--backup-dir={0}")
    @ValueSource(strings = {"../outside", "../../outside", "sub/../../outside", "ABSOLUTE"})
    @Timeout(60)
    void aBackupDirNamedOutsideTheModuleStaysInside(String dir) throws Exception {
        startConfined();
        String before = sentinelState();
        String given = dir.equals("ABSOLUTE") ? sentinel.toString() : dir;
        Run r = rsync(ourUrl("m"), "-a", "--backup-dir=" + given);
        assertEquals(0, r.exit(), r.output() + ourLog);
        assertEquals(before, sentinelState(), "nothing may change outside the module");
        // sanitize_path: ".." that would climb out is dropped; an absolute path starts at the module's root
        Path inside = dir.equals("ABSOLUTE") ? ourModule.resolve(sentinel.toString().substring(1))
                : ourModule.resolve("outside");
        assertEquals("version 1\n", Files.readString(inside.resolve("edit.txt")), r.output());
        assertEquals("inner 1\n", Files.readString(inside.resolve("sub/inner.txt")));
        assertEquals("version 2\n", Files.readString(ourModule.resolve("edit.txt")));
    }

    @ParameterizedTest(name = "--backup-dir={0}")
    @ValueSource(strings = {"..", "../..", "/"})
    @Timeout(60)
    void aBackupDirThatIsTheDestinationItselfIsRefused(String dir) throws Exception {
        startConfined();
        Run r = rsync(ourUrl("m"), "-a", "--backup-dir=" + dir);
        assertEquals(4, r.exit(), r.output());
        assertTrue(r.output().contains("--suffix cannot be empty when --backup-dir is the same as the dest dir"),
                r.output());
        assertEquals("version 1\n", Files.readString(ourModule.resolve("edit.txt")), "nothing is replaced");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"trash", "bak/in"})
    @Timeout(60)
    void aBackupDirThroughASymlinkIsRefusedNotFollowed(String dir) throws Exception {
        startConfined();
        Files.createDirectories(ourModule.resolve(dir).getParent());
        Files.createSymbolicLink(ourModule.resolve(dir), dir.contains("/") ? Path.of("../../outside") : sentinel);
        String before = sentinelState();
        Run r = rsync(ourUrl("m"), "-a", "--delete", "--backup-dir=" + dir);
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("goes through a symlink"), r.output());
        assertEquals(before, sentinelState());
        assertEquals("version 1\n", Files.readString(ourModule.resolve("edit.txt")), "nothing is replaced");
        assertTrue(Files.isSymbolicLink(ourModule.resolve(dir)));
    }

    @Test
    @Timeout(60)
    void symlinksInsideTheBackupTreeAreReplacedNotFollowed() throws Exception {
        startConfined();
        Path trash = Files.createDirectories(ourModule.resolve("trash"));
        Files.createSymbolicLink(trash.resolve("sub"), sentinel.resolve("sub")); // where sub/inner.txt's backup goes
        Files.createSymbolicLink(trash.resolve("edit.txt"), sentinel.resolve("edit.txt")); // edit.txt's backup name
        String before = sentinelState();
        Run r = rsync(ourUrl("m"), "-a", "--backup-dir=trash");
        assertEquals(0, r.exit(), r.output() + ourLog);
        assertEquals(before, sentinelState());
        assertTrue(Files.isDirectory(trash.resolve("sub"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("inner 1\n", Files.readString(trash.resolve("sub/inner.txt")));
        assertFalse(Files.isSymbolicLink(trash.resolve("edit.txt")));
        assertEquals("version 1\n", Files.readString(trash.resolve("edit.txt")));
    }

    @Test
    @Timeout(60)
    void ourClientsEscapedBackupDirArrivesAsNamed() throws Exception {
        startConfined();
        Cli c = Cli.run("push", "-a", "--backup-dir=old files [*]", "--suffix=;v1", src + "/", ourUrl("m"));
        assertEquals(0, c.exitCode(), c.toString() + ourLog);
        assertEquals("version 1\n", Files.readString(ourModule.resolve("old files [*]/edit.txt;v1")));
    }
}
