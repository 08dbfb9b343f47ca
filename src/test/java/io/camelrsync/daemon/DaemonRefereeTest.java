package io.camelrsync.daemon;

import static io.camelrsync.testing.TreeSnapshot.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.client.PushInteropTest;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.receiver.ReceiveStats;
import io.camelrsync.testing.RsyncDaemon;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stock rsync daemon is the referee: the stock client runs the same command into a stock daemon and into
 * ours, both configured with the same module parameters. Exit codes must agree and the two module trees must
 * be identical entry by entry (type, bytes, mode, mtime, owner, link target, hard-link groups).
 */
class DaemonRefereeTest {
    @TempDir
    Path work;
    Path src;
    Path stockModule;
    Path ourModule;
    RsyncDaemon stock;
    DaemonServer ours;
    final List<DaemonServer.Session> sessions = new CopyOnWriteArrayList<>();
    final List<String> ourLog = new CopyOnWriteArrayList<>();

    record Run(int exit, String output) {
    }

    void start(String... moduleLines) throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        stockModule = Files.createDirectories(work.resolve("stock/m"));
        ourModule = Files.createDirectories(work.resolve("ours/m"));
        stock = RsyncDaemon.start(work.resolve("stock-daemon"), RsyncDaemon.module("m", stockModule, moduleLines));
        Path conf = work.resolve("ours.conf");
        Files.writeString(conf, RsyncDaemon.module("m", ourModule, moduleLines));
        ours = new DaemonServer(RsyncdConf.read(conf), ourLog::add, sessions::add);
        ours.start("127.0.0.1", 0);
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

    /** The same push into both daemons; same exit code and identical trees. Returns our run. */
    Run both(String... args) throws Exception {
        return bothExcept(null, args);
    }

    /** Like {@link #both}, with a known difference of the stock daemon's removed before comparing. */
    Run bothExcept(String stockOnlyEmptyDir, String... args) throws Exception {
        Run referee = rsync(stock.url("m"), args);
        if (stockOnlyEmptyDir != null) {
            Files.delete(stockModule.resolve(stockOnlyEmptyDir));
        }
        Run ourRun = rsync("rsync://127.0.0.1:" + ours.port() + "/m", args);
        String context = "\n--- stock client into stock daemon ---\n" + referee.output()
                + "\n--- stock client into ours ---\n" + ourRun.output() + "\n--- our log ---\n"
                + String.join("\n", ourLog);
        assertEquals(referee.exit(), ourRun.exit(), "exit codes differ" + context);
        assertSameTree(stockModule, ourModule);
        return new Run(ourRun.exit(), ourRun.output() + context);
    }

    void editMiddle(Path file, String text) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(f.length() / 2);
            f.write(text.getBytes(StandardCharsets.US_ASCII));
        }
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void compressedTreeThenCompressedDelta(int protocol) throws Exception {
        start();
        PushInteropTest.buildRichTree(src);
        Run first = both("-avzH", "-D", "--delete", "--protocol=" + protocol);
        assertEquals(0, first.exit(), first.output());

        editMiddle(src.resolve("a/b/blob.bin"), "edited while compressed");
        Files.writeString(src.resolve("a/b/blob.bin"), "appended", java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(src.resolve("a/new.txt"), "new ".repeat(10_000)); // compresses well
        Files.delete(src.resolve("pair-1"));
        sessions.clear();
        Run second = both("-avzH", "-D", "--delete", "--protocol=" + protocol);
        assertEquals(0, second.exit(), second.output());
        ReceiveStats s = sessions.get(0).stats();
        assertTrue(s.matchedBytes > 900_000 && s.literalBytes < 100_000,
                "the edit must travel as a delta: " + s.literalBytes + " literal, " + s.matchedBytes + " matched");
    }

    @ParameterizedTest(name = "--zc={0}")
    @ValueSource(strings = {"zlib", "zlibx", "zstd", "lz4"})
    void eachCompressorForcedByTheClient(String choice) throws Exception {
        start();
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo"));
        assertEquals(0, both("-aH", "--zc=" + choice).exit());
        for (int i = 0; i < 3; i++) { // matched blocks between literal runs: zlib must see them in its window
            editMiddle(src.resolve("a/b/blob.bin"), "edit " + i + " ".repeat(i * 3000));
            assertEquals(0, both("-aH", "--zc=" + choice).exit());
        }
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {30, 31, 32})
    void checksumModeFindsSameSizeSameTimeChanges(int protocol) throws Exception {
        start();
        Files.createDirectories(src);
        FileTime t = FileTime.from(Instant.parse("2022-02-02T02:02:02Z"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(src.resolve("f" + i), "version one " + i);
            Files.setLastModifiedTime(src.resolve("f" + i), t);
        }
        assertEquals(0, both("-a", "--protocol=" + protocol).exit());
        Files.writeString(src.resolve("f2"), "VERSION ONE 2"); // same size, same mtime, other bytes
        Files.setLastModifiedTime(src.resolve("f2"), t);
        Run quick = both("-a", "--protocol=" + protocol);
        assertEquals("version one 2", Files.readString(ourModule.resolve("f2")), "the quick check skips it");
        Run summed = both("-ac", "--protocol=" + protocol);
        assertEquals(0, summed.exit(), summed.output());
        assertEquals("VERSION ONE 2", Files.readString(ourModule.resolve("f2")), quick.output() + summed.output());
    }

    @Test
    void clientExcludesSkipAndProtect() throws Exception {
        start();
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo"));
        Files.writeString(src.resolve("skip.tmp"), "never sent");
        Files.createDirectories(src.resolve("cache"));
        Files.writeString(src.resolve("cache/x"), "never sent");
        for (Path m : List.of(stockModule, ourModule)) {
            Files.writeString(m.resolve("kept.tmp"), "protected from --delete");
            Files.createDirectories(m.resolve("cache"));
            Files.writeString(m.resolve("cache/old"), "protected too");
            Files.writeString(m.resolve("stale"), "deleted");
            Files.setLastModifiedTime(m.resolve("cache"), FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        }
        Run r = both("-avH", "--delete", "--exclude=*.tmp", "--exclude=cache/");
        assertEquals(0, r.exit(), r.output());
        assertTrue(Files.exists(ourModule.resolve("kept.tmp")) && !Files.exists(ourModule.resolve("stale")));
    }

    @Test
    void moduleParametersShapeWhatArrives() throws Exception {
        start("incoming chmod = Fo-rwx,Dg+s", "exclude = secret/ *.bak", "munge symlinks = yes");
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo"));
        Files.createDirectories(src.resolve("secret"));
        Files.writeString(src.resolve("secret/key"), "the module excludes this");
        Files.writeString(src.resolve("a/old.bak"), "and this");
        // stock rsync 3.5 refuses "secret" yet leaves it behind as an empty directory; we create nothing
        Run r = bothExcept("secret", "-aH", "--delete");
        assertEquals(23, r.exit(), r.output());
        assertTrue(r.output().contains("daemon refused to receive"), r.output());
        assertFalse(Files.exists(ourModule.resolve("secret")));
        assertTrue(Files.readSymbolicLink(ourModule.resolve("rel-link")).toString().startsWith("/rsyncd-munged/"));
    }

    @Test
    void moduleUidAndGidOwnWhatArrives() throws Exception {
        start("uid = nobody", "gid = nogroup");
        for (Path m : List.of(stockModule, ourModule)) { // stock rsync writes as nobody: the module is theirs
            Files.setAttribute(m, "unix:uid", 65534);
            Files.setAttribute(m, "unix:gid", 65534);
        }
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo"));
        Files.setPosixFilePermissions(src.resolve("a/b/c"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rwx------"));
        Run r = both("-aH");
        assertEquals(0, r.exit(), r.output());
        assertEquals(65534, Files.getAttribute(ourModule.resolve("owned-by-4321"), "unix:uid"));
    }

    @Test
    void refusedOptionsAreReportedAsRsyncDoes() throws Exception {
        start("refuse options = compress delete");
        Files.createDirectories(src);
        Files.writeString(src.resolve("f"), "x");
        Run z = both("-az");
        assertTrue(z.output().contains("The server is configured to refuse --compress (-z)"), z.output());
        Run d = both("-a", "--delete-after");
        assertTrue(d.output().contains("The server is configured to refuse --delete-after"), d.output());
        assertEquals(0, both("-a").exit());
    }

    @Test
    void dryRunWritesNothingAndDeletesNothing() throws Exception {
        start();
        PushInteropTest.buildRichTree(src);
        for (Path m : List.of(stockModule, ourModule)) {
            Files.writeString(m.resolve("stale"), "stays in a dry run");
        }
        Run r = both("-avnH", "-D", "--delete");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("deleting stale") && r.output().contains("a/b/blob.bin"), r.output());
        try (Stream<Path> s = Files.list(ourModule)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void devicesFifosAndSocketsAsRoot() throws Exception {
        start();
        Files.createDirectories(src.resolve("dev"));
        Process mk = new ProcessBuilder("mknod", src.resolve("dev/null-like").toString(), "c", "1", "3").start();
        assertEquals(0, mk.waitFor(), "these tests run as root (CI does)");
        new ProcessBuilder("mknod", src.resolve("dev/loop-like").toString(), "b", "7", "200").start().waitFor();
        new ProcessBuilder("mkfifo", src.resolve("dev/fifo").toString()).start().waitFor();
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(src.resolve("dev/socket")));
        }
        Run r = both("-a");
        assertEquals(0, r.exit(), r.output());
        Run again = both("-a", "--delete"); // unchanged specials stay as they are
        assertEquals(0, again.exit(), again.output());
    }

    @Test
    void verboseClientsListWhatTheStockDaemonLists() throws Exception {
        start();
        PushInteropTest.buildRichTree(src);
        Files.delete(src.resolve("a/fifo"));
        Run referee = rsync(stock.url("m"), "-av");
        Run ourRun = rsync("rsync://127.0.0.1:" + ours.port() + "/m", "-av");
        assertEquals(names(referee.output()), names(ourRun.output()), referee.output() + "\n---\n" + ourRun.output());
        Run dryReferee = rsync(stock.url("m") + "/new", "-avn");
        Run dryOurs = rsync("rsync://127.0.0.1:" + ours.port() + "/m/new", "-avn");
        assertEquals(names(dryReferee.output()), names(dryOurs.output()));
        assertFalse(Files.exists(ourModule.resolve("new")), "a dry run creates no directory");
    }

    /** The item lines of a -v run: what the client names, without its own progress and totals. */
    private static java.util.Set<String> names(String output) {
        java.util.Set<String> lines = new java.util.TreeSet<>(List.of(output.split("\n")));
        lines.removeIf(l -> l.isBlank() || l.startsWith("sent ") || l.startsWith("total size")
                || l.startsWith("sending incremental") || l.startsWith("building file list"));
        return lines;
    }

    @Test
    void authUsersByGroupWithGroupPasswordsAndPerUserAccess() throws Exception {
        Path secrets = work.resolve("secrets");
        Files.writeString(secrets, "root:rootpw\n@nogroup:grouppw\n");
        Files.setPosixFilePermissions(secrets, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        start("auth users = @nogroup, r*:ro", "secrets file = " + secrets);
        Files.createDirectories(src);
        Files.writeString(src.resolve("f"), "x");
        Path pw = work.resolve("pw");
        Files.writeString(pw, "grouppw\n");
        Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        // nobody is in nogroup: in through the group's password
        assertEquals(0, bothAs("nobody", pw, "-a").exit());
        // root matches "r*:ro": its own password, and read only for it
        Files.writeString(pw, "rootpw\n");
        Run ro = bothAs("root", pw, "-a");
        assertTrue(ro.output().contains("module is read only"), ro.output());
        // a user in neither
        Run no = bothAs("daemon", pw, "-a");
        assertEquals(5, no.exit(), no.output());
    }

    Run bothAs(String user, Path passwordFile, String arg) throws Exception {
        Run referee = rsync("rsync://" + user + "@127.0.0.1:" + stock.port() + "/m", arg,
                "--password-file=" + passwordFile);
        Run ourRun = rsync("rsync://" + user + "@127.0.0.1:" + ours.port() + "/m", arg,
                "--password-file=" + passwordFile);
        String context = "\n--- stock ---\n" + referee.output() + "\n--- ours ---\n" + ourRun.output();
        assertEquals(referee.exit(), ourRun.exit(), "exit codes differ" + context);
        assertSameTree(stockModule, ourModule);
        return new Run(ourRun.exit(), ourRun.output() + context);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-a", "-az"})
    void largeFileWithSmallEditsTravelsAsADelta(String mode) throws Exception {
        start();
        Files.createDirectories(src);
        byte[] big = new byte[24 << 20]; // enough blocks for the generator to sum them in parallel slices
        new java.util.Random(7).nextBytes(big);
        Files.write(src.resolve("big.bin"), big);
        assertEquals(0, both(mode).exit());
        for (long at : new long[] {1000, 12 << 20, (24 << 20) - 10}) {
            try (RandomAccessFile f = new RandomAccessFile(src.resolve("big.bin").toFile(), "rw")) {
                f.seek(at);
                f.write("small edit".getBytes(StandardCharsets.US_ASCII));
            }
        }
        sessions.clear();
        assertEquals(0, both(mode).exit());
        ReceiveStats s = sessions.get(0).stats();
        assertTrue(s.literalBytes < 256 << 10, "three small edits: " + s.literalBytes + " literal bytes");
    }
}
