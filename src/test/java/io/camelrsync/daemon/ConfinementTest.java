package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.jna.Library;
import com.sun.jna.Native;
import io.camelrsync.daemon.EvilClient.Outcome;
import io.camelrsync.daemon.EvilClient.Request;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.testing.RsyncDaemon;
import io.camelrsync.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The daemon confines every write to its module (notes sections 6, 7 and 10): a hostile file list, a second
 * session and a local process racing the daemon must not make it create, change or delete anything beside the
 * module, nor read a file there for the client (CVE-2024-12087 and CVE-2024-12747 class).
 *
 * <p>Every test runs a module set up as rsync's tutorial does ({@code read only = no}, {@code use chroot = no})
 * once with {@code uid = root} and once with {@code uid = nobody}, beside a sentinel tree (a file, a directory
 * and a symlink) that the attacks aim at. Each ends with {@link #assertConfined()}: the sentinel is exactly as
 * it was, no session thread and no temporary file outlives the session, and a stock client is still served.
 */
class ConfinementTest {
    /** Threads a session starts and must take with it; the shared "rsyncd-finish" pool and Netty's are exempt. */
    private static final Set<String> SESSION_THREADS = Set.of("rsyncd-generator", "rsyncd-demux");
    /** rsync's temporary names: ".NAME.XXXXXX" beside the destination (find -regex, whole path). */
    private static final String TEMP_NAME_REGEX = ".*/\\.[^/]+\\.[A-Za-z0-9]{6}";
    private static final byte[] PWNED = "pwned\n".getBytes(StandardCharsets.US_ASCII);
    /** The hostile client's arguments: a recursive push with symlinks into the module's top. */
    private static final String PUSH = "--server -lre.LfxCIvu . m/";
    /** Levels of the deep list (rsync's names stay under MAXPATHLEN, 4,096 bytes). */
    private static final int DEPTH = 2047;

    @TempDir
    Path work;
    Path module;
    Sentinel sentinel;
    DaemonServer server;
    final List<String> log = new CopyOnWriteArrayList<>();
    private Set<Thread> threadsBefore;

    @BeforeEach
    void plant() throws IOException {
        RsyncDaemon.requireRsync();
        module = Files.createDirectories(work.resolve("module"));
        sentinel = Sentinel.plant(work.resolve("outside"));
        threadsBefore = sessionThreads();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ------------------------------------------------------------------ attack 1: one session, no race

    /**
     * A list holding {@code x/.} as a symlink to the sentinel, then entries below {@code x}: the daemon must not
     * create, overwrite or read anything through it. "x/-first" sorts before "x/.", so a daemon that checks a
     * directory once and remembers it has seen {@code x} as a real directory before the symlink replaces it (before
     * the fix it then created a file, a symlink and a directory in the sentinel, overwrote its file, and first sent
     * the client that file's block sums).
     */
    @ParameterizedTest(name = "uid = {0}, munge symlinks = {1}")
    @CsvSource({"root, yes", "root, no", "nobody, yes", "nobody, no"})
    @Timeout(60)
    void aSymlinkListedAsDotCannotRedirectTheEntriesBelowIt(String uid, String munge) throws Exception {
        startDaemon(uid, "munge symlinks = " + munge);
        Outcome o;
        try (EvilClient e = evil(PUSH)) {
            e.sendList(false, dir("."), dir("x"), file("x/-first", PWNED.length),
                    symlink("x/.", sentinel.root.toString()), symlink("x/s", "planted"),
                    file("x/" + Sentinel.FILE, PWNED.length), file("x/v1.txt", PWNED.length), dir("x/w"));
            o = e.serve(ndx -> PWNED);
        }
        sentinel.assertUntouched();
        for (Request r : o.requests()) {
            // the module is empty: any block sums the daemon sends describe a file outside it
            assertFalse(r.head() != null && r.head()[0] > 0, "the daemon sent the client block sums of a file "
                    + "outside the module (index " + r.ndx() + ", head " + Arrays.toString(r.head()) + ")");
        }
        assertToldAnError(o);
        assertConfined();
    }

    // ------------------------------------------------------------------ attack 2: two sessions

    /**
     * Session A lists {@code xs} and three files in it and holds back their data; session B, a stock client,
     * replaces {@code xs} with a symlink to the sentinel; then A sends the data. Nothing lands in the sentinel.
     */
    @ParameterizedTest(name = "uid = {0}")
    @ValueSource(strings = {"root", "nobody"})
    @Timeout(60)
    void aDirectoryTurnedIntoASymlinkByAnotherSessionIsNotFollowed(String uid) throws Exception {
        startDaemon(uid, "munge symlinks = no"); // stored verbatim, B's symlink really leads to the sentinel
        Path linkSrc = Files.createDirectories(work.resolve("session-b"));
        Files.createSymbolicLink(linkSrc.resolve("xs"), sentinel.root);
        Run[] b = new Run[1];
        try (EvilClient a = evil(PUSH)) {
            a.sendList(false, dir("."), dir("xs"), file("xs/f0", PWNED.length), file("xs/f1", PWNED.length),
                    file("xs/f2", PWNED.length));
            a.serve(ndx -> PWNED, false, (phase, requests) -> {
                if (phase == 0) {
                    assertEquals(3, requests.stream().filter(r -> r.head() != null).count(),
                            "precondition: session A was asked for xs/f0..f2 before B ran: " + requests);
                    b[0] = stock(List.of(), linkSrc, "m/");
                    assertTrue(Files.isSymbolicLink(module.resolve("xs")),
                            "precondition: session B replaced the directory xs with a symlink: " + b[0]);
                }
            });
        }
        sentinel.assertUntouched();
        assertConfined();
    }

    // ------------------------------------------------------------------ attack 3: a local race

    /**
     * While stock clients push into {@code d}, another thread swaps {@code d} with a symlink to the sentinel
     * (renameat2 RENAME_EXCHANGE) in a bounded loop. Whatever each push's result, nothing lands in, changes in or
     * vanishes from the sentinel, and no temporary file is left anywhere.
     */
    @ParameterizedTest(name = "uid = {0}")
    @ValueSource(strings = {"root", "nobody"})
    @Timeout(90)
    void aDirectorySwappedForASymlinkDuringPushesIsNeverFollowed(String uid) throws Exception {
        startDaemon(uid, "munge symlinks = no");
        Path src = Files.createDirectories(work.resolve("race-src/d"));
        for (int i = 0; i < 40; i++) {
            Files.writeString(src.resolve(String.format("f%03d.txt", i)), "small file " + i + "\n");
        }
        byte[] big = new byte[3 << 20]; // spills to a temporary file while it arrives
        new java.util.Random(1).nextBytes(big);
        Files.write(src.resolve("big0.bin"), big);
        Files.write(src.resolve("big1.bin"), big);
        Files.createDirectories(module.resolve("d"));

        Swapper swapper = new Swapper(module.resolve("d"));
        Thread t = new Thread(swapper, "confinement-swapper");
        List<Run> pushes = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        t.start();
        try {
            while (System.nanoTime() < end) {
                pushes.add(run(stockCommand(List.of("-I"), src.getParent(), "m/"), 20, false));
            }
        } finally {
            swapper.stop = true;
            t.join(5_000);
            swapper.restore();
        }
        assertTrue(swapper.swaps > 100, "precondition: the race ran (" + swapper.swaps + " swaps, "
                + swapper.failure + ")");
        sentinel.assertUntouched();
        assertEquals(List.of(), pushes.stream().filter(Run::timedOut).collect(Collectors.toList()),
                "a push during the race never finished");
        assertConfined();
    }

    // ------------------------------------------------------------------ symlinks

    /** --safe-links: a link that leaves the tree is not created (stock rsync says "ignoring unsafe symlink"). */
    @ParameterizedTest(name = "uid = {0}, munge symlinks {1}")
    @CsvSource({"root, unset", "root, no", "nobody, unset", "nobody, no"})
    @Timeout(60)
    void unsafeSymlinksAreNotCreatedWithSafeLinks(String uid, String munge) throws Exception {
        startDaemon(uid, munge.equals("unset") ? "" : "munge symlinks = " + munge);
        Path src = Files.createDirectories(work.resolve("links"));
        Files.writeString(src.resolve("file.txt"), "target\n");
        Files.createSymbolicLink(src.resolve("up"), Path.of("../../../etc"));
        Files.createSymbolicLink(src.resolve("abs"), Path.of("/etc"));
        Files.createSymbolicLink(src.resolve("sneaky"), Path.of("sub/../../../etc")); // CVE-2024-12088
        Files.createSymbolicLink(src.resolve("ok"), Path.of("file.txt"));
        Run r = stock(List.of("-v", "--safe-links"), src, "m/sl/");
        assertEquals(0, r.exit(), r.output());
        for (String unsafe : List.of("up", "abs", "sneaky")) {
            assertFalse(Files.exists(module.resolve("sl/" + unsafe), LinkOption.NOFOLLOW_LINKS),
                    "the unsafe symlink " + unsafe + " was created despite --safe-links: " + r.output());
        }
        assertEquals("target\n", Files.readString(module.resolve("sl/file.txt")));
        if (munge.equals("no")) { // munged targets are absolute, so stock rsync drops every link then
            assertEquals(Path.of("file.txt"), Files.readSymbolicLink(module.resolve("sl/ok")),
                    "a safe link is kept: " + r.output());
        }
        assertTrue((r.output() + String.join("\n", log)).contains("ignoring unsafe symlink"),
                "the skipped links are reported: " + r.output() + "\n" + String.join("\n", log));
        assertConfined();
    }

    /** Without chroot, symlinks are stored munged unless the module says "munge symlinks = no" (rsyncd.conf(5)). */
    @ParameterizedTest(name = "uid = {0}, munge symlinks {1}")
    @CsvSource({"root, unset, /rsyncd-munged/", "root, yes, /rsyncd-munged/", "root, no, ''",
        "nobody, unset, /rsyncd-munged/", "nobody, yes, /rsyncd-munged/", "nobody, no, ''"})
    @Timeout(60)
    void symlinksAreStoredMungedUnlessTheModuleSaysNo(String uid, String munge, String prefix) throws Exception {
        startDaemon(uid, munge.equals("unset") ? "" : "munge symlinks = " + munge);
        Path src = Files.createDirectories(work.resolve("links"));
        Files.writeString(src.resolve("file.txt"), "target\n");
        Map<String, String> links = Map.of("abs", "/etc/passwd", "rel", "../../outside", "plain", "file.txt");
        for (Map.Entry<String, String> l : links.entrySet()) {
            Files.createSymbolicLink(src.resolve(l.getKey()), Path.of(l.getValue()));
        }
        Run r = stock(List.of(), src, "m/ml/");
        assertEquals(0, r.exit(), r.output());
        for (Map.Entry<String, String> l : links.entrySet()) {
            assertEquals(prefix + l.getValue(), Files.readSymbolicLink(module.resolve("ml/" + l.getKey())).toString(),
                    "the stored target of " + l.getKey());
        }
        assertConfined();
    }

    // ------------------------------------------------------------------ names that alias another entry

    static Stream<Arguments> aliasingLists() {
        List<Arguments> cases = new ArrayList<>();
        Map<String, List<FileEntry>> lists = new TreeMap<>();
        lists.put("x/. as a directory", List.of(dir("."), dir("x"), dir("x/.")));
        lists.put("x/. as a file", List.of(dir("."), dir("x"), file("x/.", PWNED.length)));
        lists.put("x/./y", List.of(dir("."), dir("x"), dir("x/."), file("x/./y", PWNED.length)));
        lists.put("x//y", List.of(dir("."), dir("x"), dir("x/"), file("x//y", PWNED.length)));
        lists.put("./x", List.of(dir("."), file("./x", PWNED.length)));
        lists.put("a name below a symlink", List.of(dir("."), symlink("l", "."), file("l/y", PWNED.length)));
        lists.put("a name below a regular file", List.of(dir("."), file("f", PWNED.length),
                file("f/y", PWNED.length)));
        for (String uid : List.of("root", "nobody")) {
            lists.forEach((what, entries) -> cases.add(Arguments.of(what, uid, entries)));
        }
        return cases.stream();
    }

    /** rsync refuses a list whose names normalise to another entry (only the single top "." is allowed). */
    @ParameterizedTest(name = "{0}, uid = {1}")
    @MethodSource("aliasingLists")
    @Timeout(60)
    void aNameThatAliasesAnotherEntryIsRefused(String what, String uid, List<FileEntry> entries) throws Exception {
        startDaemon(uid, "munge symlinks = no");
        Outcome o;
        try (EvilClient e = evil(PUSH)) {
            sendListOrHangUp(e, entries);
            o = e.serve(ndx -> PWNED);
        }
        assertFalse(o.completed(), "the run went through: " + o.said());
        assertTrue(o.errorExit() > 0, "the daemon ends the session with an error code: " + o.said());
        assertEquals(Set.of(), moduleContents(), "nothing of the refused list is created");
        assertConfined();
    }

    // ------------------------------------------------------------------ resource limits

    /** "max list entries = N": a longer list is refused before anything is created (MSG_ERROR_EXIT 22). */
    @ParameterizedTest(name = "uid = {0}")
    @ValueSource(strings = {"root", "nobody"})
    @Timeout(60)
    void aFileListLongerThanMaxListEntriesIsRefused(String uid) throws Exception {
        startDaemon(uid, "max list entries = 10");
        List<FileEntry> entries = new ArrayList<>(List.of(dir(".")));
        for (int i = 0; i < 100; i++) {
            entries.add(file(String.format("f%03d", i), PWNED.length));
        }
        String said;
        try (EvilClient e = evil(PUSH)) {
            sendListOrHangUp(e, entries);
            said = e.expectRefusal(22);
        }
        assertTrue(said.contains("max list entries"), "the client is told which limit: " + said);
        assertEquals(Set.of(), moduleContents());
        assertConfined();
    }

    /** "max alloc = 1M": a list that needs more memory is refused (rsync's --max-alloc, MSG_ERROR_EXIT 22). */
    @ParameterizedTest(name = "uid = {0}")
    @ValueSource(strings = {"root", "nobody"})
    @Timeout(60)
    void aFileListNeedingMoreThanMaxAllocIsRefused(String uid) throws Exception {
        startDaemon(uid, "max alloc = 1M");
        List<FileEntry> entries = new ArrayList<>(List.of(dir(".")));
        for (int i = 0; i < 40_000; i++) { // 8 MB of names alone
            entries.add(file(String.format("f%0199d", i), PWNED.length));
        }
        String said;
        try (EvilClient e = evil(PUSH)) {
            sendListOrHangUp(e, entries);
            said = e.expectRefusal(22);
        }
        assertTrue(said.contains("max alloc") || said.contains("max-alloc"), "the client is told which limit: "
                + said);
        assertEquals(Set.of(), moduleContents());
        assertConfined();
    }

    /** A 2,047-level chain of directories with a file at the bottom: the run ends in bounded time. */
    @ParameterizedTest(name = "uid = {0}")
    @ValueSource(strings = {"root", "nobody"})
    @Timeout(60)
    void aDeepListCompletesInBoundedTime(String uid) throws Exception {
        startDaemon(uid);
        List<FileEntry> entries = new ArrayList<>(List.of(dir(".")));
        entries.addAll(deepChain());
        try {
            long started = System.nanoTime();
            Outcome o;
            try (EvilClient e = evil(PUSH)) {
                e.socket.setSoTimeout(30_000);
                e.sendList(false, entries);
                o = e.serve(ndx -> PWNED);
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            assertTrue(seconds < 20, "the deep list took " + seconds + " s");
            assertTrue(o.completed(), "the run reached its end: " + o.failure() + "\n" + o.said());
            // stock rsyncd creates every level (its temporary name for the bottom file is too long, exit 23)
            Run deepest = run(List.of("find", module.toString(), "-mindepth", "" + DEPTH, "-maxdepth", "" + DEPTH,
                    "-type", "d", "-name", "d"), 30, true); // find(1): the JDK cannot reach below PATH_MAX
            assertEquals(1, deepest.output().lines().count(), "all " + DEPTH + " levels exist");
            sentinel.assertUntouched();
            assertConfined();
        } finally {
            removeDeepChain();
        }
    }

    /** 2,047 directories d, d/d, ... and a file f at the bottom: names up to 4,095 bytes, rsync's limit. */
    private static List<FileEntry> deepChain() {
        List<FileEntry> entries = new ArrayList<>();
        StringBuilder path = new StringBuilder("d");
        entries.add(dir(path.toString()));
        for (int i = 1; i < DEPTH; i++) {
            entries.add(dir(path.append("/d").toString()));
        }
        entries.add(file(path + "/f", PWNED.length));
        return entries;
    }

    /** The chain is deeper than PATH_MAX: JUnit's @TempDir cleanup cannot remove it, rm(1) can. */
    private void removeDeepChain() throws Exception {
        run(List.of("rm", "-rf", module.resolve("d").toString()), 30, true);
    }

    // ------------------------------------------------------------------ the end of a session

    /**
     * How a hostile session ends: silence until the module's io timeout, closing the socket, closing only its
     * sending half (and reading on), or a protocol error.
     */
    enum Ending { IO_TIMEOUT, HANG_UP, HALF_CLOSE, ERROR }

    @FunctionalInterface
    interface Write {
        void run() throws IOException;
    }

    /**
     * Ends the session as {@code how} says ({@code error} writes the protocol error) and, unless the client hung up
     * itself, waits for the daemon to hang up (the demultiplexer gives up after 10 s of silence: a failure).
     */
    private static void end(EvilClient e, Ending how, Write error) throws Exception {
        switch (how) {
            case IO_TIMEOUT -> e.expectHangUp(); // silence: the module's "timeout = 2" ends it
            case HANG_UP -> e.close();
            case HALF_CLOSE -> {
                e.socket.shutdownOutput();
                e.expectHangUp();
            }
            case ERROR -> {
                error.run();
                e.out.flush();
                e.expectHangUp();
            }
            default -> throw new IllegalStateException(how.name());
        }
    }

    static Stream<Arguments> endings() {
        return Stream.of(Ending.values()).flatMap(how -> Stream.of("root", "nobody").map(u -> Arguments.of(how, u)));
    }

    /**
     * A session that ends mid-file (any {@link Ending}) takes its threads ("rsyncd-generator", "rsyncd-demux") and
     * the half-written temporary file with it.
     */
    @ParameterizedTest(name = "{0}, uid = {1}")
    @MethodSource("endings")
    @Timeout(60)
    void aSessionEndingMidFileLeavesNoThreadAndNoTempFile(Ending how, String uid) throws Exception {
        startDaemon(uid, "timeout = 2");
        try (EvilClient e = evil(PUSH)) {
            e.sendList(false, dir("."), file("big.bin", 8 << 20), file("small.txt", PWNED.length));
            Request r = e.readRequest();
            assertEquals(1, r.ndx());
            e.out.writeNdx(r.ndx());
            e.out.writeShortInt(r.iflags());
            for (int v : r.head()) {
                e.out.writeInt(v);
            }
            byte[] chunk = new byte[32 * 1024];
            for (int i = 0; i < 64; i++) { // 2 MiB of the 8: past the in-memory limit, into a temp file
                e.out.writeInt(chunk.length);
                e.out.write(chunk);
            }
            e.out.flush();
            eventually(5, () -> tempFiles().isEmpty() ? "precondition: a temporary file while big.bin arrives"
                    : null);
            end(e, how, () -> e.out.writeInt(-(5 + 1))); // ERROR: a match token for block 5 of no basis
        }
        assertConfined();
        assertFalse(Files.exists(module.resolve("big.bin")), "no half file under the real name");
    }

    /**
     * A session that ends right after its list while the generator is still busy with it (a deep chain of new
     * directories, which took the old generator tens of seconds): the generator stops within about 2 s of the
     * session's end instead of working on for a client that is gone.
     */
    @ParameterizedTest(name = "{0}, uid = {1}")
    @MethodSource("endings")
    @Timeout(60)
    void aSessionEndingWhileTheGeneratorIsBusyStopsIt(Ending how, String uid) throws Exception {
        startDaemon(uid, "timeout = 2");
        List<FileEntry> entries = new ArrayList<>(List.of(dir(".")));
        entries.addAll(deepChain());
        try {
            try (EvilClient e = evil(PUSH)) {
                e.sendList(false, entries);
                end(e, how, () -> e.out.writeNdx(1_000_000)); // ERROR: an index past the list
            }
            assertConfined();
        } finally {
            removeDeepChain();
        }
    }

    // ------------------------------------------------------------------ verification

    /**
     * A file whose data fails its whole-file checksum in phase 0 and again when redone: the daemon tells the client
     * ("failed verification -- update discarded") as MSG_ERROR_XFER (or MSG_ERROR with exit code 23), so that a stock
     * client's run ends with exit 23, and keeps no copy of it.
     */
    @ParameterizedTest(name = "uid = {0}")
    @ValueSource(strings = {"root", "nobody"})
    @Timeout(60)
    void aFileFailingVerificationTwiceIsReportedToTheClient(String uid) throws Exception {
        startDaemon(uid);
        Outcome o;
        try (EvilClient e = evil(PUSH)) {
            e.sendList(false, dir("."), file("v.txt", PWNED.length));
            o = e.serve(ndx -> PWNED, true, (phase, requests) -> { });
        }
        List<EvilClient.Message> said = o.messages();
        assertEquals(2, o.requests().stream().filter(r -> r.ndx() == 1 && r.head() != null).count(),
                "precondition: v.txt was requested in phase 0 and again in the redo phase: " + o.requests());
        assertTrue(said.stream().anyMatch(m -> (m.code() == MessageCode.ERROR_XFER || m.code() == MessageCode.ERROR)
                && m.text().contains("v.txt") && m.text().contains("failed verification -- update discarded")),
                "the client is told: " + o.said());
        assertTrue(said.stream().anyMatch(m -> m.code() == MessageCode.ERROR_XFER) || o.errorExit() == 23,
                "a stock client ends with exit 23 only after MSG_ERROR_XFER or MSG_ERROR_EXIT 23: " + o.said());
        assertFalse(Files.exists(module.resolve("v.txt"), LinkOption.NOFOLLOW_LINKS), "no unverified copy kept");
        assertConfined();
    }

    // ------------------------------------------------------------------ helpers: the daemon and its clients

    /** The in-process daemon with module [m] as the tutorial sets it up, plus {@code params} lines. */
    private void startDaemon(String uid, String... params) throws Exception {
        if (uid.equals("nobody")) { // the tutorial's module belongs to the user it runs as
            UserPrincipalLookupService ids = module.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(module, ids.lookupPrincipalByName("nobody"));
        }
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + module + "\nread only = no\nuse chroot = no\nuid = " + uid + "\n"
                + String.join("\n", params) + "\n");
        server = new DaemonServer(RsyncdConf.read(conf), log::add, s -> { });
        server.start("127.0.0.1", 0);
    }

    private EvilClient evil(String args) throws IOException {
        return new EvilClient(server.port(), args);
    }

    /** Sends the list; a daemon that refuses part-way may hang up while we are still writing. */
    private static void sendListOrHangUp(EvilClient e, List<FileEntry> entries) {
        try {
            e.sendList(false, entries);
        } catch (IOException hungUp) {
            // the refusal is read next
        }
    }

    /** A finished (or, with {@code timedOut}, killed) process: its exit code and its output. */
    private record Run(int exit, String output, boolean timedOut) {
    }

    /** A stock client: {@code rsync -a [options] from/ rsync://127.0.0.1:PORT/dest}, at most 30 s. */
    private Run stock(List<String> options, Path from, String dest) throws Exception {
        return run(stockCommand(options, from, dest), 30, true);
    }

    private List<String> stockCommand(List<String> options, Path from, String dest) {
        List<String> cmd = new ArrayList<>(List.of("rsync", "-a"));
        cmd.addAll(options);
        cmd.add(from + "/");
        cmd.add("rsync://127.0.0.1:" + server.port() + "/" + dest);
        return cmd;
    }

    /** Runs a command for at most {@code seconds}; past that it is killed, and the test fails if {@code mustEnd}. */
    private static Run run(List<String> cmd, int seconds, boolean mustEnd) throws Exception {
        Path out = Files.createTempFile("confinement", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                String said = cmd + " did not finish within " + seconds + " s: " + Files.readString(out);
                if (mustEnd) {
                    fail(said);
                }
                return new Run(-1, said, true);
            }
            return new Run(p.exitValue(), Files.readString(out), false);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static FileEntry dir(String path) {
        return new FileEntry(path, null, 040755, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private static FileEntry file(String path, long size) {
        return new FileEntry(path, null, 0100644, size, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private static FileEntry symlink(String path, String target) {
        return new FileEntry(path, null, 0120777, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1,
                target.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ helpers: what must hold after each attack

    /**
     * The sentinel is untouched; within about 2 s no session thread and no temporary file is left; the next stock
     * client is served; and that client did not touch the sentinel either.
     */
    private void assertConfined() throws Exception {
        sentinel.assertUntouched();
        assertSessionThreadsEnd();
        eventually(2, () -> tempFiles().isEmpty() ? null : "temporary files outlived the session: " + tempFiles());
        Path src = Files.createDirectories(work.resolve("honest"));
        Files.writeString(src.resolve("ok.txt"), "after the attack");
        Run r = stock(List.of(), src, "m/after");
        assertEquals(0, r.exit(), "the next stock client is served: " + r.output());
        assertEquals("after the attack", Files.readString(module.resolve("after/ok.txt")));
        sentinel.assertUntouched();
    }

    private static void assertToldAnError(Outcome o) {
        assertTrue(o.toldAnError(), "the hostile client is told an error; the run "
                + (o.completed() ? "completed" : "ended with " + o.failure()) + " and the daemon said:\n" + o.said());
    }

    private static Set<Thread> sessionThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && SESSION_THREADS.contains(t.getName()))
                .collect(Collectors.toSet());
    }

    /** Session threads started during this test must be gone within about 2 s of the session's end. */
    private void assertSessionThreadsEnd() throws Exception {
        eventually(2, () -> {
            Set<Thread> leaked = sessionThreads();
            leaked.removeAll(threadsBefore);
            if (leaked.isEmpty()) {
                return null;
            }
            return "session threads outlived the session: " + leaked.stream().map(t -> t.getName() + " ("
                    + t.getState() + ") at " + Arrays.stream(t.getStackTrace()).limit(6).map(String::valueOf)
                    .collect(Collectors.joining(" < "))).collect(Collectors.joining("; "));
        });
    }

    /**
     * Names like rsync's temporary files (".NAME.XXXXXX") anywhere in the test's tree: the module, the sentinel and
     * whatever a race left beside them. find(1), because a deep tree is longer than PATH_MAX.
     */
    private List<String> tempFiles() {
        try {
            Run r = run(List.of("find", work.toString(), "-regextype", "posix-extended", "-regex", TEMP_NAME_REGEX),
                    30, true);
            return r.output().lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Everything under the module, as relative paths. */
    private Set<String> moduleContents() throws IOException {
        try (Stream<Path> s = Files.walk(module)) {
            return s.filter(p -> !p.equals(module)).map(p -> module.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Polls {@code problem} (null when all is well) for up to {@code seconds}; fails with its last complaint. */
    private static void eventually(int seconds, Supplier<String> problem) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last;
        while ((last = problem.get()) != null) {
            if (System.nanoTime() > deadline) {
                fail(last);
            }
            Thread.sleep(50);
        }
    }

    // ------------------------------------------------------------------ the sentinel

    /**
     * A tree beside the module that no session may touch: a file, a subdirectory with a file, a symlink. Its
     * snapshot records, for the root and every entry, type, size, content hash, mode, owner, inode, link count,
     * mtime and ctime (nanoseconds), and link target: creating and deleting a name there still shows.
     */
    static final class Sentinel {
        static final String FILE = "secret.txt";
        final Path root;
        private final Map<String, String> before;

        private Sentinel(Path root) throws IOException {
            this.root = root;
            this.before = snapshot(root);
        }

        static Sentinel plant(Path root) throws IOException {
            Files.createDirectories(root.resolve("sub"));
            Files.writeString(root.resolve(FILE), "the sentinel: never to be read, changed or replaced\n");
            Files.writeString(root.resolve("sub/inner.txt"), "inside the sentinel\n");
            Files.createSymbolicLink(root.resolve("link"), Path.of(FILE));
            FileTime old = FileTime.fromMillis(1_000_000_000_000L);
            for (Path p : List.of(root.resolve(FILE), root.resolve("sub/inner.txt"), root.resolve("sub"), root)) {
                Files.setLastModifiedTime(p, old);
            }
            return new Sentinel(root);
        }

        void assertUntouched() throws IOException {
            Map<String, String> now = snapshot(root);
            List<String> diffs = new ArrayList<>();
            Set<String> names = new TreeSet<>(before.keySet());
            names.addAll(now.keySet());
            for (String n : names) {
                String was = before.get(n);
                String is = now.get(n);
                if (was == null) {
                    diffs.add("created: " + n + " " + is);
                } else if (is == null) {
                    diffs.add("deleted: " + n);
                } else if (!was.equals(is)) {
                    diffs.add("changed: " + n + "\n    was " + was + "\n    now " + is);
                }
            }
            assertEquals("", String.join("\n", diffs), "the sentinel beside the module changed");
        }

        private static Map<String, String> snapshot(Path root) throws IOException {
            Map<String, String> s = new TreeMap<>();
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
                    int mode = (Integer) a.get("mode");
                    int type = mode & 0170000;
                    StringBuilder b = new StringBuilder();
                    b.append(type == 0040000 ? "dir" : type == 0100000 ? "file" : type == 0120000 ? "symlink"
                            : "type 0" + Integer.toOctalString(type));
                    b.append(" mode=0").append(Integer.toOctalString(mode & 07777));
                    b.append(" uid=").append(a.get("uid")).append(" gid=").append(a.get("gid"));
                    b.append(" ino=").append(a.get("ino")).append(" nlink=").append(a.get("nlink"));
                    b.append(" mtime=").append(((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS));
                    b.append(" ctime=").append(((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
                    if (type == 0100000) {
                        b.append(" size=").append(a.get("size")).append(" sha256=").append(TreeSnapshot.sha256(p));
                    } else if (type == 0120000) {
                        b.append(" -> ").append(Files.readSymbolicLink(p));
                    }
                    String rel = root.relativize(p).toString();
                    s.put(rel.isEmpty() ? "." : rel, b.toString());
                }
            }
            return s;
        }

    }

    // ------------------------------------------------------------------ the racing process

    /** libc's renameat2(2), which the JDK does not offer: RENAME_EXCHANGE swaps two names atomically. */
    interface LibC extends Library {
        int AT_FDCWD = -100;
        int RENAME_EXCHANGE = 2;

        int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);
    }

    /**
     * Swaps a module directory with a symlink to the sentinel (outside the module) as fast as it can until told
     * to stop. When the daemon replaces the symlink that was swapped in, a new one is made, so the race goes on.
     */
    final class Swapper implements Runnable {
        private final LibC libc = Native.load("c", LibC.class);
        private final Path dir;
        private Path link;
        private int links;
        volatile boolean stop;
        volatile int swaps;
        volatile Throwable failure;

        Swapper(Path dir) throws IOException {
            this.dir = dir;
            this.link = newLink();
        }

        private Path newLink() throws IOException {
            Path l = work.resolve("swap-" + links++);
            Files.createSymbolicLink(l, sentinel.root);
            return l;
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    if (exchange() == 0) {
                        swaps++;
                    }
                    if (!Files.isSymbolicLink(dir) && !Files.isSymbolicLink(link)) {
                        link = newLink();
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        private int exchange() {
            return libc.renameat2(LibC.AT_FDCWD, dir.toString(), LibC.AT_FDCWD, link.toString(), LibC.RENAME_EXCHANGE);
        }

        /** After the race: the module's directory is a directory again, wherever the last swap left it. */
        void restore() throws IOException {
            if (Files.isSymbolicLink(dir)) {
                if (Files.isDirectory(link, LinkOption.NOFOLLOW_LINKS)) {
                    exchange();
                } else {
                    Files.delete(dir);
                }
            }
        }
    }
}
