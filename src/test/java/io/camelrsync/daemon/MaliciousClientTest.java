package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.daemon.EvilClient.Request;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListWriter;
import io.camelrsync.flist.Xmit;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.WireOutput;
import io.camelrsync.testing.RsyncDaemon;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client that breaks the rules on purpose (notes section 10), scripted on the wire against the real
 * listener. Each case: nothing is written outside the module, the refusal is logged, and the next (stock)
 * client is served normally.
 */
class MaliciousClientTest {
    @TempDir
    Path work;
    Path module;
    Path outside;
    DaemonServer server;
    final List<String> log = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        RsyncDaemon.requireRsync();
        module = Files.createDirectories(work.resolve("module"));
        outside = Files.createDirectories(work.resolve("outside"));
        Path conf = work.resolve("rsyncd.conf");
        Files.writeString(conf, "[m]\npath = " + module + "\nread only = no\n");
        server = new DaemonServer(RsyncdConf.read(conf), log::add, s -> { });
        server.start("127.0.0.1", 0);
    }

    @AfterEach
    void stillServesAndNothingEscaped() throws Exception {
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(0, s.count(), "something was written outside the module");
        }
        Path src = Files.createDirectories(work.resolve("honest"));
        Files.writeString(src.resolve("ok.txt"), "after the attack");
        Process p = new ProcessBuilder("rsync", "-a", src + "/", "rsync://127.0.0.1:" + server.port() + "/m/after")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals("after the attack", Files.readString(module.resolve("after/ok.txt")));
        server.close();
    }

    /** The scripted hostile client (EvilClient) against this test's daemon and module [m]. */
    final class Evil extends EvilClient {
        Evil(String args) throws IOException {
            super(server.port(), args);
        }

        Evil(List<String> args) throws IOException {
            super(server.port(), args);
        }
    }

    private static FileEntry dir(String path) {
        return new FileEntry(path, null, 040755, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private static FileEntry file(String path, long size) {
        return new FileEntry(path, null, 0100644, size, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private void assertLogged(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (String.join("\n", log).contains(text)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected '" + text + "' in the daemon log:\n" + String.join("\n", log));
    }

    @Test
    void dotDotInTheFileListIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            FileEntry bad = file("../outside/escaped.txt", 4);
            e.sendList(false, dir("."), bad);
            e.expectHangUp();
        }
        assertLogged("unsafe pathname from sender: ../outside/escaped.txt");
    }

    @Test
    void absolutePathIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file(outside + "/abs.txt", 4));
            e.expectHangUp();
        }
        assertLogged("unsafe pathname from sender: /");
    }

    @Test
    void anEntryWhoseParentIsNotADirectoryInTheListIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            FileEntry link = new FileEntry("link", null, 0120777, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1,
                    outside.toString().getBytes(StandardCharsets.UTF_8));
            e.sendList(false, dir("."), link, file("link/pwned", 4));
            e.expectHangUp();
        }
        assertLogged("ABORTING due to invalid path from sender: link/pwned (its parent is not a directory");
    }

    @Test
    void aSymlinkAlreadyInTheModuleIsNeverFollowed() throws Exception {
        Files.createSymbolicLink(module.resolve("sub"), outside);
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), dir("sub"), file("sub/pwned", 0));
            // the daemon reports "sub" as a new directory, then asks for sub/pwned; then we walk away
            assertEquals(1, e.daemonOutput().readNdx());
            e.daemonOutput().readShortInt();
            assertEquals(2, e.daemonOutput().readNdx());
        }
        assertFalse(Files.isSymbolicLink(module.resolve("sub")), "the symlink was replaced by a real directory");
    }

    @Test
    void aHardLinkReferenceOutOfRangeIsRefused() throws Exception {
        try (Evil e = new Evil("--server -lHre.LfxCIvu . m/")) {
            WireOutput w = e.out;
            FileListWriter fw = new FileListWriter(w,
                    new FileListWriter.Options(32, true, false, false, false, false, true, false));
            fw.write(dir("."));
            // HLINKED without HLINK_FIRST, pointing at entry 99 of a 2-entry list
            w.writeVarint(0x0200 | 0x0020 | 0x0008 | 0x0010);
            w.writeByte(0);
            w.writeByte(1);
            w.writeByte('h');
            w.writeVarint(99);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged("hard-link reference out of range: 99");
    }

    @Test
    void aTransferNobodyAskedForIsRefusedAndLeavesNoFile() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("x.txt", 4));
            // push index 0 (".") with ITEM_TRANSFER and a literal token without waiting to be asked
            e.out.writeNdx(0);
            e.out.writeShortInt(0x8000);
            e.sendEmptySumHeadAndLiteral("evil");
            e.expectHangUp();
        }
        assertLogged("which we never requested");
        try (Stream<Path> s = Files.walk(module)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".x.txt")), "no temp file left");
        }
    }

    // ------------------------------------------------------------------ helpers for the cases below

    /** Everything under the module, as relative paths: a leftover temp file or a half-written file shows here. */
    private Set<String> moduleContents() throws IOException {
        try (Stream<Path> s = Files.walk(module)) {
            return s.filter(p -> !p.equals(module)).map(p -> module.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private void assertModuleHolds(String... paths) throws IOException {
        assertEquals(new TreeSet<>(List.of(paths)), moduleContents(), "the module after the attack");
    }

    /** A basis file already in the module, older than the list says, so the daemon sends its block sums. */
    private byte[] basis(String name, int size) throws IOException {
        byte[] content = new byte[size];
        new java.util.Random(7).nextBytes(content);
        Files.write(module.resolve(name), content);
        return content;
    }

    /** Replaces the daemon with one whose module [m] has these extra parameters. */
    private void restartWith(String moduleParams) throws Exception {
        server.close();
        Path conf = work.resolve("other.conf");
        Files.writeString(conf, "[m]\npath = " + module + "\nread only = no\n" + moduleParams);
        server = new DaemonServer(RsyncdConf.read(conf), log::add, s -> { });
        server.start("127.0.0.1", 0);
    }

    private record Run(int exit, String output) {
    }

    private Run stockPush(String dest, String... options) throws Exception {
        Path src = Files.createDirectories(work.resolve("stock-src"));
        Files.writeString(src.resolve("s.txt"), "stock");
        List<String> cmd = new ArrayList<>(List.of("rsync", "-a"));
        cmd.addAll(List.of(options));
        cmd.add(src + "/");
        cmd.add("rsync://127.0.0.1:" + server.port() + "/m/" + dest);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    private static void echoHead(WireOutput out, Request r, int count, int blength, int s2length, int remainder)
            throws IOException {
        out.writeNdx(r.ndx());
        out.writeShortInt(r.iflags() & ~0x2000 | 0x8000);
        out.writeInt(count);
        out.writeInt(blength);
        out.writeInt(s2length);
        out.writeInt(remainder);
    }

    // ------------------------------------------------------------------ transfer phase

    /** CVE-2024-12086: a basis type and an alternate name ("../outside/x") the daemon never asked for. */
    @Test
    void aBasisTypeAndXnameNobodyAskedForAreRefused() throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("x.txt", 4));
            Request r = e.readRequest();
            assertEquals(1, r.ndx());
            e.out.writeNdx(r.ndx());
            e.out.writeShortInt(0x8000 | 0x0800 | 0x1000);
            e.out.writeByte(0x80); // FNAMECMP_FUZZY
            e.out.writeVstring("../outside/x");
            e.sendEmptySumHeadAndLiteral("evil");
            e.expectHangUp();
        }
        assertLogged("the sender sent a basis type or name we never asked for");
        assertModuleHolds();
    }

    /** CVE-2024-12084/12085: the sum head echoed back must be exactly the one the daemon sent, and sane. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sumHeadEchoes")
    void aSumHeadEchoedBackDifferentlyIsRefused(String what, boolean relative, int count, int blength,
                                               int s2length, int remainder, String logged) throws Exception {
        byte[] old = basis("b.bin", 2000);
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("b.bin", 2100));
            Request r = e.readRequest();
            int[] h = r.head();
            assertEquals(3, h[0], "the daemon sends sums of the 2000-byte basis");
            if (relative) { // a valid head, but not the one the daemon sent
                echoHead(e.out, r, h[0] + count, h[1] + blength, h[2] + s2length, h[3] + remainder);
            } else { // values out of range in themselves
                echoHead(e.out, r, count, blength, s2length, remainder);
            }
            e.out.writeInt(-1); // block 0, were the head accepted
            e.out.writeInt(0);
            e.out.write(new byte[16]);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged(logged);
        assertModuleHolds("b.bin");
        assertArrayEquals(old, Files.readAllBytes(module.resolve("b.bin")), "the basis is untouched");
    }

    static Stream<Arguments> sumHeadEchoes() {
        String changed = "the sender changed the block sums of file 1";
        return Stream.of(
                Arguments.of("count one more", true, 1, 0, 0, 0, changed),
                Arguments.of("count one less", true, -1, 0, 0, 0, changed),
                Arguments.of("block length doubled", true, 0, 700, 0, 0, changed),
                Arguments.of("longer strong sums", true, 0, 0, 1, 0, changed),
                Arguments.of("remainder changed", true, 0, 0, 0, -1, changed),
                Arguments.of("s2length beyond the digest", false, 3, 700, 17, 0, "invalid checksum length 17"),
                Arguments.of("negative s2length", false, 3, 700, -1, 0, "invalid checksum length -1"),
                Arguments.of("negative count", false, -1, 700, 2, 0, "invalid checksum count -1"),
                Arguments.of("count x length overflows", false, Integer.MAX_VALUE, 1 << 17, 2, 0,
                        "invalid checksum count " + Integer.MAX_VALUE),
                Arguments.of("zero block length with blocks", false, 3, 0, 2, 0, "invalid block length 0"),
                Arguments.of("block length over the maximum", false, 3, (1 << 17) + 1, 2, 0,
                        "invalid block length " + ((1 << 17) + 1)),
                Arguments.of("negative remainder", false, 3, 700, 2, -1, "invalid remainder length -1"),
                Arguments.of("remainder beyond the block", false, 3, 700, 2, 701, "invalid remainder length 701"));
    }

    /** A match token for a block the sums never described: refused, the basis untouched, no temp file. */
    @ParameterizedTest(name = "block {0}")
    @ValueSource(ints = {3, 1000, Integer.MAX_VALUE})
    void aMatchTokenBeyondTheSumsIsRefused(int block) throws Exception {
        byte[] old = basis("b.bin", 2000);
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("b.bin", 2100));
            Request r = e.readRequest();
            assertEquals(3, r.head()[0]);
            echoHead(e.out, r, r.head()[0], r.head()[1], r.head()[2], r.head()[3]);
            e.out.writeInt(-1); // block 0: fine
            e.out.writeInt(-(block + 1)); // Integer.MAX_VALUE wraps to Integer.MIN_VALUE, as on the wire
            e.out.writeInt(0);
            e.out.write(new byte[16]);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged("Invalid block index " + block + " (the basis has 3 blocks)");
        assertModuleHolds("b.bin");
        assertArrayEquals(old, Files.readAllBytes(module.resolve("b.bin")), "the basis is untouched");
    }

    /**
     * A literal token announcing 2 GiB: the daemon streams it through a bounded buffer (it never allocates the
     * announced length) and fails as soon as the stream ends short; no file under the real name, no temp file.
     */
    @Test
    void aHugeLiteralTokenFailsFastAndLeavesNothing() throws Exception {
        long started = System.nanoTime();
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("x.txt", 4));
            Request r = e.readRequest();
            echoHead(e.out, r, 0, 0, 0, 0);
            e.out.writeInt(0x7fffffff);
            e.out.write(new byte[256 * 1024]); // some of it, enough to be mid-stream in the temp file
            e.out.flush();
            e.socket.shutdownOutput();
            e.expectHangUp();
        }
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5), "the daemon was slow to give up");
        assertLogged("connection unexpectedly closed by the peer");
        assertModuleHolds();
    }

    /** The same literal, then silence: the module's timeout ends it, and the temp file goes with it. */
    @Test
    void aHugeLiteralThenSilenceTimesOutAndLeavesNothing() throws Exception {
        restartWith("timeout = 1\n");
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            e.sendList(false, dir("."), file("x.txt", 4));
            Request r = e.readRequest();
            echoHead(e.out, r, 0, 0, 0, 0);
            e.out.writeInt(0x7fffffff);
            e.out.write(new byte[64 * 1024]);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged("io timeout after 1 seconds");
        assertModuleHolds();
    }

    // ------------------------------------------------------------------ arguments

    /**
     * --partial-dir and --temp-dir are refused, with the option named to the client. (--backup-dir and the
     * basis dirs are honoured, sanitized into the module: BackupDaemonTest, AltDestTest and the tests after this.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--partial-dir /tmp/x", "--partial-dir=OUT", "--temp-dir=../outside", "--temp-dir OUT"})
    void optionsPointingOutsideTheModuleAreRefused(String option) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server", "-lre.LfxCIvu"));
        args.addAll(List.of(option.replace("OUT", outside.toString()).split(" ")));
        args.addAll(List.of(".", "m/"));
        String name = option.split("[= ]")[0];
        try (Evil e = new Evil(args)) {
            String said = e.expectRefusal(4);
            assertTrue(said.contains(name + ": unknown option"), "the client is told which option: " + said);
        }
        assertLogged(name + ": unknown option");
        assertModuleHolds();
    }

    /** options.c set_dest_dir: one kind of basis dir, at most MAX_BASIS_DIRS of them; else refused as rsync does. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--link-dest=a --copy-dest b", "--compare-dest a --link-dest=b", "TOO_MANY"})
    void basisDirsRsyncWouldNotParseAreRefused(String options) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server", "-lre.LfxCIvu"));
        if (options.equals("TOO_MANY")) {
            for (int i = 0; i <= ClientArgs.MAX_BASIS_DIRS; i++) {
                args.addAll(List.of("--link-dest", "d" + i));
            }
        } else {
            args.addAll(List.of(options.split(" ")));
        }
        args.addAll(List.of(".", "m/"));
        try (Evil e = new Evil(args)) {
            String said = e.expectRefusal(4);
            assertTrue(said.contains(options.equals("TOO_MANY") ? "at most 20 --link-dest args may be specified"
                    : "option conflicts with the"), said);
        }
        assertModuleHolds();
    }

    /**
     * CVE-2024-12086's way in: the basis type a client echoes names the file the receiver rebuilds from. Ours
     * rebuilds from the one it summed; a client naming another (the destination, a dir it never sent, a fuzzy
     * name) is refused before any of its data is used.
     */
    @ParameterizedTest(name = "echoed basis {0}")
    @ValueSource(ints = {-1, 0x80, 1, 0x83})
    void aBasisOtherThanTheOneAskedForIsRefused(int echoed) throws Exception {
        Files.createDirectories(module.resolve("alt"));
        Files.write(module.resolve("alt/x.txt"), new byte[2000]); // differs in size: a basis, not a match
        try (Evil e = new Evil(List.of("--server", "-lre.LfxCIvu", "--link-dest", "/alt", ".", "m/"))) {
            e.sendList(false, dir("."), file("x.txt", 2100));
            Request r = e.readRequest();
            assertEquals(0, r.basisType(), "the daemon rebuilds from alt dir 0");
            e.out.writeNdx(r.ndx());
            e.out.writeShortInt(r.iflags() & ~0x1800 | (echoed >= 0 ? 0x0800 : 0) | (echoed == 0x83 ? 0x1000 : 0));
            if (echoed >= 0) {
                e.out.writeByte(echoed);
            }
            if (echoed == 0x83) {
                e.out.writeVstring("../outside/x");
            }
            e.sendEmptySumHeadAndLiteral("evil");
            e.expectHangUp();
        }
        assertLogged("the sender sent a basis type or name we never asked for");
        assertModuleHolds("alt", "alt/x.txt");
    }

    /**
     * options.c sanitizes a daemon's --backup-dir: ".." climbing out of the module is dropped, so "../.." names
     * the destination itself, refused as rsync refuses backups onto the files they keep (no suffix).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--backup-dir=../..", "--backup-dir /", "--backup-dir=.."})
    void aBackupDirClimbingOutNamesTheDestinationAndIsRefused(String option) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server", "-blre.LfxCIvu"));
        args.addAll(List.of(option.split(" ")));
        args.addAll(List.of(".", "m/"));
        try (Evil e = new Evil(args)) {
            String said = e.expectRefusal(4);
            assertTrue(said.contains("--suffix cannot be empty when --backup-dir is the same as the dest dir"), said);
        }
        assertModuleHolds();
    }

    /** The stock client shows the daemon's reason, not "connection unexpectedly closed". */
    @Test
    void aStockClientIsToldWhichOptionWasRefused() throws Exception {
        Run r = stockPush("cd", "--temp-dir=" + outside);
        assertEquals(4, r.exit(), r.output());
        assertTrue(r.output().contains("--temp-dir: unknown option"), r.output());
        assertModuleHolds();
    }

    /** The destination the client names must stay in the module and never pass through a symlink. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"m/../outside", "m/a/../../outside", "m/./../outside", "m/link", "m/link/sub",
            "m/up/outside", "m/up/outside/new", "m/dir/up/outside"})
    void aDestinationOutsideTheModuleIsRefused(String path) throws Exception {
        Files.createSymbolicLink(module.resolve("link"), outside);
        Files.createSymbolicLink(module.resolve("up"), work); // work/outside is a real directory beyond it
        Files.createSymbolicLink(Files.createDirectory(module.resolve("dir")).resolve("up"), work);
        try (Evil e = new Evil("--server -lre.LfxCIvu . " + path)) {
            e.sendList(false, dir("."), file("x.txt", 4));
            e.expectHangUp();
        }
        assertLogged(path.contains("..") ? "the destination leaves the module: " + path
                : "destination " + path + " goes through a symlink");
        assertModuleHolds("dir", "dir/up", "link", "up");
        assertTrue(Files.isSymbolicLink(module.resolve("link")));
    }

    /** The same through the stock client: a module symlink to a parent of another tree is not a way out. */
    @Test
    void aStockClientCannotPushThroughASymlinkInTheModule() throws Exception {
        Files.createSymbolicLink(module.resolve("up"), work);
        Run r = stockPush("up/outside/");
        assertTrue(r.exit() != 0, r.output());
        assertLogged("destination m/up/outside/ goes through a symlink, which is never followed");
        assertModuleHolds("up");
    }

    /** Arguments past the count limit or the length limit end the session before anything else. */
    @ParameterizedTest(name = "{0} arguments of {1} bytes")
    @CsvSource({"1025, 2", "1, 5000"})
    void argumentFloodsAreCut(int count, int length) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5_000);
            OutputStream o = s.getOutputStream();
            o.write("@RSYNCD: 32.0 md5\nm\n".getBytes(StandardCharsets.US_ASCII));
            String said = readUntil(s.getInputStream(), "@RSYNCD: OK\n");
            assertTrue(said.endsWith("@RSYNCD: OK\n"), said);
            byte[] arg = ("-" + "v".repeat(length - 1)).getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < count; i++) {
                    o.write(arg);
                    o.write(0);
                }
                o.flush();
            } catch (IOException reset) {
                // the daemon may hang up while we are still writing
            }
            assertEquals(-1, drain(s.getInputStream()), "the daemon hangs up");
        }
        assertLogged(count > 1 ? "more than 1024 arguments from the client" : "an argument longer than 4096 bytes");
        assertModuleHolds();
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; !b.toString().endsWith(end) && (c = in.read()) >= 0; ) {
            b.append((char) c);
        }
        return b.toString();
    }

    /** Reads to the end of the stream; -1 once the peer has closed (a reset counts as closed). */
    private static int drain(InputStream in) throws IOException {
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // discard
            }
        } catch (java.net.SocketException reset) {
            // closed with unread data: a reset
        }
        return -1;
    }

    // ------------------------------------------------------------------ filter rules

    /**
     * Merge and dir-merge rules from the client would make the daemon read files of the client's choosing:
     * refused. The named file is a FIFO, so a daemon that even opened it would hang instead of hanging up.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {". FIFO", "merge FIFO", ".e FIFO", "merge,- FIFO", ":dir-merge ../secret.fifo",
            ": ../secret.fifo", "dir-merge /etc/passwd", ". /etc/passwd"})
    void clientMergeRulesAreRefusedUnread(String template) throws Exception {
        Path fifo = work.resolve("secret.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        String rule = template.replace("FIFO", fifo.toString());
        try (Evil e = new Evil("--server -lre.LfxCIvu --delete . m/")) {
            byte[] b = rule.getBytes(StandardCharsets.UTF_8);
            e.out.writeInt(b.length);
            e.out.write(b);
            e.out.writeInt(0);
            e.sendList(false, dir("."), file("x.txt", 4));
            e.expectHangUp();
        }
        assertLogged("filter rule '" + rule + "'");
        assertModuleHolds();
    }

    // ------------------------------------------------------------------ handshake

    /**
     * With "max connections = 2", two clients that take the slots and then dribble their arguments a byte at a
     * time, and three that connect and say nothing, cannot keep an honest client out for longer than the
     * module's "timeout" bounds the handshake (rsync's daemon handshake deadline: absolute, not per read).
     */
    @Test
    void slowHandshakesDoNotHoldTheConnectionSlots() throws Exception {
        restartWith("max connections = 2\ntimeout = 2\n");
        List<Socket> sockets = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean dribbling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread dribbler = null;
        try {
            for (int i = 0; i < 3; i++) {
                sockets.add(new Socket("127.0.0.1", server.port())); // silent, before the module name
            }
            List<Socket> holders = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.setSoTimeout(5_000);
                sockets.add(s);
                holders.add(s);
                s.getOutputStream().write("@RSYNCD: 32.0 md5\nm\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(readUntil(s.getInputStream(), "@RSYNCD: OK\n").endsWith("@RSYNCD: OK\n"));
            }
            long slotsTaken = System.nanoTime();
            dribbler = new Thread(() -> {
                byte[] arg = "--server".getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; dribbling.get(); i++) {
                    for (Socket s : holders) {
                        try {
                            s.getOutputStream().write(arg[i % arg.length]);
                        } catch (IOException hungUp) {
                            // expected once the deadline passes
                        }
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            dribbler.start();

            Run first = stockPush("slot");
            assertEquals(5, first.exit(), first.output());
            assertTrue(first.output().contains("@ERROR: max connections (2) reached -- try again later"),
                    first.output());
            Run r = first;
            while (r.exit() != 0 && System.nanoTime() - slotsTaken < TimeUnit.SECONDS.toNanos(8)) {
                Thread.sleep(100);
                r = stockPush("slot");
            }
            assertEquals(0, r.exit(), "the honest client was kept out: " + r.output());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - slotsTaken);
            assertTrue(waited < 4_000, "the honest client got in only after " + waited + " ms");
            assertEquals("stock", Files.readString(module.resolve("slot/s.txt")));
            assertLogged("daemon handshake timeout");
            for (Socket s : holders) {
                assertEquals(-1, drain(s.getInputStream()), "the slow client was hung up on");
            }
        } finally {
            dribbling.set(false);
            if (dribbler != null) {
                dribbler.join(2_000);
            }
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    // ------------------------------------------------------------------ framing

    /** File-list entries that break the format's rules (flist.c recv_file_entry and notes section 10). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badEntries")
    void aMalformedFileListEntryIsRefused(String what, boolean dotFirst, ListBytes entry, String logged)
            throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            if (dotFirst) {
                FileListWriter fw = new FileListWriter(e.out,
                        new FileListWriter.Options(32, true, false, false, false, false, false, false));
                fw.write(dir("."));
            }
            entry.write(e.out);
            e.out.writeVarint(0); // end of the list, were it accepted
            e.out.writeVarint(0);
            e.out.flush();
            e.expectHangUp();
        }
        assertLogged(logged);
        assertModuleHolds();
    }

    @FunctionalInterface
    interface ListBytes {
        void write(WireOutput w) throws IOException;
    }

    /** One entry with varint flags, no uid/gid (the client sent neither -o nor -g). */
    private static ListBytes entry(int flags, int prefix, byte[] name, long size, int nsec, int mode) {
        return w -> {
            w.writeVarint(flags);
            if ((flags & Xmit.SAME_NAME) != 0) {
                w.writeByte(prefix);
            }
            if ((flags & Xmit.LONG_NAME) != 0) {
                w.writeVarint(name.length);
            } else {
                w.writeByte(name.length);
            }
            w.write(name);
            w.writeVarlong(size, 3);
            if ((flags & Xmit.SAME_TIME) == 0) {
                w.writeVarlong(1_700_000_000L, 4);
            }
            if ((flags & Xmit.MOD_NSEC) != 0) {
                w.writeVarint(nsec);
            }
            if ((flags & Xmit.SAME_MODE) == 0) {
                w.writeInt(mode);
            }
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Stream<Arguments> badEntries() {
        int f = Xmit.SAME_UID | Xmit.SAME_GID;
        return Stream.of(
                Arguments.of("name over the limit", true,
                        (ListBytes) w -> {
                            w.writeVarint(f | Xmit.LONG_NAME);
                            w.writeVarint(5000);
                            w.write(new byte[64]);
                        }, "file name too long (0 + 5000 bytes)"),
                Arguments.of("name prefix longer than the previous name", true,
                        entry(f | Xmit.SAME_NAME, 10, bytes("x"), 1, 0, 0100644),
                        "name prefix of 10 bytes is longer than the previous name"),
                Arguments.of("nanoseconds past a second", true,
                        entry(f | Xmit.MOD_NSEC, 0, bytes("f"), 1, 1_000_000_000, 0100644),
                        "invalid nanoseconds 1000000000 for f"),
                Arguments.of("negative nanoseconds", true,
                        entry(f | Xmit.MOD_NSEC, 0, bytes("f"), 1, -1, 0100644), "invalid nanoseconds -1 for f"),
                Arguments.of("negative size", true, entry(f, 0, bytes("f"), -1, 0, 0100644), "negative size for f"),
                Arguments.of("invalid mode type bits", true, entry(f, 0, bytes("weird"), 1, 0, 0170644),
                        "invalid file type in mode 0170644 for weird"),
                Arguments.of("no type bits at all", true, entry(f, 0, bytes("none"), 1, 0, 0644),
                        "invalid file type in mode 0644 for none"),
                Arguments.of("a '.' that is not a directory", false, entry(f, 0, bytes("."), 1, 0, 0100644),
                        "the \".\" entry is not a directory"),
                Arguments.of("HLINKED though -H is off", true,
                        entry(f | Xmit.HLINKED | Xmit.HLINK_FIRST, 0, bytes("h"), 1, 0, 0100644),
                        "hard-link flag on h though -H is off"),
                Arguments.of("a NUL in the name", true, entry(f, 0, bytes("a\0b"), 1, 0, 0100644),
                        "a name contains a NUL byte"),
                Arguments.of("an overlong varint", true, (ListBytes) w -> w.write(new byte[] {(byte) 0xfc, 1, 2, 3,
                        4, 5, 6}), "overlong varint (lead byte 0xfc)"),
                Arguments.of("a symlink target over the limit", true, (ListBytes) w -> {
                    entry(f, 0, bytes("l"), 0, 0, 0120777).write(w);
                    w.writeVarint(100_000);
                }, "invalid symlink length 100000 for l"));
    }

    /** Multiplexed frames a client must never send: oversized messages, internal and unknown tags. */
    @ParameterizedTest(name = "tag {0}, {1} bytes")
    @CsvSource({
        "3, 6000, multiplexed message 3 too long: 6000 bytes",
        "5, 0, unexpected multiplexed message tag 5",
        "7, 4, unexpected multiplexed message tag 7",
        "77, 0, unexpected multiplexed message tag 77",
        "-7, 0, unexpected multiplexed message tag -7",
        "33, 3, message 33 must carry 4 bytes, got 3",
        "22, 5, message 22 must carry 4 bytes, got 5"})
    void aForbiddenMultiplexedFrameIsRefused(int tag, int length, String logged) throws Exception {
        try (Evil e = new Evil("--server -lre.LfxCIvu . m/")) {
            int h = ((7 + tag) << 24) | length;
            e.raw.write(new byte[] {(byte) h, (byte) (h >> 8), (byte) (h >> 16), (byte) (h >>> 24)});
            e.raw.write(new byte[length]);
            e.raw.flush();
            try {
                e.sendList(false, dir("."), file("x.txt", 4));
            } catch (IOException alreadyGone) {
                // the daemon may hang up before the list goes out
            }
            e.expectHangUp();
        }
        assertLogged(logged);
        assertModuleHolds();
    }
}
