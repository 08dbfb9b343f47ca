package io.camelrsync.hostile;

import static io.camelrsync.hostile.HostileDaemonTest.assertClearError;
import static io.camelrsync.hostile.HostileDaemonTest.pull;
import static io.camelrsync.hostile.FakeDaemon.wire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListWriter;
import io.camelrsync.protocol.WireOutput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile daemon against camel-rsync pull: each test scripts one attack in a {@link FakeDaemon} (the file list
 * and the data a sender controls) and checks that the pull ends within a bound, with rsync's exit code and a
 * clear error, and that nothing was written outside DEST (a sibling directory and a symlink's target stay as they
 * were) and no temporary file is left in it.
 */
class HostilePullTest {
    static final int[] PROTOCOL_OR_STREAM = {2, 12};
    /** flist.c: "ABORTING due to unsafe pathname from sender", exit 4 (RERR_UNSUPPORTED). */
    static final int[] UNSAFE = {4};

    @TempDir
    Path work;
    Path dest;
    Path outside;

    @BeforeEach
    void dirs() throws Exception {
        dest = Files.createDirectories(work.resolve("dest"));
        outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "outside DEST");
    }

    private static FileEntry dir(String path) {
        return new FileEntry(path, null, 040755, 0, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private static FileEntry file(String path, long size) {
        return new FileEntry(path, null, 0100644, size, 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1, null);
    }

    private static FileEntry symlink(String path, String target) {
        return new FileEntry(path, null, 0120777, target.length(), 1_700_000_000L, 0, 0, 0, 0, 0, 0, 1,
                target.getBytes(StandardCharsets.UTF_8));
    }

    /** The list as the sender's flist.c writes it for -rlptD (devices; byte flags, no varint). */
    private static byte[] list(boolean hardLinks, FileEntry... entries) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireOutput w = new WireOutput(b);
        FileListWriter fw = new FileListWriter(w, new FileListWriter.Options(32, false, false, false, true, true,
                hardLinks, false));
        for (FileEntry e : entries) {
            fw.write(e);
        }
        fw.writeEnd(0, true);
        fw.writeIdLists();
        w.flush();
        return b.toByteArray();
    }

    /**
     * Login, setup (compat 0x28: byte flags, md5), then these bytes as the sender's data, each after a pause
     * (the generator's requests for the list come in meanwhile), then silence.
     */
    private static FakeDaemon.Script sends(byte[]... data) {
        return c -> {
            c.acceptLogin();
            c.plainSetup();
            for (int i = 0; i < data.length; i++) {
                if (i > 0) {
                    Thread.sleep(500);
                }
                c.data(data[i]);
            }
            c.drainUntilClosed();
        };
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private HostileDaemonTest.Run expect(int[] codes, String text, FakeDaemon.Script script, String... extra)
            throws Exception {
        try (FakeDaemon d = new FakeDaemon(script)) {
            HostileDaemonTest.Run r = pull(d, dest, extra);
            assertTrue(Arrays.stream(codes).anyMatch(c -> c == r.exitCode()),
                    () -> "expected exit " + Arrays.toString(codes) + ", got:\n" + r);
            assertTrue(Pattern.compile(text).matcher(r.err()).find(), () -> "expected /" + text + "/:\n" + r);
            assertClearError(r);
            assertUntouchedOutside();
            return r;
        }
    }

    /** Nothing outside DEST changed, and no temporary file is left inside it. */
    private void assertUntouchedOutside() throws Exception {
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("keep")), s.toList(), "written outside DEST");
        }
        assertEquals("outside DEST", Files.readString(outside.resolve("keep")));
        try (Stream<Path> s = Files.list(work)) {
            assertEquals(2, s.count(), "a new name beside DEST");
        }
        try (Stream<Path> s = Files.walk(dest)) {
            List<Path> temps = s.filter(p -> p.getFileName().toString().startsWith(".")
                    && p.getFileName().toString().contains("~")).toList();
            assertTrue(temps.isEmpty(), "temporary files left: " + temps);
        }
    }

    @Test
    @Timeout(30)
    void dotDotInANameIsRefused() throws Exception {
        expect(UNSAFE, "unsafe pathname from sender: \\.\\./outside/x", sends(list(false, dir("."),
                file("../outside/x", 5))));
    }

    @Test
    @Timeout(30)
    void anAbsoluteNameIsRefused() throws Exception {
        expect(UNSAFE, "unsafe pathname from sender: /", sends(list(false, dir("."),
                file(outside.resolve("x").toString(), 5))));
    }

    @Test
    @Timeout(30)
    void anEntryWithoutItsParentDirectoryInTheListIsRefused() throws Exception {
        expect(PROTOCOL_OR_STREAM, "parent|directory", sends(list(false, dir("."), file("a/b", 5))));
    }

    @Test
    @Timeout(30)
    void anEntryBelowASymlinkOfTheListIsRefused() throws Exception {
        expect(PROTOCOL_OR_STREAM, "parent|directory|symlink", sends(list(false, dir("."),
                symlink("ln", outside.toString()), file("ln/x", 5))));
    }

    @Test
    @Timeout(30)
    void aNameThatAliasesAnotherIsRefused() throws Exception {
        expect(UNSAFE, "unsafe pathname from sender: a/\\./b", sends(list(false, dir("."), dir("a"),
                file("a/./b", 5))));
    }

    @Test
    @Timeout(30)
    void aDotEntryThatIsNotADirectoryIsRefused() throws Exception {
        expect(PROTOCOL_OR_STREAM, "\\.|directory", sends(list(false, file(".", 5))));
    }

    @Test
    @Timeout(30)
    void aHardLinkIndexOutOfRangeIsRefused() throws Exception {
        expect(PROTOCOL_OR_STREAM, "link|index|flag|invalid", sends(hardLinkList()), "-H");
    }

    /** ".", then "x" flagged HLINKED (not the group's first) with a link index of 99 in a list of two. */
    private static byte[] hardLinkList() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(dirOnlyPrefix());
        // xflags 0x0204 as two bytes (EXTENDED_FLAGS in the first), then name length 1 and the name
        b.writeBytes(new byte[] {(byte) 0x04, (byte) 0x02, 1, 'x'});
        b.writeBytes(FakeDaemon.Wire.varint(99));
        return b.toByteArray();
    }

    /** The "." entry alone, as the writer encodes it, without the list's end. */
    private static byte[] dirOnlyPrefix() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireOutput w = new WireOutput(b);
        new FileListWriter(w, new FileListWriter.Options(32, false, false, false, true, true, true, false))
                .write(dir("."));
        w.flush();
        return b.toByteArray();
    }

    @Test
    @Timeout(30)
    void aNameLongerThanAnyPathIsRefusedBeforeItIsRead() throws Exception {
        // "." then an entry with LONG_NAME (0x40) and a name length of 1 GiB: bounded, never allocated
        byte[] huge = concat(dirOnlyPrefix(), new byte[] {(byte) 0x40}, FakeDaemon.Wire.varint(1 << 30));
        expect(PROTOCOL_OR_STREAM, "name|long|length|limit", sends(huge));
    }

    @Test
    @Timeout(30)
    void aFileListThatNeverEndsTimesOut() throws Exception {
        HostileDaemonTest.Run r = expect(new int[] {30, 12}, "(?i)time(d)?[ -]?out|closed",
                sends(dirOnlyPrefix()));
        assertTrue(r.millis() < 20_000, r.toString());
    }

    @Test
    @Timeout(30)
    void aTransferOfAnEntryNeverRequestedIsRefused() throws Exception {
        // "." and "f": the generator asks for f (index 1); the sender sends "." (index 0) instead
        byte[] lst = list(false, dir("."), file("f", 5));
        byte[] transfer = wire().ndx(0).shortInt(0x8000).int32(0).int32(0).int32(0).int32(0).toBytes();
        expect(PROTOCOL_OR_STREAM, "never requested|not a regular|index", sends(lst, transfer));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    /** A literal announced as 2 GiB, then silence: streamed, never buffered whole; the timeout ends it. */
    @Test
    @Timeout(30)
    void aHugeLiteralThenSilenceTimesOutAndLeavesNoFile() throws Exception {
        byte[] lst = list(false, dir("."), file("f", 5));
        byte[] transfer = wire().ndx(1).shortInt(0x8000).int32(0).int32(0).int32(0).int32(0)
                .int32(Integer.MAX_VALUE).bytes(new byte[64 * 1024]).toBytes();
        HostileDaemonTest.Run r = expect(new int[] {30}, "(?i)time(d)?[ -]?out", sends(lst, transfer));
        assertTrue(r.clientThreadAllocated() < 256L << 20, "allocated " + r.clientThreadAllocated());
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aSymlinkAlreadyInDestIsNeverFollowed() throws Exception {
        Files.createSymbolicLink(dest.resolve("evil"), outside);
        byte[] lst = list(false, dir("."), dir("evil"), file("evil/x", 5));
        byte[] data = wire().ndx(2).shortInt(0x8000).int32(0).int32(0).int32(0).int32(0).int32(5)
                .bytes("hello".getBytes(StandardCharsets.UTF_8)).int32(0).bytes(new byte[16]).toBytes();
        try (FakeDaemon d = new FakeDaemon(sends(lst, data))) {
            HostileDaemonTest.Run r = pull(d, dest);
            assertUntouchedOutside();
            assertFalse(Files.exists(outside.resolve("x")), r.toString());
        }
    }
}
