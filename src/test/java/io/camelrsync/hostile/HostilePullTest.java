package io.camelrsync.hostile;

import static io.camelrsync.hostile.HostileDaemonTest.assertClearError;
import static io.camelrsync.hostile.HostileDaemonTest.pull;
import static io.camelrsync.hostile.HostileDaemonTest.pullWith;
import static io.camelrsync.hostile.FakeDaemon.wire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListWriter;
import io.camelrsync.flist.Xmit;
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

    // ---------------------------------------------------------------------------------------------------------
    // Hand-written list entries (flist.c send_file_entry with byte flags, for -rlptD)

    private static final int REG = 0100644;
    private static final byte[] NONE = new byte[0];

    /**
     * One entry: the flags (a second byte with EXTENDED_FLAGS), {@code l1} bytes of the previous name, the
     * rest of the name (a varint length with LONG_NAME), then size, mtime unless SAME_TIME, mode unless
     * SAME_MODE, and {@code rest} (a symlink's target, a device's numbers).
     */
    private static byte[] entry(int xflags, int l1, String name, long size, int mode, byte[] rest)
            throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireOutput w = new WireOutput(b);
        writeName(w, xflags, l1, name.getBytes(StandardCharsets.UTF_8));
        w.writeVarlong(size, 3);
        if ((xflags & Xmit.SAME_TIME) == 0) {
            w.writeVarlong(1_700_000_000L, 4);
        }
        if ((xflags & Xmit.SAME_MODE) == 0) {
            w.writeInt(mode);
        }
        w.write(rest);
        w.flush();
        return b.toByteArray();
    }

    /** A regular file entry with a plain name: LONG_NAME keeps the flags non-zero (a zero byte ends the list). */
    private static byte[] regular(String name, long size) throws Exception {
        return entry(Xmit.LONG_NAME, 0, name, size, REG, NONE);
    }

    /** A later member of a hard-link group (HLINKED without HLINK_FIRST): its name, then its first's index. */
    private static byte[] hardLink(String name, int first) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireOutput w = new WireOutput(b);
        writeName(w, Xmit.LONG_NAME | Xmit.EXTENDED_FLAGS | Xmit.HLINKED, 0, name.getBytes(StandardCharsets.UTF_8));
        w.writeVarint(first);
        w.flush();
        return b.toByteArray();
    }

    private static void writeName(WireOutput w, int xflags, int l1, byte[] name) throws Exception {
        w.writeByte(xflags & 0xff);
        if ((xflags & Xmit.EXTENDED_FLAGS) != 0) {
            w.writeByte(xflags >> 8);
        }
        if ((xflags & Xmit.SAME_NAME) != 0) {
            w.writeByte(l1);
        }
        if ((xflags & Xmit.LONG_NAME) != 0) {
            w.writeVarint(name.length);
        } else {
            w.writeByte(name.length);
        }
        w.write(name);
    }

    /** "." as the writer encodes it, these entries, and the list's end (no id lists: -rlptD sends no -o/-g). */
    private static byte[] rawList(byte[]... entries) throws Exception {
        return concat(dirOnlyPrefix(), concat(entries), new byte[] {0});
    }

    /** What a sender sends when it has no more files: the end of phases 0, 1 and 2 and its totals (handle_stats). */
    private static FakeDaemon.Wire endOfFiles(FakeDaemon.Wire w) {
        w.done().done().done();
        for (int i = 0; i < 5; i++) {
            w.bytes(new byte[3]); // write_varlong(0, 3)
        }
        return w;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Hard links (-H, protocol 30+ style: a later member names its group's first by list index)

    @Test
    @Timeout(30)
    void aHardLinkToADirectoryIsRefused() throws Exception {
        // "x" a member of the group led by "." (index 0): linking to a directory would make a hard-linked dir
        expect(PROTOCOL_OR_STREAM, "hard-link reference 0 is not a group's first file",
                sends(rawList(hardLink("x", 0))), "-H");
    }

    @Test
    @Timeout(30)
    void aHardLinkToAnEntryNotYetReceivedIsRefused() throws Exception {
        // flist.c: the index must be below the entries received so far, a forward reference to "y" is out
        expect(PROTOCOL_OR_STREAM, "hard-link reference out of range: 2 \\(1\\)",
                sends(rawList(hardLink("x", 2), regular("y", 5))), "-H");
        assertFalse(Files.exists(dest.resolve("x")));
    }

    @Test
    @Timeout(30)
    void aHardLinkToAnotherGroupsMemberIsRefused() throws Exception {
        // "a" leads a group, "b" joins it, "c" names "b": a chain the receiver's group table cannot hold
        byte[] a = entry(Xmit.LONG_NAME | Xmit.EXTENDED_FLAGS | Xmit.HLINKED | Xmit.HLINK_FIRST, 0, "a", 5, REG,
                NONE);
        expect(PROTOCOL_OR_STREAM, "hard-link reference 2 is not a group's first file",
                sends(rawList(a, hardLink("b", 1), hardLink("c", 2))), "-H");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sizes, modes and lengths out of range

    @Test
    @Timeout(30)
    void aNegativeFileSizeIsRefused() throws Exception {
        expect(PROTOCOL_OR_STREAM, "negative size for f", sends(rawList(regular("f", -1))));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aModeOfNoFileTypeIsRefused() throws Exception {
        // flist.c (rsync 3.4+): "invalid file mode 0%o for %s", exit 2; all bits set is type 0170000
        expect(PROTOCOL_OR_STREAM, "invalid file (type in )?mode 037777777777",
                sends(rawList(entry(Xmit.LONG_NAME, 0, "f", 5, -1, NONE))));
        assertFalse(Files.exists(dest.resolve("f"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    @Timeout(30)
    void aSymlinkTargetLongerThanAnyPathIsRefusedBeforeItIsRead() throws Exception {
        // flist.c: "overflow: linkname_len=%d", then overflow_exit (exit 22); we end it as a protocol error
        byte[] ln = entry(Xmit.LONG_NAME, 0, "ln", 0, 0120777, FakeDaemon.Wire.varint(1 << 30));
        HostileDaemonTest.Run r = expect(new int[] {2, 12, 22}, "invalid symlink length 1073741824|linkname_len",
                sends(rawList(ln)));
        assertTrue(r.clientThreadAllocated() < 256L << 20, "allocated " + r.clientThreadAllocated());
        assertFalse(Files.exists(dest.resolve("ln"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    @Timeout(30)
    void aNegativeNameLengthWithVarintFlagsIsRefused() throws Exception {
        // compat 0xa8 (VARINT_FLIST_FLAGS too): flags and name lengths are varints; a length of -1 would index
        // before the name's buffer
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireOutput w = new WireOutput(b);
        new FileListWriter(w, new FileListWriter.Options(32, true, false, false, true, true, false, false))
                .write(dir("."));
        w.writeVarint(Xmit.LONG_NAME);
        w.writeVarint(-1);
        w.flush();
        expect(PROTOCOL_OR_STREAM, "file name too long \\(0 \\+ -1 bytes\\)", c -> {
            c.acceptLogin();
            c.varint(0xa8);
            c.vstring("md5"); // negotiate_the_strings: ours, then read theirs
            c.out.flush();
            int len = c.in.read();
            c.skip((len & 0x80) != 0 ? ((len & 0x7f) << 8 | c.in.read()) : len);
            c.le32(FakeDaemon.Conn.SEED);
            c.multiplexed = true;
            c.data(b.toByteArray());
            c.drainUntilClosed();
        });
    }

    @Test
    @Timeout(30)
    void anIdListThatNeverEndsIsRefused() throws Exception {
        // -o: after the list, uid/name pairs until a zero id (uidlist.c recv_id_list); this one never ends
        // ".", its uid 0 (no XMIT_SAME_UID), and the list's end
        byte[] lst = concat(entry(Xmit.LONG_NAME, 0, ".", 0, 040755, FakeDaemon.Wire.varint(0)), new byte[] {0});
        expect(PROTOCOL_OR_STREAM, "more than 65536 user or group names", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.data(lst);
            ByteArrayOutputStream ids = new ByteArrayOutputStream();
            for (int id = 1; id <= 70_000; id++) {
                ids.writeBytes(FakeDaemon.Wire.varint(id));
                ids.write(1);
                ids.write('u');
                if (ids.size() > 30_000) {
                    c.data(ids.toByteArray());
                    ids.reset();
                }
            }
            c.data(ids.toByteArray());
            c.drainUntilClosed();
        }, "-o");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Names that alias or escape

    @Test
    @Timeout(30)
    void aNameThatDiffersOnlyByATrailingSlashIsRefused() throws Exception {
        // "a/" would be "a" again once cleaned (clean_fname): two entries for one path
        expect(UNSAFE, "unsafe pathname from sender: a/", sends(rawList(
                entry(Xmit.LONG_NAME, 0, "a", 0, 040755, NONE), regular("a/", 5))));
    }

    @Test
    @Timeout(30)
    void aDotDotMadeByTheNamePrefixIsRefused() throws Exception {
        // "..x" is a fine name; the next entry reuses its first two bytes (XMIT_SAME_NAME) and adds
        // "/outside/x": no ".." is ever on the wire, yet the name is "../outside/x"
        expect(UNSAFE, "unsafe pathname from sender: \\.\\./outside/x", sends(rawList(regular("..x", 5),
                entry(Xmit.LONG_NAME | Xmit.SAME_NAME, 2, "/outside/x", 5, REG, NONE))));
    }

    @Test
    @Timeout(30)
    void aNamePrefixLongerThanThePreviousNameIsRefused() throws Exception {
        // a prefix of 200 bytes of the 1-byte "." would copy whatever lies beyond the previous name
        expect(PROTOCOL_OR_STREAM, "name prefix of 200 bytes is longer than the previous name", sends(rawList(
                entry(Xmit.LONG_NAME | Xmit.SAME_NAME, 200, "x", 5, REG, NONE))));
    }

    @Test
    @Timeout(30)
    void aNameWithANulByteIsRefused() throws Exception {
        // C's rsync would see "a" (the string ends at the NUL); we refuse instead of guessing which name is meant
        expect(UNSAFE, "unsafe pathname from sender: a name contains a NUL byte",
                sends(rawList(regular("a\0/../../outside/x", 5))));
    }

    @Test
    @Timeout(30)
    void theTopDirectoryListedTwiceIsRefused() throws Exception {
        // a second "." (a file's mode is refused already): two sets of attributes for DEST itself
        expect(PROTOCOL_OR_STREAM, "duplicate entry in the file list: \\.", sends(rawList(
                entry(Xmit.LONG_NAME, 0, ".", 0, 040700, NONE))));
    }

    // ---------------------------------------------------------------------------------------------------------
    // File indexes, sum heads and tokens

    @Test
    @Timeout(30)
    void aNegativeFileIndexIsRefused() throws Exception {
        // -7 is none of NDX_DONE, NDX_FLIST_EOF or NDX_DEL_STATS, and no list has negative entries
        expect(PROTOCOL_OR_STREAM, "Invalid file index: -7", sends(list(false, dir("."), file("f", 5)),
                wire().ndx(-7).shortInt(0x8000).toBytes()));
    }

    @Test
    @Timeout(30)
    void aFileIndexBeyondTheListIsRefused() throws Exception {
        // io.c read_ndx_and_attrs: "Invalid file index: %d", exit 2
        expect(PROTOCOL_OR_STREAM, "Invalid file index: 500", sends(list(false, dir("."), file("f", 5)),
                wire().ndx(500).shortInt(0x8000).int32(0).int32(0).int32(0).int32(0).toBytes()));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aSumHeadTheSenderChangedIsRefused() throws Exception {
        // we asked with no basis (an empty head); the sender claims 1 block of 700 with a 5-byte tail, so that
        // a block reference would read a basis we never offered
        expect(PROTOCOL_OR_STREAM, "the sender changed the block sums of file 1", sends(
                list(false, dir("."), file("f", 5)),
                wire().transfer(1, 1, 700, 2, 5).int32(-1).int32(0).bytes(new byte[16]).toBytes()));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aBlockIndexOnePastTheBasisIsRefused() throws Exception {
        // DEST/f (5 bytes, another mtime) is the basis: one block, so index 1 (token -2) is past its end
        Files.writeString(dest.resolve("f"), "world");
        io.camelrsync.sender.SumHead h = io.camelrsync.receiver.BasisSums.head(5, false, 16);
        assertEquals(1, h.count());
        HostileDaemonTest.Run r = expect(PROTOCOL_OR_STREAM, "Invalid block index 1", sends(
                list(false, dir("."), file("f", 5)),
                wire().transfer(1, h.count(), h.blockLength(), h.strongLength(), h.remainder()).int32(-2)
                        .int32(0).bytes(new byte[16]).toBytes()));
        assertEquals("world", Files.readString(dest.resolve("f")), r.toString());
    }

    @Test
    @Timeout(30)
    void aBlockReferenceThatOverflowsIsRefused() throws Exception {
        // token Integer.MIN_VALUE: -(t + 1) is Integer.MAX_VALUE, an index that must not wrap to a valid one
        expect(PROTOCOL_OR_STREAM, "Invalid block index 2147483647", sends(list(false, dir("."), file("f", 5)),
                wire().transfer(1, 0, 0, 0, 0).int32(Integer.MIN_VALUE).int32(0).bytes(new byte[16]).toBytes()));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aFuzzyBasisNamedByTheSenderIsRefused() throws Exception {
        // CVE-2024-12086's way: the sender names a fuzzy basis (FNAMECMP_FUZZY 0x83, xname) we never offered,
        // outside DEST; receiver.c (3.4): "rsync: refusing malicious fuzzy operation for %s", exit 2
        byte[] transfer = wire().ndx(1).shortInt(0x8000 | 0x0800 | 0x1000).bytes(new byte[] {(byte) 0x83})
                .bytes(FakeDaemon.Wire.vstring("../outside/keep".getBytes(StandardCharsets.UTF_8)))
                .int32(0).int32(0).int32(0).int32(0).int32(0).bytes(new byte[16]).toBytes();
        expect(PROTOCOL_OR_STREAM, "refusing malicious fuzzy operation|basis type or name we never asked for",
                sends(list(false, dir("."), file("f", 5)), transfer));
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aFileThatFailsVerificationTwiceIsDiscarded() throws Exception {
        // receiver.c: a wrong whole-file checksum is redone (phase 1, full-length sums); failing again is
        // "ERROR: f failed verification -- update discarded." and exit 23; no copy of the bad data is kept
        byte[] lst = list(false, dir("."), file("f", 5));
        FakeDaemon.Wire w = wire().transfer(1, 0, 0, 0, 0).int32(5).bytes("hello".getBytes(StandardCharsets.UTF_8))
                .int32(0).bytes(new byte[16]).done();
        int first = w.toBytes().length;
        HostileDaemonTest.Run r = expect(new int[] {23}, "ERROR: f failed verification -- update discarded\\.", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.data(lst);
            Thread.sleep(500); // the generator's requests come in meanwhile, as in sends()
            c.data(w.toBytes());
            // the redo: the same index again (fe 00 00), ITEM_TRANSFER, then the head to echo
            byte[] head = c.awaitData(new byte[] {(byte) 0xfe, 0, 0, 0, (byte) 0x80}, 16);
            w.ndx(1).shortInt(0x8000).bytes(head).int32(5).bytes("hello".getBytes(StandardCharsets.UTF_8))
                    .int32(0).bytes(new byte[16]).done().done();
            for (int i = 0; i < 5; i++) {
                w.bytes(new byte[3]);
            }
            w.done();
            byte[] all = w.toBytes();
            c.data(Arrays.copyOfRange(all, first, all.length));
            c.drainUntilClosed();
        });
        assertFalse(Files.exists(dest.resolve("f")), r.toString());
        assertEquals(1, r.err().split("failed verification", -1).length - 1, () -> "reported once:\n" + r);
    }

    // ---------------------------------------------------------------------------------------------------------
    // -z: compressed token streams (token.c); the session runs without negotiation, the compressor forced

    /** Compressed bytes as token.c frames them: DEFLATED_DATA chunks of at most 16383 bytes. */
    private static byte[] chunks(byte[] compressed) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int off = 0; off < compressed.length; off += 16383) {
            int n = Math.min(16383, compressed.length - off);
            b.write(0x40 | n >> 8);
            b.write(n & 0xff);
            b.write(compressed, off, n);
        }
        return b.toByteArray();
    }

    /** A zstd stream (flushed, never ended, as rsync's) of {@code mib} MiB of zeros, in windows of 2^windowLog. */
    private static byte[] zstdZeros(int mib, int windowLog) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (com.github.luben.zstd.ZstdCompressCtx ctx = new com.github.luben.zstd.ZstdCompressCtx()) {
            ctx.setLevel(3);
            ctx.setWindowLog(windowLog);
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(1 << 20);
            for (int i = 0; i <= mib; i++) {
                java.nio.ByteBuffer src = java.nio.ByteBuffer.wrap(new byte[i < mib ? 1 << 20 : 0]);
                boolean flushed;
                do {
                    out.clear();
                    flushed = ctx.compressByteBufferStream(out, src, i < mib
                            ? com.github.luben.zstd.EndDirective.CONTINUE : com.github.luben.zstd.EndDirective.FLUSH);
                    b.write(out.array(), 0, out.position());
                } while (src.hasRemaining() || (i == mib && !flushed));
            }
        }
        return b.toByteArray();
    }

    /** The transfer of f (no basis) as compressed tokens: the data chunks, END_FLAG, a whole-file md5. */
    private static FakeDaemon.Wire compressedTransfer(byte[] data, byte[] md5) {
        return wire().transfer(1, 0, 0, 0, 0).bytes(chunks(data)).bytes(new byte[] {0}).bytes(md5);
    }

    private static byte[] compressedTransfer(byte[] data) {
        return compressedTransfer(data, new byte[16]).toBytes();
    }

    @Test
    @Timeout(60)
    void aZstdStreamThatExpandsAThousandfoldIsDecodedInBoundedMemory() throws Exception {
        // 256 MiB of zeros in a few KiB, for a file listed at 5 bytes (a sender may send what the file grew to,
        // as rsync's does): decoded a buffer at a time into the temp file, never held whole
        byte[] bomb = zstdZeros(256, 20);
        assertTrue(bomb.length < 64 * 1024, "bomb of " + bomb.length + " bytes");
        java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
        byte[] mib = new byte[1 << 20];
        for (int i = 0; i < 256; i++) {
            md5.update(mib);
        }
        byte[] session = endOfFiles(compressedTransfer(bomb, md5.digest())).done().toBytes();
        try (FakeDaemon d = new FakeDaemon(sends(list(false, dir("."), file("f", 5)), session))) {
            HostileDaemonTest.Run r = pull(d, dest, "--zc=zstd");
            assertEquals(0, r.exitCode(), r.toString());
            assertEquals(256L << 20, Files.size(dest.resolve("f")), r.toString());
            assertTrue(r.clientThreadAllocated() < 64L << 20, "allocated " + r.clientThreadAllocated());
            assertUntouchedOutside();
        }
    }

    @Test
    @Timeout(30)
    void aZstdWindowOverTheBoundIsRefused() throws Exception {
        // a frame asking for a 128 MiB window (zstd's ceiling, levels 21-22): we allow 32 MiB, so a peer cannot
        // make each session reserve that much
        expect(new int[] {12}, "zstd decompression failed", sends(list(false, dir("."), file("f", 5)),
                compressedTransfer(zstdZeros(1, 27))), "--zc=zstd");
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aCorruptZstdStreamIsRefused() throws Exception {
        byte[] junk = new byte[3000];
        new java.util.Random(5).nextBytes(junk);
        expect(new int[] {12}, "zstd decompression failed", sends(list(false, dir("."), file("f", 5)),
                compressedTransfer(junk)), "--zc=zstd");
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void anLz4BlockThatDecodesPastRsyncsBufferIsRefused() throws Exception {
        // token.c decodes each chunk into LZ4_compressBound(32 KiB) bytes; a 1 MiB block of zeros fits a chunk
        // compressed but not that buffer decoded
        net.jpountz.lz4.LZ4Compressor lz4 = net.jpountz.lz4.LZ4Factory.fastestInstance().fastCompressor();
        byte[] block = lz4.compress(new byte[1 << 20]);
        assertTrue(block.length <= 16383, "block of " + block.length);
        expect(new int[] {12}, "lz4 decompression failed", sends(list(false, dir("."), file("f", 5)),
                compressedTransfer(block)), "--zc=lz4");
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aDeflateStreamThatIsNotDeflateIsRefused() throws Exception {
        expect(new int[] {12}, "inflate failed", sends(list(false, dir("."), file("f", 5)),
                compressedTransfer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3})), "--zc=zlibx");
        assertFalse(Files.exists(dest.resolve("f")));
    }

    @Test
    @Timeout(30)
    void aCompressedTokenFlagThatIsNoFlagIsRefused() throws Exception {
        // 0x22..0x3f name nothing in token.c's flag byte (only TOKEN_LONG 0x20 and TOKENRUN_LONG 0x21)
        expect(PROTOCOL_OR_STREAM, "invalid compressed token flag 0x2a", sends(list(false, dir("."),
                file("f", 5)), wire().transfer(1, 0, 0, 0, 0).bytes(new byte[] {0x2a}).toBytes()), "--zc=zstd");
        assertFalse(Files.exists(dest.resolve("f")));
    }

    // ---------------------------------------------------------------------------------------------------------
    // The end of the session

    @Test
    @Timeout(30)
    void aGoodbyeThatNeverComesTimesOut() throws Exception {
        // every phase ends and the totals arrive, but not the protocol-31 goodbye (main.c read_final_goodbye)
        HostileDaemonTest.Run r = expect(new int[] {30}, "(?i)time(d)?[ -]?out",
                sends(list(false, dir(".")), endOfFiles(wire()).toBytes()));
        assertTrue(r.millis() < 20_000, r.toString());
    }

    @Test
    @Timeout(30)
    void aWrongGoodbyeIsRefused() throws Exception {
        // main.c read_final_goodbye: "Invalid packet at end of run (%d) [%s]", exit 2
        expect(PROTOCOL_OR_STREAM, "Invalid packet at end of run",
                sends(list(false, dir(".")), endOfFiles(wire()).ndx(5).toBytes()));
    }

    @Test
    @Timeout(30)
    void anErrorMessageOfEnormousLengthIsRefusedBeforeItIsRead() throws Exception {
        // MSG_ERROR announcing 16 MiB - 1: io.c "multiplexing overflow 3:16777215", exit 12; never allocated
        HostileDaemonTest.Run r = expect(PROTOCOL_OR_STREAM, "too long|multiplexing overflow", c -> {
            c.acceptLogin();
            c.plainSetup();
            c.le32(((7 + 3) << 24) | 0xffffff);
            c.write("ERROR: ".repeat(100).getBytes(StandardCharsets.US_ASCII));
            c.drainUntilClosed();
        });
        assertTrue(r.clientThreadAllocated() < 64L << 20, "allocated " + r.clientThreadAllocated());
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the receiver does to DEST on the sender's word

    @Test
    @Timeout(30)
    void deleteNeverReachesThroughASymlinkInDest() throws Exception {
        // --delete, DEST/evil -> outside, and the list says "evil" is an empty directory: its extraneous
        // entries are deleted, which must be the symlink itself, never outside/keep through it
        Files.createSymbolicLink(dest.resolve("evil"), outside);
        try (FakeDaemon d = new FakeDaemon(sends(list(false, dir("."), dir("evil")), endOfFiles(wire()).done()
                .toBytes()))) {
            HostileDaemonTest.Run r = pull(d, dest, "--delete");
            assertUntouchedOutside();
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(Files.isDirectory(dest.resolve("evil"), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                    r.toString());
        }
    }

    @Test
    @Timeout(30)
    void aDeviceIsNotMadeWithoutDashD() throws Exception {
        // -rlpt (no -D): generator.c skips a device or fifo ("skipping non-regular file", shown with -v) and the
        // pull succeeds; no device node appears in DEST, even for a root client
        byte[] lst = rawList(entry(Xmit.LONG_NAME, 0, "dev", 0, 020644, NONE),
                entry(Xmit.LONG_NAME, 0, "fifo", 0, 010644, NONE));
        try (FakeDaemon d = new FakeDaemon(sends(lst, endOfFiles(wire()).done().toBytes()))) {
            HostileDaemonTest.Run r = pullWith("-rlpt", d, dest);
            assertUntouchedOutside();
            assertFalse(Files.exists(dest.resolve("dev"), java.nio.file.LinkOption.NOFOLLOW_LINKS), r.toString());
            assertFalse(Files.exists(dest.resolve("fifo"), java.nio.file.LinkOption.NOFOLLOW_LINKS), r.toString());
            assertEquals(0, r.exitCode(), r.toString());
        }
    }
}
