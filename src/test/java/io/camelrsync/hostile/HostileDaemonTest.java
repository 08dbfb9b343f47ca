package io.camelrsync.hostile;

import static io.camelrsync.hostile.FakeDaemon.concat;
import static io.camelrsync.hostile.FakeDaemon.i32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.testing.Cli;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broken or hostile daemon must never hang or crash the client: every length, count and index read from
 * the wire is bounded, every wait has a deadline, and the user gets rsync's exit code and a clear message.
 */
class HostileDaemonTest {
    /** The file list the client sends for {@link #src}: "." is index 0, "f" index 1. */
    static final int FILE_NDX_BYTE = 0x02; // write_ndx(1) after -1: diff 2
    static final int[] TRANSFER = {0x00, 0x80}; // iflags ITEM_TRANSFER, little-endian

    @TempDir
    static Path work;
    static Path src;
    static Path bigSrc;

    @BeforeAll
    static void sources() throws Exception {
        src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("f"), "payload");
        bigSrc = Files.createDirectories(work.resolve("big"));
        try (RandomAccessFile f = new RandomAccessFile(bigSrc.resolve("f").toFile(), "rw")) {
            f.setLength(64L << 20);
        }
    }

    private static Cli push(FakeDaemon d, Path from) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Cli.run("push", "-r", "--timeout=2",
                "--contimeout=2", from + "/", "rsync://127.0.0.1:" + d.port() + "/mod"));
    }

    private static Cli expect(int exitCode, String text, FakeDaemon.Script script, Path from) throws Exception {
        try (FakeDaemon d = new FakeDaemon(script)) {
            Cli r = push(d, from);
            assertEquals(exitCode, r.exitCode(), r::toString);
            assertTrue(r.err().contains(text), "expected '" + text + "' in:\n" + r);
            assertTrue(r.err().contains("rsync error:"), r::toString);
            assertFalse(r.err().contains("\tat io.camelrsync"), "a stack trace is no message\n" + r);
            return r;
        }
    }

    private static Cli expect(int exitCode, String text, FakeDaemon.Script script) throws Exception {
        return expect(exitCode, text, script, src);
    }

    /** Login, plain setup, then one DATA frame of generator output. */
    private static FakeDaemon.Script generator(int... data) {
        return c -> {
            c.acceptLogin();
            c.plainSetup();
            c.data(data);
        };
    }

    @Test
    void silentDaemonTimesOut() throws Exception {
        expect(30, "timed out waiting for the daemon's handshake", c -> c.in.read());
    }

    @Test
    void greetingWithoutNewlineThenSilenceTimesOut() throws Exception {
        expect(30, "timed out", c -> {
            c.out.write("@RSYNCD: 32.0".getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
        });
    }

    @Test
    void garbageGreetingIsNoDaemon() throws Exception {
        expect(2, "did not see server greeting", c -> c.line("HTTP/1.1 400 Bad Request"));
    }

    @Test
    void protocol29IsRefusedClearly() throws Exception {
        expect(2, "protocol 29", c -> c.line("@RSYNCD: 29.0"));
    }

    @Test
    void endlessMotdIsBounded() throws Exception {
        expect(2, "lines without accepting the module", c -> {
            c.line("@RSYNCD: 32.0 md5");
            c.readLine();
            c.readLine();
            for (int i = 0; i < 5000; i++) {
                c.line("motd line " + i);
            }
        });
    }

    @Test
    void overlongHandshakeLineIsRefused() throws Exception {
        expect(2, "handshake line longer than", c -> {
            c.out.write(("@RSYNCD: " + "9".repeat(20_000)).getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
        });
    }

    @Test
    void unknownModuleErrorIsShownWithExit5() throws Exception {
        expect(5, "@ERROR: Unknown module 'mod'", c -> {
            c.line("@RSYNCD: 32.0 md5");
            c.readLine();
            c.readLine();
            c.line("@ERROR: Unknown module 'mod'");
        });
    }

    @Test
    void closeAfterArgumentsSaysTheDaemonHungUp() throws Exception {
        expect(5, "closed the connection after the arguments", c -> {
            c.acceptLogin();
            c.socket.close();
        });
    }

    @Test
    void incrementalRecursionWeDidNotOfferIsAProtocolError() throws Exception {
        expect(2, "incremental recursion", c -> {
            c.acceptLogin();
            c.out.write(0x29);
            c.le32(1);
        });
    }

    @Test
    void overlongVarintIsAProtocolError() throws Exception {
        expect(2, "overlong varint", c -> {
            c.acceptLogin();
            c.out.write(new byte[] {(byte) 0xff, 1, 2, 3, 4, 5, 6, 7, 8});
        });
    }

    @Test
    void noCommonChecksumIsUnsupported() throws Exception {
        expect(4, "Failed to negotiate a checksum choice", c -> {
            c.acceptLogin();
            c.out.write(new byte[] {(byte) 0x81, (byte) 0xfe}); // compat 0x1fe: varint flist + negotiation
            byte[] list = "sha1 none".getBytes(StandardCharsets.US_ASCII);
            c.out.write(list.length);
            c.out.write(list);
            c.le32(0);
        });
    }

    @Test
    void strongSumLongerThanTheDigestIsRejected() throws Exception {
        expect(2, "invalid checksum length 100",
                generator(concat(new int[] {FILE_NDX_BYTE}, TRANSFER, i32(1), i32(700), i32(100), i32(0))));
    }

    @Test
    void zeroBlockLengthWithBlocksIsRejected() throws Exception {
        expect(2, "invalid block length 0",
                generator(concat(new int[] {FILE_NDX_BYTE}, TRANSFER, i32(1), i32(0), i32(16), i32(0))));
    }

    @Test
    void hugeBlockCountIsRejectedBeforeAllocating() throws Exception {
        expect(2, "invalid checksum count",
                generator(concat(new int[] {FILE_NDX_BYTE}, TRANSFER, i32(1 << 30), i32(700), i32(2), i32(0))));
    }

    @Test
    void negativeRemainderIsRejected() throws Exception {
        expect(2, "invalid remainder length",
                generator(concat(new int[] {FILE_NDX_BYTE}, TRANSFER, i32(1), i32(700), i32(2), i32(-5))));
    }

    @Test
    void fileIndexOutOfRangeIsRejected() throws Exception {
        // write_ndx(5000) after -1: diff 5001 -> 0xfe, high byte, low byte
        expect(2, "Invalid file index: 5000", generator(0xfe, 0x13, 0x89, 0x00, 0x00));
    }

    @Test
    void transferOfADirectoryIsRejected() throws Exception {
        // index 0 is ".", a directory: a generator must never ask for its content
        expect(2, "which is not a regular file", generator(concat(new int[] {0x01}, TRANSFER, i32(0), i32(0),
                i32(0), i32(0))));
    }

    @Test
    void oversizedMessageIsRejected() throws Exception {
        expect(2, "too long", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(2, new byte[6000]);
        });
    }

    @Test
    void unknownMessageTagIsRejected() throws Exception {
        expect(2, "unexpected multiplexed message tag 77", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(77, new byte[4]);
        });
    }

    @Test
    void daemonErrorAndExitCodeReachTheUser() throws Exception {
        Cli r = expect(1, "ERROR: module is read only", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.frame(3, "ERROR: module is read only\n".getBytes(StandardCharsets.US_ASCII));
            c.frame(86, new byte[] {1, 0, 0, 0});
        });
        assertEquals(1, r.err().split("module is read only", -1).length - 1, "shown once\n" + r);
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
    void redoPhaseSendsTheFileAgain() throws Exception {
        int[] request = concat(new int[] {FILE_NDX_BYTE}, TRANSFER, i32(0), i32(0), i32(0), i32(0));
        java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        try (FakeDaemon d = new FakeDaemon(c -> {
            c.acceptLogin();
            c.plainSetup();
            // phase 0: ask for the file; DONE; phase 1 (redo): ask again with full-length sums; DONE, DONE;
            // then the protocol-31+ goodbye: DONE, and the last DONE only once both copies have been read,
            // so the client cannot hang up before we have counted them
            c.data(request);
            c.data(0x00);
            // index 1 again: a difference of 0 from the last index takes the 0xfe two-byte form
            c.data(concat(new int[] {0xfe, 0x00, 0x00}, TRANSFER, i32(0), i32(0), i32(16), i32(0)));
            c.data(0x00, 0x00, 0x00);
            // read until both copies have arrived (the client answers the goodbye only after that)
            byte[] buf = new byte[65536];
            long deadline = System.nanoTime() + 15_000_000_000L;
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
            c.data(0x00);
        })) {
            Cli r = push(d, src);
            assertEquals(0, r.exitCode(), r::toString);
            // the file's content travels as a literal token once per request: phase 0 and the redo
            String wire = received.toString(StandardCharsets.ISO_8859_1);
            assertEquals(2, wire.split("payload", -1).length - 1, "the redo phase resends the file");
        }
    }

    @Test
    void transferRequestInPhase2IsRejected() throws Exception {
        expect(2, "got transfer request in phase 2", generator(concat(new int[] {0x00, 0x00, FILE_NDX_BYTE}, TRANSFER,
                i32(0), i32(0), i32(0), i32(0))));
    }

    @Test
    void daemonThatStopsReadingHitsTheWriteDeadline() throws Exception {
        // The daemon asks for a 64 MiB file with no basis, then never reads: our writes must time out.
        expect(30, "io timeout", c -> {
            generator(concat(new int[] {FILE_NDX_BYTE}, TRANSFER, i32(0), i32(0), i32(0), i32(0))).run(c);
            c.stopReading = true;
        }, bigSrc);
    }
}
