package io.camelrsync.hostile;

import static io.camelrsync.hostile.FakeDaemon.i32;
import static io.camelrsync.hostile.FakeDaemon.wire;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.camelrsync.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broken or hostile daemon must never hang or crash the client. Each test scripts one misbehaviour in a
 * {@link FakeDaemon} and checks that {@code camel-rsync push -a --timeout=3} (1) returns well within a bounded
 * time - its own deadline fires first, (2) with rsync's exit code for the problem, (3) after printing a clear
 * message naming it and rsync's "rsync error: ... (code N)" line, and (4) without crashing: no exception escapes
 * Main.run, no stack trace or raw Java exception name stands in for a message.
 *
 * <p>Referee mode: {@code -Dhostile.referee=/usr/bin/rsync} runs stock rsync against the same scripts instead
 * (its messages differ, so read the exit codes and texts in the failures rather than the pass/fail count).
 */
class HostileDaemonTest {
    /** The client's --timeout: every deadline in the client derives from it. */
    static final int TIMEOUT = 3;
    /** Upper bound for a whole run; the client must give up long before. */
    static final Duration BOUND = Duration.ofSeconds(20);
    static final int TRANSFER = 0x8000;
    /** For {@link #src}: "." is index 0, "f" index 1 (the only regular file). */
    static final int FILE = 1;

    static final Pattern TIMEOUT_TEXT = Pattern.compile("(?i)time(d)?[ -]?out");

    @TempDir
    static Path work;
    static Path src;

    @BeforeAll
    static void sources() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f"), "payload");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running the client and checking what it did

    /** What one client run produced. */
    record Run(int exitCode, String out, String err, long clientThreadAllocated, long millis, String daemon) {
        @Override
        public String toString() {
            return "exit " + exitCode + " after " + millis + " ms\n--- out ---\n" + out + "\n--- err ---\n" + err
                    + "\n--- " + daemon;
        }
    }

    static Run push(FakeDaemon d, Path from, String... extra) {
        List<String> args = new ArrayList<>(List.of("push", "-a", "--timeout=" + TIMEOUT, "--contimeout=" + TIMEOUT));
        args.addAll(List.of(extra));
        args.add(from + "/");
        args.add("rsync://127.0.0.1:" + d.port() + "/mod");
        return assertTimeoutPreemptively(BOUND, () -> {
            String referee = System.getProperty("hostile.referee");
            return referee != null && !referee.isEmpty() ? referee(referee, args.subList(1, args.size()), d)
                    : client(args, d);
        }, () -> "the client did not return within " + BOUND.toSeconds() + " s\n" + d.diagnostics());
    }

    /** {@code camel-rsync pull -rlptD --timeout=3 rsync://.../mod/ DEST} against the script, bounded as a push. */
    static Run pull(FakeDaemon d, Path dest, String... extra) {
        return pullWith("-rlptD", d, dest, extra);
    }

    /** As {@link #pull} with other short options than -rlptD (a pull without -D, say). */
    static Run pullWith(String flags, FakeDaemon d, Path dest, String... extra) {
        List<String> args = new ArrayList<>(List.of("pull", flags, "--timeout=" + TIMEOUT, "--contimeout=" + TIMEOUT));
        args.addAll(List.of(extra));
        args.add("rsync://127.0.0.1:" + d.port() + "/mod/");
        args.add(dest.toString());
        return assertTimeoutPreemptively(BOUND, () -> client(args, d),
                () -> "the client did not return within " + BOUND.toSeconds() + " s\n" + d.diagnostics());
    }

    private static Run client(List<String> args, FakeDaemon d) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long allocatedBefore = allocatedByThisThread();
        long start = System.nanoTime();
        int code;
        try {
            code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
        } catch (Throwable t) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            return fail("the client crashed instead of reporting an rsync error:\n" + w + "\n--- err ---\n"
                    + err.toString(StandardCharsets.UTF_8) + "\n--- " + d.diagnostics());
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                allocatedByThisThread() - allocatedBefore, (System.nanoTime() - start) / 1_000_000, d.diagnostics());
    }

    /** Stock rsync against the same script, for comparison (see the class comment). */
    private static Run referee(String rsync, List<String> args, FakeDaemon d) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(rsync);
        cmd.addAll(args);
        Path outFile = Files.createTempFile(work, "referee", ".out");
        Path errFile = Files.createTempFile(work, "referee", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
        pb.environment().remove("RSYNC_PASSWORD");
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(BOUND.toSeconds() - 1, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        return new Run(p.exitValue(), Files.readString(outFile), Files.readString(errFile), 0,
                (System.nanoTime() - start) / 1_000_000, d.diagnostics());
    }

    private static long allocatedByThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Runs the script against a push of {@code from} and checks criteria 2-4 (push checks criterion 1). */
    static Run expect(int[] exitCodes, Pattern text, FakeDaemon.Script script, Path from, String... extra)
            throws Exception {
        try (FakeDaemon d = new FakeDaemon(script)) {
            Run r = push(d, from, extra);
            assertTrue(Arrays.stream(exitCodes).anyMatch(c -> c == r.exitCode()),
                    () -> "expected exit " + Arrays.toString(exitCodes) + ", got:\n" + r);
            assertTrue(text.matcher(r.err()).find(), () -> "expected /" + text + "/ on stderr:\n" + r);
            assertClearError(r);
            return r;
        }
    }

    static Run expect(int exitCode, String text, FakeDaemon.Script script) throws Exception {
        return expect(new int[] {exitCode}, Pattern.compile(Pattern.quote(text)), script, src);
    }

    static Run expect(int exitCode, Pattern text, FakeDaemon.Script script) throws Exception {
        return expect(new int[] {exitCode}, text, script, src);
    }

    static Run expect(int[] exitCodes, String text, FakeDaemon.Script script) throws Exception {
        return expect(exitCodes, Pattern.compile(Pattern.quote(text)), script, src);
    }

    /** rsync's two codes for a bad byte stream: 2 (protocol incompatibility) and, for framing, 12 (stream). */
    static final int[] PROTOCOL_OR_STREAM = {2, 12};

    /** Criterion 4: rsync's summary line, and neither a stack trace nor a bare Java exception name. */
    static void assertClearError(Run r) {
        assertTrue(r.err().contains("rsync error:"), () -> "no 'rsync error: ... (code N)' line:\n" + r);
        assertTrue(!r.err().contains("\tat ") && !r.err().contains("Caused by:"), () -> "a stack trace:\n" + r);
        assertTrue(!Pattern.compile("\\b(java|javax|sun|jdk)\\.[\\w.$]*(Exception|Error)\\b").matcher(r.err()).find(),
                () -> "a raw Java exception stands in for a message:\n" + r);
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines.length >= 2 && lines[0].strip().length() > 10,
                () -> "the error names no problem, only the exit code:\n" + r);
    }

    /** Login, plain setup, then one DATA frame of generator output. */
    static FakeDaemon.Script generator(byte[] data) {
        return c -> {
            c.acceptLogin();
            c.plainSetup();
            c.data(data);
        };
    }

    /** Terminal control characters other than tab, newline and carriage return. */
    static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]");

    // ---------------------------------------------------------------------------------------------------------
    // The fake's own encoders, pinned to the examples in the protocol notes (sections 5)

    @Test
    void fakeDaemonEncodersMatchTheNotes() {
        assertArrayEquals(bytes(0x80, 0x80), FakeDaemon.Wire.varint(0x80));
        assertArrayEquals(bytes(0x81, 0xff), FakeDaemon.Wire.varint(0x1ff));
        assertArrayEquals(bytes(0x81, 0xfe), FakeDaemon.Wire.varint(0x1fe));
        assertArrayEquals(bytes(0xc0, 0x00, 0x40), FakeDaemon.Wire.varint(0x4000));
        assertArrayEquals(bytes(0xf0, 0xff, 0xff, 0xff, 0xff), FakeDaemon.Wire.varint(-1));
        assertArrayEquals(bytes(0x28), FakeDaemon.Wire.varint(0x28));
        assertArrayEquals(bytes(0x02), wire().ndx(1).toBytes());
        assertArrayEquals(bytes(0xfe, 0x13, 0x89), wire().ndx(5000).toBytes());
        assertArrayEquals(bytes(0x02, 0xfe, 0x00, 0x00), wire().ndx(1).ndx(1).toBytes());
        // NDX_FLIST_EOF (-2): ff 01 from the initial state; the notes' captured ff fe 80 02 00 00 is what follows
        // a larger negative index (an flist offset), where the difference is negative
        assertArrayEquals(bytes(0xff, 0x01), wire().ndx(-2).toBytes());
        assertArrayEquals(bytes(0xff, 0xfe, 0x80, 0x02, 0x00, 0x00),
                Arrays.copyOfRange(wire().ndx(-102).ndx(-2).toBytes(), 2, 8));
        assertArrayEquals(bytes(0x00), wire().done().toBytes());
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Text handshake (notes section 1)

    @Test
    void greetingNeverSentTimesOut() throws Exception {
        Run r = expect(30, TIMEOUT_TEXT, c -> c.readLine());
        assertTrue(r.millis() < (TIMEOUT + 5) * 1000L, r::toString);
    }

    @Test
    void greetingWithoutNewlineThenSilenceTimesOut() throws Exception {
        expect(30, TIMEOUT_TEXT, c -> c.write("@RSYNCD: 32.0".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void garbageGreetingIsNoDaemon() throws Exception {
        // stock rsync: 'server sent "HTTP/1.1 400 Bad Request" rather than greeting', exit 5
        expect(new int[] {2, 5}, Pattern.compile("did not see server greeting|rather than greeting"),
                c -> c.line("HTTP/1.1 400 Bad Request"), src);
    }

    @Test
    void protocol29IsRefusedClearly() throws Exception {
        expect(2, Pattern.compile("protocol 29"), c -> c.line("@RSYNCD: 29.0"));
    }

    @Test
    void unknownModuleErrorIsShownWithExit5() throws Exception {
        expect(5, "@ERROR: Unknown module 'mod'", c -> {
            c.greet();
            c.line("@ERROR: Unknown module 'mod'");
        });
    }

    @Test
    void endlessMotdIsBounded() throws Exception {
        expect(new int[] {2, 5}, Pattern.compile("lines without accepting the module"), c -> {
            c.greet();
            for (int i = 0; i < 100_000; i++) {
                c.out.write(("motd line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            c.out.flush();
        }, src);
    }

    @Test
    void overlongHandshakeLineIsRefused() throws Exception {
        // stock rsync: "did not see server greeting", exit 5
        expect(new int[] {2, 5}, "handshake line longer than", c -> c.write(("@RSYNCD: " + "9".repeat(100_000))
                .getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void connectionClosedRightAfterOk() throws Exception {
        // stock rsync: "safe_write failed to write 1 bytes to fd 3: Broken pipe (32)", exit 12
        expect(new int[] {5, 12}, Pattern.compile("closed"), c -> {
            c.greet();
            c.line("@RSYNCD: OK");
            c.socket.close();
        }, src);
    }

    @Test
    void closeAfterArgumentsSaysTheDaemonHungUp() throws Exception {
        // stock rsync: "connection unexpectedly closed (0 bytes received so far) [sender]", exit 12
        expect(new int[] {5, 12}, Pattern.compile("closed the connection after the arguments"), c -> {
            c.acceptLogin();
            c.socket.close();
        }, src);
    }

    @Test
    void silenceAfterTheArgumentsTimesOut() throws Exception {
        // the daemon accepts the arguments but never sends its compat flags
        expect(30, TIMEOUT_TEXT, FakeDaemon.Conn::acceptLogin);
    }

    @Test
    void controlCharactersInHandshakeTextAreEscaped() throws Exception {
        Run r = expect(5, "Unknown module", c -> {
            c.greet();
            c.line("Welcome\u001b]0;owned\u0007\u001b[2J");
            c.line("@ERROR: Unknown module 'mod'\u001b[31m\u0008\u0008");
        });
        assertNoControlCharacters(r);
    }

    @Test
    void controlCharactersInTheGreetingsDigestListAreEscaped() throws Exception {
        // The digest list in the greeting is daemon text too; with no digest in common, the error shows it.
        Path pw = work.resolve("pw");
        Files.writeString(pw, "secret\n");
        Files.setPosixFilePermissions(pw, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Run r = expect(new int[] {2, 4, 5}, Pattern.compile("(?i)digest|auth"), c -> {
            c.line("@RSYNCD: 32.0 \u001b[2Jrot13");
            c.readLine();
            c.readLine();
            c.line("@RSYNCD: AUTHREQD 0123456789abcdef");
        }, src, "--password-file=" + pw);
        assertNoControlCharacters(r);
    }

    static void assertNoControlCharacters(Run r) {
        assertTrue(!CONTROL.matcher(r.out()).find() && !CONTROL.matcher(r.err()).find(),
                () -> "daemon text reached the terminal with raw control characters (rsync prints \\#033):\n"
                        + r.toString().replace("\u001b", "<ESC>").replace("\u0007", "<BEL>")
                        .replace("\u0008", "<BS>"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Protocol setup: compat flags, checksum negotiation (notes section 3)

    @Test
    void incrementalRecursionWeDidNotOfferIsAProtocolError() throws Exception {
        expect(2, "incremental recursion", c -> {
            c.acceptLogin();
            c.varint(0x29);
            c.le32(1);
        });
    }

    @Test
    void overlongVarintIsAProtocolError() throws Exception {
        // stock rsync: "Overflow in read_varint()", exit 12
        expect(PROTOCOL_OR_STREAM, "overlong varint", c -> {
            c.acceptLogin();
            c.write(bytes(0xff, 1, 2, 3, 4, 5, 6, 7, 8));
        });
    }

    @Test
    void noCommonChecksumIsUnsupported() throws Exception {
        expect(4, "Failed to negotiate a checksum choice", c -> {
            c.acceptLogin();
            c.varint(0x1fe); // 81 fe: varint flist flags, so checksum lists are exchanged
            c.vstring("sha512 none");
            c.le32(0);
            c.out.flush();
        });
    }

    @Test
    void controlCharactersInTheChecksumListAreEscaped() throws Exception {
        Run r = expect(4, "Failed to negotiate a checksum choice", c -> {
            c.acceptLogin();
            c.varint(0x1fe);
            c.vstring("sha512\u001b]0;owned\u0007 none");
            c.le32(0);
            c.out.flush();
        });
        assertNoControlCharacters(r);
    }

    @Test
    void overlongChecksumListIsAProtocolError() throws Exception {
        // stock rsync: "over-long vstring received (1000 > 255)", then "Failed to negotiate", exit 4
        expect(new int[] {2, 4}, Pattern.compile("(?i)(invalid vstring length 1000|over-long vstring)"), c -> {
            c.acceptLogin();
            c.varint(0x1fe);
            c.vstring("md5 ".repeat(250)); // a 1000-byte list (two-byte length 83 e8); the bound is 256
            c.out.flush();
        }, src);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Multiplexed stream (notes section 4)

    @Test
    void oversizedMessageIsRejected() throws Exception {
        // stock rsync: "multiplexing overflow 2:6000", exit 12
        expect(PROTOCOL_OR_STREAM, "too long", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(2, new byte[6000]);
        });
    }

    @Test
    void messageOfExactly5120BytesIsRejected() throws Exception {
        // stock rsync: "multiplexing overflow 3:5120", exit 12
        expect(PROTOCOL_OR_STREAM, "too long", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(3, "x".repeat(5120).getBytes(StandardCharsets.US_ASCII));
        });
    }

    @Test
    void unknownMessageTagIsRejected() throws Exception {
        // stock rsync: "unexpected tag 77", exit 12
        expect(PROTOCOL_OR_STREAM, "unexpected multiplexed message tag 77", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(77, new byte[4]);
        });
    }

    @Test
    void internalMessageTagOnTheSocketIsRejected() throws Exception {
        // MSG_LOG (6) is internal to a daemon's own processes; it must never reach the socket
        // stock rsync: "invalid multi-message 6:9", exit 12
        expect(PROTOCOL_OR_STREAM, "unexpected multiplexed message tag 6", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(6, "log line\n".getBytes(StandardCharsets.US_ASCII));
        });
    }

    @Test
    void daemonErrorAndExitCodeReachTheUser() throws Exception {
        Run r = expect(1, "ERROR: module is read only", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(3, "ERROR: module is read only\n".getBytes(StandardCharsets.US_ASCII));
            c.frame(86, i32(1));
        });
        assertEquals(1, r.err().split("module is read only", -1).length - 1, () -> "shown once\n" + r);
    }

    @Test
    void exitCodeOutsideRsyncsRangeIsNotSuccess() throws Exception {
        // ERROR_EXIT(256) would leave a process status of 256 & 0xff = 0: a failed push reported as success
        try (FakeDaemon d = new FakeDaemon(c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(3, "ERROR: something broke\n".getBytes(StandardCharsets.US_ASCII));
            c.frame(86, i32(256));
        })) {
            Run r = push(d, src);
            assertTrue(r.exitCode() >= 1 && r.exitCode() <= 255, () -> "exit status must be 1..255:\n" + r);
            assertTrue(r.err().contains("something broke"), r::toString);
            assertClearError(r);
        }
    }

    @Test
    void controlCharactersInDaemonMessagesAreEscaped() throws Exception {
        Run r = expect(1, "module is read only", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(3, "ERROR: \u001b[2J\u001b]0;owned\u0007module is read only\n".getBytes(StandardCharsets.UTF_8));
            c.frame(86, i32(1));
        });
        assertNoControlCharacters(r);
    }

    @Test
    void silenceAfterSetupTimesOut() throws Exception {
        expect(30, TIMEOUT_TEXT, c -> {
            c.acceptLogin();
            c.plainSetup();
        });
    }

    @Test
    void keepAlivesHoldTheSessionOpen() throws Exception {
        // Not hostile but the other side of every timeout: a generator busy for longer than --timeout (say,
        // checksumming a big basis file) sends empty DATA frames as keep-alives (io.c maybe_send_keepalive), and
        // rsync counts any input as I/O. The client must wait, then finish normally.
        try (FakeDaemon d = new FakeDaemon(c -> {
            c.acceptLogin();
            c.plainSetup();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT * 2L);
            while (System.nanoTime() < end) {
                c.data(new byte[0]);
                Thread.sleep(500);
            }
            // phase 0, 1 and 2 end, then the protocol-31+ goodbye DONE and the final DONE
            c.data(wire().done().done().done().done().done().toBytes());
        })) {
            Run r = push(d, src);
            assertEquals(0, r.exitCode(), r::toString);
        }
    }

    @Test
    void connectionClosedMidSessionIsAStreamError() throws Exception {
        expect(12, "connection unexpectedly closed", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.socket.shutdownOutput();
        });
    }

    @Test
    void connectionResetMidFileListIsAStreamError() throws Exception {
        Path many = Files.createDirectories(work.resolve("many"));
        String pad = "x".repeat(80);
        for (int i = 0; i < 3000; i++) {
            Files.writeString(many.resolve(String.format("%05d-%s", i, pad)), "");
        }
        // stock rsync: "read error: Connection reset by peer (104)", exit 10; a failed write is exit 12
        expect(new int[] {10, 12}, Pattern.compile("connection unexpectedly closed|[Cc]onnection reset"), c -> {
            c.acceptLogin();
            c.plainSetup();
            c.skip(4096); // a few frames into the file list
            c.reset();
        }, many);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Generator requests and sum heads (notes sections 7 and 10)

    @Test
    void strongSumLongerThanTheDigestIsRejected() throws Exception {
        expect(2, "invalid checksum length 100", generator(wire().transfer(FILE, 1, 700, 100, 0).toBytes()));
    }

    @Test
    void zeroBlockLengthWithBlocksIsRejected() throws Exception {
        expect(2, "invalid block length 0", generator(wire().transfer(FILE, 1, 0, 16, 0).toBytes()));
    }

    @Test
    void hugeBlockCountIsRejectedBeforeAllocating() throws Exception {
        Run r = expect(2, "invalid checksum count", generator(wire().transfer(FILE, 1 << 30, 700, 2, 0).toBytes()));
        assertTrue(r.clientThreadAllocated() < (64L << 20), () -> "allocated " + (r.clientThreadAllocated() >> 20)
                + " MiB before rejecting the head\n" + r);
    }

    @Test
    void negativeRemainderIsRejected() throws Exception {
        expect(2, "invalid remainder length", generator(wire().transfer(FILE, 1, 700, 2, -5).toBytes()));
    }

    @Test
    void announcedBlockCountIsNotAllocatedBeforeTheBlocksArrive() throws Exception {
        // 2^24 blocks of 16-byte sums is a valid head (2 TiB basis at the largest block size), but the daemon
        // sends one block and hangs up: memory must follow the bytes received, not the count announced.
        Run r = expect(12, "connection unexpectedly closed", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.data(wire().transfer(FILE, 1 << 24, 700, 16, 0).int32(0).bytes(new byte[16]).toBytes());
            c.socket.shutdownOutput();
        });
        assertTrue(r.clientThreadAllocated() < (64L << 20), () -> "the client allocated "
                + (r.clientThreadAllocated() >> 20) + " MiB for 20 bytes of block sums\n" + r);
    }

    @Test
    void longChainOfEqualWeakSumsIsBounded() throws Exception {
        // 512 KiB of zeros: every window's weak sum is 0. The daemon sends 50000 blocks, all with weak sum 0 and
        // a strong sum that never matches: without a bound on the chain walk that is 2.6e10 comparisons.
        Path zeros = Files.createDirectories(work.resolve("zeros"));
        Files.write(zeros.resolve("z"), new byte[512 * 1024]);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(i32(FakeDaemon.Conn.SEED)); // CHKSUM_SEED_FIX: seed first
        byte[] real = md5.digest(new byte[700]);
        byte[] wrong = {(byte) ~real[0], (byte) ~real[1]};
        FakeDaemon.Wire w = wire().transfer(FILE, 50_000, 700, 2, 0);
        for (int i = 0; i < 50_000; i++) {
            w.int32(0).bytes(wrong);
        }
        w.done().done().done().done().done();
        try (FakeDaemon d = new FakeDaemon(generator(w.toBytes()))) {
            Run r = push(d, zeros);
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.millis() < 15_000, r::toString);
        }
    }

    @Test
    void fileIndexOutOfRangeIsRejected() throws Exception {
        expect(2, "Invalid file index: 5000", generator(wire().ndx(5000).shortInt(TRANSFER).toBytes()));
    }

    @Test
    void transferOfADirectoryIsRejected() throws Exception {
        // index 0 is ".", a directory: a generator must never ask for its content
        expect(2, "which is not a regular file", generator(wire().transfer(0, 0, 0, 0, 0).toBytes()));
    }

    @Test
    void transferRequestInPhase2IsRejected() throws Exception {
        expect(2, "got transfer request in phase 2",
                generator(wire().done().done().transfer(FILE, 0, 0, 0, 0).toBytes()));
    }

    @Test
    void redoPhaseSendsTheFileAgain() throws Exception {
        // positive control for the fake: a well-behaved generator with a redo phase gets exit 0
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (FakeDaemon d = new FakeDaemon(c -> {
            c.acceptLogin();
            c.plainSetup();
            // phase 0: ask for the file; DONE; phase 1 (redo): ask again with full-length sums; DONE, DONE;
            // then the protocol-31+ goodbye DONE, and the final DONE only once both copies have been read,
            // so the client cannot hang up before they are counted
            FakeDaemon.Wire w = wire().transfer(FILE, 0, 0, 0, 0).done().transfer(FILE, 0, 0, 16, 0);
            c.data(w.done().done().done().toBytes());
            byte[] buf = new byte[65536];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            c.socket.setSoTimeout(200);
            while (System.nanoTime() < deadline
                    && received.toString(StandardCharsets.ISO_8859_1).split("payload", -1).length < 3) {
                try {
                    int n = c.in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    received.write(buf, 0, n);
                } catch (java.net.SocketTimeoutException slow) {
                    // a loaded machine: keep waiting until the deadline
                }
            }
            c.socket.setSoTimeout(FakeDaemon.MAX_WAIT_MILLIS);
            c.data(wire().done().toBytes());
        })) {
            Run r = push(d, src);
            assertEquals(0, r.exitCode(), r::toString);
            String wireText = received.toString(StandardCharsets.ISO_8859_1);
            assertEquals(2, wireText.split("payload", -1).length - 1, "the redo phase resends the file");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // A daemon that stops reading, or floods us (full-duplex deadlines and memory)

    private static Path bigSource() throws IOException {
        Path big = work.resolve("big");
        if (!Files.exists(big)) {
            Files.createDirectories(big);
            try (RandomAccessFile f = new RandomAccessFile(big.resolve("f").toFile(), "rw")) {
                f.setLength(50_000_000L); // sparse: cheap to create, 50 MB to send
            }
        }
        return big;
    }

    @Test
    void daemonThatStopsReadingHitsTheWriteDeadline() throws Exception {
        // The daemon asks for a 50 MB file with no basis (empty sum head), then never reads again.
        expect(new int[] {30}, TIMEOUT_TEXT, c -> {
            generator(wire().transfer(FILE, 0, 0, 0, 0).toBytes()).run(c);
            c.stopReading = true;
        }, bigSource());
    }

    @Test
    void unreadDataFromTheDaemonIsBufferedBoundedly() throws Exception {
        // As above, but while we are stuck writing, the daemon floods DATA we have not asked to read yet. rsync
        // stops reading once its input buffer is full; we must not queue an unbounded amount either.
        AtomicLong flooded = new AtomicLong();
        long limit = 160L << 20;
        expect(new int[] {30}, TIMEOUT_TEXT, c -> {
            c.stopReading = true;
            generator(wire().transfer(FILE, 0, 0, 0, 0).toBytes()).run(c);
            byte[] chunk = new byte[64 * 1024];
            while (flooded.get() < limit) {
                c.data(chunk);
                flooded.addAndGet(chunk.length + 4);
            }
        }, bigSource());
        // Kernel buffers on loopback may autotune to tens of MiB (tcp_rmem max is commonly 32 MiB), so the bound is
        // loose: it tells "stops reading at some point" from "queues whatever arrives" (which takes all 160 MiB).
        assertTrue(flooded.get() < (96L << 20), () -> "the client took in " + (flooded.get() >> 20)
                + " MiB of DATA it never read");
    }
}
